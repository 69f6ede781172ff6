"""`secreview bench`: precision and recall on labelled data, with peers.

`run_bench` runs each tool on the data set's folder (each in its own
process), scores its findings (`score.py`) and returns a `BenchResult`;
`output.py` turns that into the printed table, `results.json`, a Markdown
table and a chart. The library never prints.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from secreview.bench.cwes import mapping_used
from secreview.bench.data import DataError, DataSet, load_manifest, load_truth
from secreview.bench.score import LINE_TOLERANCE, Score, score
from secreview.bench.tools import DEFAULT_TIMEOUT, ToolRun, run_bandit, run_secreview, run_semgrep

__all__ = ["BenchResult", "DataError", "DataSet", "TOOLS", "load_manifest", "load_truth", "run_bench"]

TOOLS = ("secreview", "bandit", "semgrep")


@dataclass
class BenchResult:
    data: DataSet
    runs: list[ToolRun] = field(default_factory=list)
    scores: dict[str, Score] = field(default_factory=dict)

    def cwe_mapping(self) -> dict[int, list[int]]:
        """The equivalences that applied: every CWE labelled or reported."""
        cwes = {label.cwe for label in self.data.files} | {c for label in self.data.lines for c in label.cwes}
        for run in self.runs:
            cwes |= {c for f in run.findings if f.path in self.data.paths for c in f.cwes}
        return mapping_used(cwes)

    def to_dict(self) -> dict[str, Any]:
        reference = next((r for r in self.runs if r.name == "secreview" and r.status == "ok"), None)
        tools = []
        for run in self.runs:
            entry = run.to_dict()
            if reference is not None and run.status == "ok" and reference.wall and run.wall is not None:
                entry["wall_vs_secreview"] = run.wall / reference.wall
                entry["peak_vs_secreview"] = (run.peak_mib / reference.peak_mib
                                              if run.peak_mib and reference.peak_mib else None)
            if run.name in self.scores:
                entry["score"] = self.scores[run.name].to_dict()
            tools.append(entry)
        return {
            "data_set": {"root": str(self.data.root), "source": self.data.source, "level": self.data.level,
                         "labels": len(self.data.files or self.data.lines),
                         "vulnerable": sum(1 for label in self.data.files if label.vulnerable)
                         + sum(1 for label in self.data.lines if label.kind == "vulnerable"),
                         "line_tolerance": LINE_TOLERANCE if self.data.level == "line" else None},
            "cwe_equivalence": {str(k): v for k, v in self.cwe_mapping().items()},
            "tools": tools,
        }


def run_bench(data: DataSet, tools: tuple[str, ...] = TOOLS, *, semgrep_rules: Path | None = None,
              timeout: float = DEFAULT_TIMEOUT, progress: Callable[[str], None] | None = None) -> BenchResult:
    """Run each named tool on the data set and score it. A tool that is
    missing, crashes or times out is recorded as such; the others still run."""
    result = BenchResult(data)
    for name in tools:
        if progress is not None:
            progress(name)
        if name == "secreview":
            run = run_secreview(data.root, timeout)
        elif name == "bandit":
            run = run_bandit(data.root, timeout)
        elif name == "semgrep":
            run = run_semgrep(data.root, semgrep_rules, timeout)
        else:
            raise ValueError(f"unknown tool {name!r} (known: {', '.join(TOOLS)})")
        result.runs.append(run)
        if run.status == "ok":
            result.scores[name] = score(data, run.findings)
    return result
