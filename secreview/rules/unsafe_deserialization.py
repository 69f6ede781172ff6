"""Deserialising data with a format that can run code.

## What it does
Finds `pickle`/`cPickle`/`dill`/`cloudpickle` loads (also through
`six.moves.cPickle`), `pickle.Unpickler`, `marshal.load(s)`,
`jsonpickle.decode`, `shelve.open` on a path that is not constant, and PyYAML
loading with a loader that can build arbitrary objects (`yaml.load` without a
safe `Loader=`, `yaml.unsafe_load`, `yaml.load_all`,
`Loader=yaml.Loader`/`UnsafeLoader`/`FullLoader`).

Not reported: `yaml.safe_load`, `yaml.load(..., Loader=yaml.SafeLoader)` (or
`CSafeLoader`, `BaseLoader`, a name bound only to one of them such as
`getattr(yaml, "CSafeLoader", yaml.SafeLoader)`, or a class of the module
derived only from them), `json.loads`, serialising with `dumps`, and loading
a constant literal.

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
_CODE_LOADERS = frozenset(
    {f"{m}.{f}" for m in _PICKLE_MODULES for f in ("load", "loads", "Unpickler")}
    | {"marshal.load", "marshal.loads", "jsonpickle.decode", "jsonpickle.loads",
       "yaml.unsafe_load", "yaml.unsafe_load_all"})
_YAML_LOADS = frozenset({"yaml.load", "yaml.load_all"})
_SAFE_YAML_LOADERS = frozenset({"SafeLoader", "CSafeLoader", "BaseLoader", "CBaseLoader"})
# `yaml.<unsafe call>` -> the safe call taking the same data argument.
_SAFE_YAML_CALLS = {"yaml.load": "safe_load", "yaml.load_all": "safe_load_all",
                    "yaml.unsafe_load": "safe_load", "yaml.unsafe_load_all": "safe_load_all"}
_MAX_LOADER_HOPS = 8


class UnsafeDeserialization(Rule):
    id = "py.unsafe-deserialization"
    name = "Deserialisation with a format that can run code"
    cwe = (502,)
    severity = Severity.HIGH
    bandit_ids = ("B301", "B302", "B506")
    taint_kinds = ("deserialization",)
    impact = "can make the deserialiser build arbitrary objects and run code while loading them"
    fix_description = ("Exchange untrusted data as JSON (`json.loads()`) or load YAML with `yaml.safe_load()`; "
                       "if objects must be restored, sign the data with HMAC and verify it before loading.")
    harmless_in_tests = True

    def check(self, ctx: FileContext) -> Iterator[Finding]:
        for call, qualified in ctx.calls():
            name = qualified.removeprefix("six.moves.")
            if name in _CODE_LOADERS:
                data = ctx.argument(call, 0)
                if data is not None and ctx.is_constant(data):
                    continue
                yield self._report(ctx, call, qualified, data, self._code_loader_fix(ctx, call, name))
            elif name in _YAML_LOADS:
                loader = ctx.keyword(call, "Loader") or ctx.argument(call, 1)
                if loader is not None and _is_safe_loader(ctx, loader):
                    continue
                data = ctx.argument(call, 0, "stream")
                if data is not None and ctx.is_constant(data):
                    continue
                yield self._report(ctx, call, qualified, data, self._yaml_fix(ctx, call, name, loader))
            elif name == "shelve.open":
                path = ctx.argument(call, 0, "filename")
                if path is None or ctx.is_constant(path):
                    continue
                yield self._report(ctx, call, qualified, path, Fix(
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
    def _code_loader_fix(ctx: FileContext, call: ast.Call, name: str) -> Fix:
        if name in _SAFE_YAML_CALLS:
            return _safe_yaml_call_fix(ctx, call, name)
        return Fix("Exchange the data as JSON (json.loads) or another data-only format; if it must "
                   "stay pickle, authenticate it with an HMAC and verify before loading.")

    @staticmethod
    def _yaml_fix(ctx: FileContext, call: ast.Call, name: str, loader: ast.AST | None) -> Fix:
        if loader is None:
            return _safe_yaml_call_fix(ctx, call, name)
        description = ("Load with Loader=yaml.SafeLoader (or yaml.safe_load()), which builds only "
                       "plain data types.")
        module = _yaml_module(ctx, loader)
        if module is None:
            return Fix(description)
        return Fix(description, ctx.replace_source(loader, f"{module}.SafeLoader", lines_of=call))


def _safe_yaml_call_fix(ctx: FileContext, call: ast.Call, name: str) -> Fix:
    """`yaml.load(blob)` -> `yaml.safe_load(blob)`, through the module's own name for yaml."""
    safe = _SAFE_YAML_CALLS[name]
    description = f"Load with yaml.{safe}(), which builds only plain data types."
    module = _yaml_module(ctx, call.func)
    if module is None:
        return Fix(description)
    return Fix(description, ctx.replace_source(call.func, f"{module}.{safe}", lines_of=call))


def _yaml_module(ctx: FileContext, expr: ast.AST) -> str | None:
    """How to spell the yaml module next to `expr`: the object of `yaml.X` /
    `y.X`, else the name `import yaml` binds in this file."""
    if isinstance(expr, ast.Attribute) and ctx.qualified_name(expr.value) == "yaml":
        return ctx.source_of(expr.value, limit=200)
    return ctx.module_alias("yaml")


def _is_safe_loader(ctx: FileContext, expr: ast.AST, hops: int = 0) -> bool:
    """`expr` is one of PyYAML's safe loaders, a name bound only to safe
    loaders, `getattr(yaml, "CSafeLoader", yaml.SafeLoader)`, or a class of
    this module whose bases are all safe loaders."""
    if hops > _MAX_LOADER_HOPS:
        return False
    qualified = ctx.qualified_name(expr) or ""
    if qualified.startswith("yaml.") and qualified.rsplit(".", 1)[-1] in _SAFE_YAML_LOADERS:
        return True
    if isinstance(expr, ast.Call) and ctx.call_name(expr) == "getattr" and 2 <= len(expr.args) <= 3:
        attribute = expr.args[1]
        return (ctx.qualified_name(expr.args[0]) == "yaml"
                and isinstance(attribute, ast.Constant) and attribute.value in _SAFE_YAML_LOADERS
                and (len(expr.args) == 2 or _is_safe_loader(ctx, expr.args[2], hops + 1)))
    if isinstance(expr, ast.Name):
        bindings = ctx.bindings_of(expr)
        classes = [b for b in bindings if isinstance(b, ast.ClassDef)]
        if bindings and len(classes) == len(bindings):
            return all(c.bases and all(_is_safe_loader(ctx, base, hops + 1) for base in c.bases)
                       for c in classes)
        values = ctx.assigned_values(expr)
        return values is not None and bool(values) and all(_is_safe_loader(ctx, v, hops + 1) for v in values)
    return False


RULE = UnsafeDeserialization()
