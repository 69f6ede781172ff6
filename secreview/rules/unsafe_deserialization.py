"""Deserialising data with a format that can run code.

## What it does
Finds `pickle`/`cPickle`/`dill`/`cloudpickle` loads, `pickle.Unpickler`,
`marshal.load(s)`, `jsonpickle.decode`, `shelve.open` on a path that is not
constant, and PyYAML loading with a loader that can build arbitrary objects
(`yaml.load` without a safe `Loader=`, `yaml.unsafe_load`, `yaml.load_all`,
`Loader=yaml.Loader`/`UnsafeLoader`/`FullLoader`).

Not reported: `yaml.safe_load`, `yaml.load(..., Loader=yaml.SafeLoader)` (or
`CSafeLoader`, `BaseLoader`), `json.loads`, serialising with `dumps`, and
loading a constant literal.

## Why is this bad?
Unpickling calls whatever constructor the data names (`__reduce__`), so a
crafted pickle runs commands on load; unsafe YAML loaders can instantiate any
Python object the same way. Anyone who can write the bytes (an upload, a
message queue, a cache shared with other tenants, a cookie) gets code
execution (CWE-502).

## Example
```python
def load_settings(blob):
    return yaml.load(blob, Loader=yaml.Loader)
```

## Use instead
Use a data-only format and a safe loader:
```python
def load_settings(blob):
    return yaml.safe_load(blob)
```
For pickle, switch to JSON (or sign the payload with HMAC and verify before
loading when it must stay pickle and never leaves your control).

## References
- https://cwe.mitre.org/data/definitions/502.html
- https://docs.python.org/3/library/pickle.html (the warning at the top)
- https://pyyaml.org/wiki/PyYAMLDocumentation
"""

from __future__ import annotations

import ast
from typing import Iterator

from secreview.model import Confidence, Finding, Fix, Severity
from secreview.python.context import FileContext
from secreview.rules.base import Rule, origin_trace

_PICKLE_MODULES = ("pickle", "cPickle", "_pickle", "dill", "cloudpickle")
_CODE_LOADERS = {f"{m}.{f}" for m in _PICKLE_MODULES for f in ("load", "loads", "Unpickler")}
_CODE_LOADERS |= {"marshal.load", "marshal.loads", "jsonpickle.decode", "jsonpickle.loads",
                  "yaml.unsafe_load", "yaml.unsafe_load_all"}
_YAML_LOADS = {"yaml.load", "yaml.load_all"}
_SAFE_YAML_LOADERS = {"SafeLoader", "CSafeLoader", "BaseLoader", "CBaseLoader"}


class UnsafeDeserialization(Rule):
    id = "py.unsafe-deserialization"
    name = "Deserialisation with a format that can run code"
    cwe = (502,)
    severity = Severity.HIGH
    bandit_ids = ("B301", "B302", "B506")
    harmless_in_tests = True

    def check(self, ctx: FileContext) -> Iterator[Finding]:
        for call, name in ctx.calls():
            if name in _CODE_LOADERS:
                data = ctx.argument(call, 0)
                if data is not None and ctx.is_constant(data):
                    continue
                yield self._report(ctx, call, name, data, self._pickle_fix(name))
            elif name in _YAML_LOADS:
                loader = ctx.keyword(call, "Loader") or ctx.argument(call, 1)
                loader_name = (ctx.qualified_name(loader) or "") if loader is not None else ""
                if loader_name.rsplit(".", 1)[-1] in _SAFE_YAML_LOADERS:
                    continue
                data = ctx.argument(call, 0, "stream")
                if data is not None and ctx.is_constant(data):
                    continue
                yield self._report(ctx, call, name, data, self._yaml_fix(ctx, call, name, loader))
            elif name == "shelve.open":
                path = ctx.argument(call, 0, "filename")
                if path is None or ctx.is_constant(path):
                    continue
                yield self._report(ctx, call, name, path, Fix(
                    "Store the data as JSON (or in a database) instead of a shelf; a shelf "
                    "is a pickle store and loads code from whoever can write the file."),
                    severity=Severity.MEDIUM)

    def _report(self, ctx: FileContext, call: ast.Call, name: str, data: ast.AST | None, fix: Fix,
                severity: Severity | None = None) -> Finding:
        trace, where = origin_trace(ctx, ctx.non_constant_parts(data) if data is not None else [])
        what = f"`{ctx.source_of(data)}`" if data is not None else "its input"
        explanation = (
            f"`{name}` can construct arbitrary objects, and so run code, from {what}"
            f"{f' ({where})' if where else ''}. Anyone who can write those bytes controls "
            "what runs when they are loaded."
        )
        return self.finding(
            ctx, call,
            message=f"`{name}` deserialises {what} with a format that can execute code.",
            explanation=explanation, fix=fix, confidence=Confidence.MEDIUM,
            severity=severity, trace=trace,
        )

    @staticmethod
    def _pickle_fix(name: str) -> Fix:
        return Fix("Exchange the data as JSON (json.loads) or another data-only format; if it must "
                   "stay pickle, authenticate it with an HMAC and verify before loading.")

    def _yaml_fix(self, ctx: FileContext, call: ast.Call, name: str, loader: ast.AST | None) -> Fix:
        description = ("Load with yaml.safe_load() (or Loader=yaml.SafeLoader), which builds only "
                       "plain data types.")
        if loader is None and name == "yaml.load":
            replacement = self.replace_in_lines(ctx, call, ctx.source_of(call.func, 200) + "(",
                                                ctx.source_of(call.func, 200).rsplit(".", 1)[0] + ".safe_load("
                                                if "." in ctx.source_of(call.func, 200) else "safe_load(")
        elif loader is not None:
            old = ctx.source_of(loader, 200)
            prefix = old.rsplit(".", 1)[0] + "." if "." in old else ""
            replacement = self.replace_in_lines(ctx, call, old, prefix + "SafeLoader")
        else:
            replacement = None
        return Fix(description, replacement)


RULE = UnsafeDeserialization()
