"""The taint engine: untrusted data followed from where it enters (sources)
to where it is dangerous (sinks), through assignments, containers, objects
and calls across the whole project.

- `models`: the framework and library knowledge, loaded from data files;
- `extract`: per-file facts from one flow-sensitive pass over each function;
- `solve`: per-function summaries combined to a fixpoint, and the flows.
"""

from secreview.taint.extract import ModuleFacts, ProjectModules, extract, module_name
from secreview.taint.facts import Flow
from secreview.taint.models import ModelError, Models, bundled_models, load_models
from secreview.taint.solve import TaintResult, solve

__all__ = ["Flow", "ModelError", "Models", "ModuleFacts", "ProjectModules", "TaintResult", "bundled_models",
           "extract", "load_models", "module_name", "solve"]
