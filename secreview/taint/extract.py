"""Per-file taint facts: a flow-sensitive walk over each function.

For every function (and the module's own top-level code) the extractor
interprets the statements in order, keeping for each local name (and for
`obj.attr` and `d["key"]` access paths) the set of labels its value may
carry. The result is symbolic: parameters, results of calls into the project
and attributes of project classes stay as placeholders, so the facts of one
file never depend on another file and the project-wide solver
(`secreview.taint.solve`) combines them without any syntax tree.

Precision comes from: constant conditions folded and dead branches skipped;
strong updates (a name overwritten by a constant is clean again); sanitisers
per sink kind; guards (`if x not in ALLOWED: abort()`); and the position of
data in a URL (after a fixed host, data cannot change where a request goes).

Work is bounded per function (`MAX_STEPS`), the top-level code counting as
one; a function that exceeds it is summarised conservatively (every
parameter may reach the return value) and counted in the review's
statistics.
"""

from __future__ import annotations

import ast
import hashlib
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Iterable

from secreview.model import Confidence, TraceStep
from secreview.python.context import FileContext, children
from secreview.rules.base import place
from secreview.taint.facts import (
    ALL_KINDS, EMPTY, Attr, CallSite, FunctionFacts, Global, Labels, Opaque, Param, Ret, SinkSite, Source,
    clear, extend, union,
)
from secreview.taint.models import CallSpec, Models, SinkSpec
from secreview.taint.reuse import (
    BOUNDED, CLASS, COUNT, DEAD, DEAD_COUNT, FUNCTIONS, MIN_FUNCTIONS, SINKS, Fingerprint, Reuse,
)

MAX_STEPS = 60_000  # expression and statement visits per function
_LOOP_PASSES = 2
_FIXED_HOST = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://[^/?#{}%\s]+[/?#]")
_FIXED_LOCAL = re.compile(r"^/[^/\\]")
_POSITION_SAFE = frozenset({"ssrf", "redirect"})
_MUTATORS = frozenset({"append", "extend", "insert", "add", "update", "setdefault", "appendleft",
                       "extendleft", "put", "put_nowait", "write", "writelines"})
_VALIDATING_METHODS = frozenset({"isdigit", "isdecimal", "isnumeric", "isalnum", "isalpha",
                                 "isidentifier", "isascii"})
_NORMALISERS = ("realpath", "abspath", "normpath", "resolve", "safe_join", "secure_filename")
_TERMINATING_CALLS = frozenset({"flask.abort", "werkzeug.exceptions.abort", "sys.exit", "exit", "quit",
                                "os._exit", "os.abort", "pecan.abort", "fastapi.HTTPException"})


class _OutOfBudget(Exception):
    pass


@dataclass
class ClassInfo:
    qualname: str
    bases: list[str]  # access paths of the bases (project classes or library classes)
    methods: set[str] = field(default_factory=set)


@dataclass
class ModuleFacts:
    module: str
    path: str
    functions: list[FunctionFacts] = field(default_factory=list)
    classes: dict[str, ClassInfo] = field(default_factory=dict)
    # module-level names whose value may carry labels (of the <module> function)
    exports: dict[str, Labels] = field(default_factory=dict)
    # (line, kind) of sink calls no data with any origin reaches
    clean_sinks: set[tuple[int, str]] = field(default_factory=set)
    # (first, last) lines of statements that constant conditions never run
    dead: list[tuple[int, int]] = field(default_factory=list)
    bounded: int = 0
    # What reusing these facts after an edit checks (`secreview.taint.reuse`);
    # None for a file with few functions.
    fingerprint: Fingerprint | None = None
    reused: int = field(default=0, compare=False)  # functions whose facts came from the last extraction

    @property
    def module_function(self) -> str:
        return f"{self.module}.<module>"


def module_name(path: str, abspath: str | None = None) -> tuple[str, bool]:
    """Dotted module name of a file, and whether it is a package's
    `__init__`. With `abspath`, the name is what Python would import it as:
    the folders above it that are packages (hold an `__init__.py`), so it
    does not depend on where the review starts. Without, the path relative
    to the review root."""
    if abspath is not None:
        folder, name = os.path.split(abspath)
        parts = [os.path.splitext(name)[0], *_packages_at(folder)]
        parts.reverse()
    else:
        parts = (path[:-3] if path.endswith(".py") else path).split("/")
    is_package = parts[-1] == "__init__"
    if is_package:
        parts = parts[:-1]
    return ".".join(p for p in parts if p) or "__main__", is_package


@lru_cache(maxsize=4096)
def _packages_at(folder: str) -> tuple[str, ...]:
    """The names of `folder` and of the folders above it, nearest first, as
    long as each is a package (at most 31): the files of one folder share
    them."""
    names: list[str] = []
    while _is_package(folder) and len(names) < 31:
        folder, name = os.path.split(folder)
        names.append(name)
    return tuple(names)


@lru_cache(maxsize=4096)
def _is_package(folder: str) -> bool:
    return os.path.isfile(os.path.join(folder, "__init__.py"))


_MAX_KNOWN = 1 << 16  # answers `ProjectModules` remembers (a worker sees many files)


class ProjectModules:
    """The dotted names of every module under review, so a call can be told
    apart as going into the project (summarised) or into a library (modelled)."""

    def __init__(self, names: Iterable[str], folders: Iterable[str] = ()):
        self.names = set(names)
        self.tops = {n.split(".", 1)[0] for n in self.names}
        # Dotted folders above import roots (`app` for `app/db.py` when `app/`
        # is no package): `app.db` may name module `db` as a namespace import.
        self.folders = set(folders)
        self._known: dict[str, bool] = {}  # path -> contains(path): a file asks for the same few often

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_known": {}}

    def digest(self) -> bytes:
        """Of the names and folders (a file's facts depend on them)."""
        found = self.__dict__.get("_digest")
        if found is None:
            text = "\0".join([*sorted(self.names), "", *sorted(self.folders)])
            found = self._digest = hashlib.blake2b(text.encode(), digest_size=16).digest()
        return found

    def contains(self, path: str) -> bool:
        """Whether `path` (`pkg.mod.func`, `pkg.mod.Class().method`) names a
        project module: from its start, or after a project folder that holds
        an import root. `http.server` stays the standard library even when
        the project has its own `server.py`."""
        known = self._known.get(path)
        if known is None:
            if len(self._known) >= _MAX_KNOWN:
                self._known.clear()
            known = self._known[path] = self._contains(path)
        return known

    def _contains(self, path: str) -> bool:
        parts = path.replace("()", "").split(".")
        for start in range(min(3, len(parts))):
            if start and ".".join(parts[:start]) not in self.folders:
                break
            if parts[start] not in self.tops:
                continue
            for end in range(len(parts), start, -1):
                if ".".join(parts[start:end]) in self.names:
                    return True
        return False


def extract(ctx: FileContext, models: Models, module: str, is_package: bool,
            project: ProjectModules, aliases: dict[str, str] | None = None,
            previous: ModuleFacts | None = None) -> ModuleFacts:
    """The file's taint facts. `aliases` renames the top-level name of
    absolute imports (a project module that got a unique name, see
    engine._module_names). `previous`: the facts of an earlier text of the
    file, extracted with the same models and aliases, whose unchanged
    functions' facts are taken over (`secreview.taint.reuse`)."""
    return _ModuleExtractor(ctx, models, module, is_package, project, aliases).run(previous)


class _ModuleExtractor:
    def __init__(self, ctx: FileContext, models: Models, module: str, is_package: bool, project: ProjectModules,
                 aliases: dict[str, str] | None = None):
        self.aliases = aliases or {}
        self.ctx = ctx
        self.models = models
        self.module = module
        self.package = module if is_package else module.rpartition(".")[0]
        self.project = project
        self.facts = ModuleFacts(module, ctx.path)
        self.module_types: dict[str, str] = {}
        self.defs: dict[str, str] = {}  # module-level def/class name -> qualified name
        self.imports: dict[str, str] = {}
        self._locals: dict[int, set[str]] = {}
        self._unit_sinks: list[tuple[int, str]] | None = None  # the clean sinks of the unit being walked
        for local, target in ctx.imports.items():
            self.imports[local] = self._absolute(target)

    def _absolute(self, target: str) -> str:
        if not target.startswith("."):
            top, dot, rest = target.partition(".")
            return self.aliases[top] + dot + rest if top in self.aliases else target
        level = len(target) - len(target.lstrip("."))
        base = self.package.split(".") if self.package else []
        if level > 1:
            base = base[: len(base) - (level - 1)]
        rest = target[level:]
        return ".".join([*base, rest] if rest else base)

    # ------------------------------------------------------------------ run
    def run(self, previous: ModuleFacts | None = None) -> ModuleFacts:
        tree = self.ctx.tree
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                self.defs[node.name] = f"{self.module}.{node.name}"
        for node in self.ctx.nodes(ast.ClassDef):
            qual = self._qualname(node)
            info = ClassInfo(qual, [])
            for base in node.bases:
                path = self.static_path(base)
                if path:
                    info.bases.append(path)
            info.methods = {b.name for b in node.body if isinstance(b, (ast.FunctionDef, ast.AsyncFunctionDef))}
            self.facts.classes[qual] = info
        # Module-level code first: its names are what functions read as globals.
        module_fn = _FunctionWalker(self, None, self.facts.module_function, [])
        try:
            module_fn.walk_body(tree.body)
        except _OutOfBudget:  # a large table of data at the top level: bounded as a function is
            module_fn.give_up()
            self.facts.bounded += 1
        self.facts.functions.append(module_fn.finish())
        for name, labels in module_fn.env.items():
            if labels and "." not in name and "\0" not in name and self._is_module_variable(name):
                self.facts.exports[name] = labels
        self.module_types = {k: v for k, v in module_fn.types.items() if "." not in k}
        functions = self.ctx.functions
        if len(functions) < MIN_FUNCTIONS:
            for node in functions:
                self._walk(node)
            return self.facts
        self._by_units(Reuse(self, previous))
        return self.facts

    def _walk(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        walker = _FunctionWalker(self, node, self._qualname(node), self._params(node))
        try:
            walker.start()
            walker.walk_body(node.body)
        except (_OutOfBudget, RecursionError):
            walker.give_up()
            self.facts.bounded += 1
        self.facts.functions.append(walker.finish())

    def _by_units(self, reuse: Reuse) -> None:
        """The functions' facts unit by unit (`secreview.taint.reuse`): the
        previous extraction's where they still hold, else walked; and the
        fingerprint that lets the next extraction do the same."""
        facts, ctx, functions = self.facts, self.ctx, self.ctx.functions
        previous = reuse.previous
        records = reuse.fingerprint.units
        for node, first, last, start, end in reuse.units:
            qualname = self._qualname(node)
            digest = reuse.unit_digest(first, last)
            at, dead_at = len(facts.functions), len(facts.dead)
            old = reuse.take(node, qualname, first, last, digest)
            if old is not None and previous is not None:
                facts.functions.extend(previous.functions[old[FUNCTIONS]:old[FUNCTIONS] + old[COUNT]])
                facts.dead.extend(previous.dead[old[DEAD]:old[DEAD] + old[DEAD_COUNT]])
                facts.clean_sinks.update(old[SINKS])
                facts.bounded += old[BOUNDED]
                facts.reused += old[COUNT]
                sinks, bounded, klass = old[SINKS], old[BOUNDED], old[CLASS]
            else:
                self._unit_sinks = []
                reads, bounded = ctx.attribute_reads, facts.bounded
                for function in functions[start:end]:
                    self._walk(function)
                sinks, self._unit_sinks = tuple(self._unit_sinks), None
                bounded = facts.bounded - bounded
                klass = reuse.class_key(node) if ctx.attribute_reads != reads else None
            records.append((qualname, first, last, digest, at, end - start, dead_at, len(facts.dead) - dead_at,
                            sinks, bounded, klass))
        facts.fingerprint = reuse.fingerprint

    def clean_sink(self, line: int, kind: str) -> None:
        self.facts.clean_sinks.add((line, kind))
        if self._unit_sinks is not None:
            self._unit_sinks.append((line, kind))

    def local_names(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
        """Every name a function binds itself (parameters, assignments, loop
        and `with` targets, imports, nested defs), not its nested scopes'."""
        cached = self._locals.get(id(node))
        if cached is not None:
            return cached
        args = node.args
        names = {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]}
        if args.vararg:
            names.add(args.vararg.arg)
        if args.kwarg:
            names.add(args.kwarg.arg)
        declared: set[str] = set()
        stack: list[ast.AST] = list(node.body)
        scopes = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
        skipped = (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
        while stack:
            current = stack.pop()
            kind = type(current)
            if kind is ast.Name:
                if not isinstance(current.ctx, ast.Load):  # type: ignore[attr-defined]
                    names.add(current.id)  # type: ignore[attr-defined]
                continue
            if kind in scopes:
                names.add(current.name)  # type: ignore[attr-defined]
                continue
            if kind in skipped:
                continue
            if kind is ast.Import or kind is ast.ImportFrom:
                names.update((a.asname or a.name).split(".")[0] for a in current.names)  # type: ignore[attr-defined]
                continue
            if kind is ast.ExceptHandler and current.name:  # type: ignore[attr-defined]
                names.add(current.name)  # type: ignore[attr-defined]
            elif kind is ast.Global or kind is ast.Nonlocal:
                declared.update(current.names)  # type: ignore[attr-defined]
                continue
            stack.extend(children(current))
        names -= declared
        self._locals[id(node)] = names
        return names

    def _is_module_variable(self, name: str) -> bool:
        bindings = self.ctx.module_bindings.get(name, [])
        return bool(bindings) and not any(
            isinstance(b, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
            for b in bindings)

    def _qualname(self, node: ast.AST) -> str:
        names = [node.name]  # type: ignore[attr-defined]
        for anc in self.ctx.ancestors(node):
            if isinstance(anc, ast.ClassDef):
                names.append(anc.name)
            elif isinstance(anc, (ast.FunctionDef, ast.AsyncFunctionDef)):
                names.extend(["<locals>", anc.name])
        return ".".join([self.module, *reversed(names)])

    @staticmethod
    def _params(node: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
        args = node.args
        names = [a.arg for a in [*args.posonlyargs, *args.args]]
        if args.vararg:
            names.append("*" + args.vararg.arg)
        names.extend(a.arg for a in args.kwonlyargs)
        if args.kwarg:
            names.append("**" + args.kwarg.arg)
        return names

    def static_path(self, node: ast.AST) -> str | None:
        """Access path of a name/attribute chain through imports and module
        definitions only (for bases and decorators)."""
        parts: list[str] = []
        while isinstance(node, (ast.Attribute, ast.Call)):
            if isinstance(node, ast.Call):
                inner = self.static_path(node.func)
                if inner is None:
                    return None
                parts.append(inner + "()")
                return ".".join(reversed(parts))
            parts.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name):
            return None
        head = node.id
        resolved = (self.imports.get(head) or self.defs.get(head) or self.module_types.get(head) or head)
        parts.append(resolved)
        return ".".join(reversed(parts))


def _short_text(node: ast.AST) -> str | None:
    """`a.b.c` for a plain dotted name, without slicing the source."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name) or len(parts) > 4:
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def _node_step(path: str, node: ast.AST, note: str) -> TraceStep:
    return TraceStep(path, getattr(node, "lineno", 0), note)


class _FunctionWalker:
    """Abstract interpretation of one function body."""

    def __init__(self, mod: _ModuleExtractor, node: ast.FunctionDef | ast.AsyncFunctionDef | None,
                 qualname: str, params: list[str]):
        self.mod = mod
        self.ctx = mod.ctx
        self.models = mod.models
        self.path = mod.ctx.path
        self.node = node
        self.facts = FunctionFacts(qualname, self.path, params)
        self.env: dict[str, Labels] = {}
        self.types: dict[str, str] = {}
        self.children: dict[str, set[str]] = {}
        self.steps = 0
        self.call_ids: dict[int, int] = {}
        self.sink_index: dict[tuple[int, int, str], int] = {}
        self.param_attrs: dict[str, dict[str, str]] = {}  # parameter -> untrusted attribute -> label
        self.self_name: str | None = None
        self.owner: str | None = None  # qualified name of the enclosing class, for methods
        self.owner_sources: dict[str, str] = {}  # self.<attr> -> label (request handler classes)
        self.external_bases: list[str] = []
        self.route_return: str | None = None
        self.return_items: list[Labels] | None = None  # [] once a return is not a same-length tuple
        self.locals: set[str] = set()
        self.is_module = node is None
        self.enclosing_locals: set[str] = set()
        if node is not None:
            # Locals are the names assigned so far (the environment) plus the
            # parameters; only a nested function needs the full binding
            # lists, to tell its enclosing function's names from globals.
            args = node.args
            self.locals = {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]}
            for anc in self.ctx.ancestors(node):
                if isinstance(anc, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    self.enclosing_locals |= mod.local_names(anc)
            if self.enclosing_locals:
                self.locals = mod.local_names(node)

    # ------------------------------------------------------------ set-up
    def start(self) -> None:
        node = self.node
        assert node is not None
        parent = self.ctx.parent(node)
        kind = "function"
        decorators = [self.mod.static_path(d.func if isinstance(d, ast.Call) else d) or "" for d in node.decorator_list]
        if isinstance(parent, ast.ClassDef):
            self.owner = self.mod._qualname(parent)
            kind = "staticmethod" if "staticmethod" in decorators else (
                "classmethod" if "classmethod" in decorators else "method")
            info = self.mod.facts.classes.get(self.owner)
            if info:
                for base in info.bases:
                    source = self.models.base_sources.get(base)
                    if source:
                        for attr in source[0]:
                            self.owner_sources[attr] = source[1]
                    if not self.mod.project.contains(base):
                        self.external_bases.append(base)
        self.facts.kind = kind
        route = None
        for decorator in decorators:
            route = self.models.routes.get(decorator)
            if route:
                break
        if route is not None:
            self.route_return = route.returns
        args = node.args
        positional = [*args.posonlyargs, *args.args]
        defaults: dict[str, ast.expr] = {}
        for arg, default in zip(reversed(positional), reversed(args.defaults)):
            defaults[arg.arg] = default
        for arg, default in zip(args.kwonlyargs, args.kw_defaults):
            if default is not None:
                defaults[arg.arg] = default
        all_args = [*positional]
        if args.vararg:
            all_args.append(args.vararg)
        all_args.extend(args.kwonlyargs)
        if args.kwarg:
            all_args.append(args.kwarg)
        for index, arg in enumerate(all_args):
            name = arg.arg
            if index == 0 and kind in ("method", "classmethod"):
                self.self_name = name
                self.env[name] = EMPTY
                continue
            annotation = self.mod.static_path(arg.annotation) if arg.annotation is not None else None
            source = self._param_source(name, annotation)
            if route is not None and route.parameters and not self._framework_default(defaults.get(name)):
                self.env[name] = self._source_labels(route.label, name, arg)
            elif source is not None and source[0] is None:
                self.env[name] = self._source_labels(source[1], name, arg)
            else:
                if source is not None:
                    self.param_attrs[name] = source[0]  # type: ignore[assignment]
                self.env[name] = {(Param(index), frozenset()): (
                    TraceStep(self.path, arg.lineno, f"parameter `{name}` of `{node.name}()`"),)}

    def _framework_default(self, default: ast.expr | None) -> bool:
        """`Depends(...)`-style defaults: the framework, not the client, supplies the value."""
        if isinstance(default, ast.Call):
            name = self.mod.static_path(default.func) or ""
            return name.rsplit(".", 1)[-1] in ("Depends", "Security")
        return False

    def _param_source(self, name: str, annotation: str | None) -> tuple[dict[str, str] | None, str] | None:
        """What of a parameter is untrusted: (attribute -> label, or None for
        the whole parameter; label). An annotation decides alone; a bare name
        such as `request` gets the attributes of every framework using it."""
        matches = [s for s in self.models.param_sources if annotation is not None and annotation in s.annotations]
        if not matches and (annotation is None or not self.mod.project.contains(annotation)):
            matches = [s for s in self.models.param_sources if name in s.names]
        if not matches:
            return None
        whole = [s for s in matches if s.attributes is None]
        if whole:
            return None, whole[0].label
        if len(matches) > 1:
            # Matched by name alone in several frameworks: say what is known.
            label = f"HTTP request data (`{name}` parameter)"
            attributes = {a: label for source in matches for a in source.attributes or ()}
            return attributes, label
        return {a: matches[0].label for a in matches[0].attributes or ()}, matches[0].label

    def _source_labels(self, label: str, code: str, node: ast.AST, path: str | None = None) -> Labels:
        line = getattr(node, "lineno", 0)
        source = Source(label, code, self.path, line, Confidence.HIGH)
        return {(source, frozenset()): (TraceStep(self.path, line, f"`{code}` ({label})"),)}

    # -------------------------------------------------------------- finish
    def finish(self) -> FunctionFacts:
        if self.return_items:
            self.facts.return_items = self.return_items
        return self.facts

    def give_up(self) -> None:
        """Budget exhausted: every parameter may reach the return value."""
        self.facts.bounded = True
        labels = [self.env.get(p.lstrip("*"), EMPTY) for p in self.facts.params]
        self.facts.returns = union(self.facts.returns, *labels)

    # -------------------------------------------------------- statements
    def walk_body(self, body: list[ast.stmt]) -> bool:
        """Interpret statements in order; True when the block always leaves
        (return, raise, continue, break, abort())."""
        for stmt in body:
            if self.walk(stmt):
                return True
        return False

    def walk(self, stmt: ast.stmt) -> bool:
        self.steps += 1  # the budget, inline: this runs for every statement and expression
        if self.steps > MAX_STEPS:
            raise _OutOfBudget()
        method = _STATEMENTS.get(stmt.__class__, _dispatch)
        if method is _dispatch:
            method = _dispatch(_STATEMENTS, "s_", stmt.__class__)
        if method is not None:
            return bool(method(self, stmt))
        # Anything else: evaluate its expressions for the calls inside.
        for child in children(stmt):
            if isinstance(child, ast.expr):
                self.ev(child)
        return False

    def s_FunctionDef(self, stmt: ast.AST) -> bool:
        for decorator in getattr(stmt, "decorator_list", []):
            self.ev(decorator)
        if not self.is_module:  # module-level definitions are resolved by name
            self.assign_name(stmt.name, EMPTY)  # type: ignore[attr-defined]
        return False

    s_AsyncFunctionDef = s_FunctionDef
    s_ClassDef = s_FunctionDef

    def s_Import(self, stmt: ast.AST) -> bool:
        return False

    s_ImportFrom = s_Import
    s_Global = s_Import
    s_Nonlocal = s_Import
    s_Pass = s_Import

    def s_Expr(self, stmt: ast.Expr) -> bool:
        self.ev(stmt.value)
        value = stmt.value
        if isinstance(value, ast.Await):
            value = value.value
        if isinstance(value, ast.Call):
            return self.call_path(value.func) in _TERMINATING_CALLS
        return False

    def s_Return(self, stmt: ast.Return) -> bool:
        value = stmt.value
        if isinstance(value, ast.Tuple) and not any(isinstance(e, ast.Starred) for e in value.elts):
            items = [self.ev(e) for e in value.elts]
            if self.return_items is None:
                self.return_items = items
            elif self.return_items and len(self.return_items) == len(items):
                self.return_items = [union(a, b) for a, b in zip(self.return_items, items)]
            else:
                self.return_items = []
        else:
            self.return_items = []
        if stmt.value is not None:
            labels = self.ev(stmt.value)
            if labels:
                self.facts.returns = union(self.facts.returns, labels)
            if self.route_return and labels:
                body = stmt.value
                if isinstance(body, ast.Tuple) and body.elts:
                    body = body.elts[0]  # (body, status[, headers])
                if not isinstance(body, (ast.Dict, ast.List, ast.DictComp, ast.ListComp)):
                    body_labels = self.ev(body) if body is not stmt.value else labels
                    if body_labels:
                        self.record_sink(stmt, SinkSpec(self.route_return, (), "returned as the HTML response body"),
                                         body_labels, "return")
        return True

    def s_Raise(self, stmt: ast.Raise) -> bool:
        if stmt.exc is not None:
            self.ev(stmt.exc)
        return True

    def s_Continue(self, stmt: ast.AST) -> bool:
        return True

    s_Break = s_Continue

    def s_Delete(self, stmt: ast.Delete) -> bool:
        for target in stmt.targets:
            key = self.key_of(target)
            if key is not None:
                self.set_key(key, EMPTY)
        return False

    def s_Assign(self, stmt: ast.Assign) -> bool:
        labels = self.ev(stmt.value)
        for target in stmt.targets:
            self.assign(target, labels, stmt.value)
        return False

    def s_AnnAssign(self, stmt: ast.AnnAssign) -> bool:
        if stmt.value is not None:
            self.assign(stmt.target, self.ev(stmt.value), stmt.value)
        return False

    def s_AugAssign(self, stmt: ast.AugAssign) -> bool:
        labels = self.ev(stmt.value)
        old = self.ev(stmt.target) if not isinstance(stmt.target, ast.Name) else self.env.get(stmt.target.id, EMPTY)
        if isinstance(stmt.target, ast.Name):
            self.types.pop(stmt.target.id, None)
        self.assign(stmt.target, union(old, labels), None)
        return False

    def s_If(self, stmt: ast.If) -> bool:
        value = self.fold(stmt.test)
        if value is not _UNKNOWN:
            self.mark_dead(stmt.orelse if value else stmt.body)
            return self.walk_body(stmt.body if value else stmt.orelse)
        self.ev(stmt.test)
        when_true, when_false = self.guards(stmt.test)
        before = self.env
        self.env = self.apply_guards(dict(before), when_true)
        body_leaves = self.walk_body(stmt.body)
        after_body = self.env
        self.env = self.apply_guards(dict(before), when_false)
        else_leaves = self.walk_body(stmt.orelse)
        after_else = self.env
        if body_leaves and else_leaves:
            self.env = after_else
            return True
        if body_leaves:
            self.env = after_else
        elif else_leaves:
            self.env = after_body
        else:
            self.env = self.join(after_body, after_else)
        return False

    def mark_dead(self, body: list[ast.stmt]) -> None:
        """Code a constant condition never runs: no rule reports it."""
        if body:
            self.mod.facts.dead.append((body[0].lineno, body[-1].end_lineno or body[-1].lineno))

    def s_While(self, stmt: ast.While) -> bool:
        value = self.fold(stmt.test)
        if value is not _UNKNOWN and not value:
            self.mark_dead(stmt.body)
            return self.walk_body(stmt.orelse)
        before = self.env
        for _ in range(_LOOP_PASSES):
            self.ev(stmt.test)
            start = self.env
            self.env = dict(start)
            self.walk_body(stmt.body)
            self.env = self.join(start, self.env)
        self.env = self.join(before, self.env)
        self.walk_body(stmt.orelse)
        return False

    def s_For(self, stmt: ast.For | ast.AsyncFor) -> bool:
        labels = self.ev(stmt.iter)
        before = self.env
        for _ in range(_LOOP_PASSES):
            start = self.env
            self.env = dict(start)
            self.assign(stmt.target, labels, None)
            self.walk_body(stmt.body)
            self.env = self.join(start, self.env)
        self.env = self.join(before, self.env)
        self.walk_body(stmt.orelse)
        return False

    s_AsyncFor = s_For

    def s_With(self, stmt: ast.With | ast.AsyncWith) -> bool:
        for item in stmt.items:
            labels = self.ev(item.context_expr)
            if item.optional_vars is not None:
                self.assign(item.optional_vars, labels, item.context_expr)
        return self.walk_body(stmt.body)

    s_AsyncWith = s_With

    def s_Try(self, stmt: ast.Try) -> bool:
        before = self.env
        self.env = dict(before)
        body_leaves = self.walk_body(stmt.body)
        after_body = self.env
        exits = []
        if not body_leaves:
            self.env = dict(after_body)
            if not self.walk_body(stmt.orelse):
                exits.append(self.env)
        start = self.join(before, after_body)
        for handler in stmt.handlers:
            self.env = dict(start)
            if handler.type is not None:
                self.ev(handler.type)
            if handler.name:
                self.assign_name(handler.name, EMPTY)
            if not self.walk_body(handler.body):
                exits.append(self.env)
        if exits:
            env = exits[0]
            for other in exits[1:]:
                env = self.join(env, other)
            self.env = env
        else:
            self.env = start
        final_leaves = self.walk_body(stmt.finalbody)
        return final_leaves or not exits

    s_TryStar = s_Try

    def s_Match(self, stmt: ast.AST) -> bool:
        subject = self.ev(stmt.subject)  # type: ignore[attr-defined]
        before = self.env
        exits = []
        for case in stmt.cases:  # type: ignore[attr-defined]
            self.env = dict(before)
            for node in ast.walk(case.pattern):
                name = getattr(node, "name", None)
                if isinstance(name, str):
                    self.assign_name(name, subject)
            if case.guard is not None:
                self.ev(case.guard)
            if not self.walk_body(case.body):
                exits.append(self.env)
        env = before
        for other in exits:
            env = self.join(env, other)
        self.env = env
        return False

    def s_Assert(self, stmt: ast.Assert) -> bool:
        self.ev(stmt.test)
        when_true, _ = self.guards(stmt.test)
        self.env = self.apply_guards(self.env, when_true)
        return False

    # -------------------------------------------------------- environment
    def join(self, a: dict[str, Labels], b: dict[str, Labels]) -> dict[str, Labels]:
        if a is b:
            return a
        out = dict(a)
        for key, labels in b.items():
            old = out.get(key)
            if old is None:
                out[key] = labels
            elif old is not labels:
                out[key] = union(old, labels)
        return out

    def key_of(self, node: ast.AST) -> str | None:
        """The environment key of an assignable expression: `x`, `x.attr`,
        `x\\0key` (a constant item), or None."""
        if isinstance(node, ast.Name):
            return node.id
        if isinstance(node, ast.Attribute):
            base = self.key_of(node.value)
            return f"{base}.{node.attr}" if base is not None else None
        if isinstance(node, ast.Subscript):
            base = self.key_of(node.value)
            if base is None:
                return None
            if isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, (str, int)):
                return f"{base}\0{node.slice.value!r}"
            return None
        return None

    def set_key(self, key: str, labels: Labels) -> None:
        self.env[key] = labels
        for sep in (".", "\0"):
            if sep in key:
                base = key[: max(key.rfind("."), key.rfind("\0"))]
                self.children.setdefault(base, set()).add(key)
                break
        # A new value for `x` replaces what `x.attr` and `x[...]` held.
        for child in self.children.pop(key, ()):
            self.env.pop(child, None)

    def read_key(self, key: str) -> Labels | None:
        """Labels of `key` with everything stored under it; None if unknown."""
        labels = self.env.get(key)
        kids = self.children.get(key)
        if kids:
            parts = [labels or EMPTY]
            for child in kids:
                sub = self.read_key(child)
                if sub:
                    parts.append(sub)
            return union(*parts)
        return labels

    def assign_name(self, name: str, labels: Labels) -> None:
        self.set_key(name, labels)
        self.types.pop(name, None)

    def assign(self, target: ast.AST, labels: Labels, value: ast.AST | None) -> None:
        if isinstance(target, ast.Name):
            if labels:
                labels = extend(labels, _node_step(self.path, target, f"assigned to `{target.id}`"))
            self.set_key(target.id, labels)
            path = self.value_path(value) if value is not None else None
            if path is not None:
                self.types[target.id] = path
            else:
                self.types.pop(target.id, None)
            return
        if isinstance(target, (ast.Tuple, ast.List)):
            starred = any(isinstance(e, ast.Starred) for e in target.elts)
            origins = {origin for origin, _ in labels}
            if isinstance(value, (ast.Tuple, ast.List)) and len(value.elts) == len(target.elts) and not starred:
                for sub, item in zip(target.elts, value.elts):
                    self.assign(sub, self.ev(item), item)
            elif isinstance(value, (ast.Call, ast.Await)) and not starred and len(origins) == 1 and isinstance(
                    next(iter(origins)), Ret):
                # a, b = helper(): each name gets its own item of the returned tuple
                ret = next(iter(origins))
                for index, sub in enumerate(target.elts):
                    item = {(Ret(ret.call, index), cleared): trace for (_, cleared), trace in labels.items()}
                    self.assign(sub, item, None)
            else:
                for sub in target.elts:
                    self.assign(sub.value if isinstance(sub, ast.Starred) else sub, labels, None)
            return
        if isinstance(target, ast.Starred):
            self.assign(target.value, labels, None)
            return
        if isinstance(target, ast.Attribute):
            self.ev(target.value)
            key = self.key_of(target)
            if key is not None:
                self.set_key(key, labels)
            self.store_sink(target, labels)
            owner = self.attr_owner(target.value)
            if owner is not None and labels:
                site = self.site(target, SinkSpec("__attr__", (), ""), "")
                site.attr = Attr(owner, target.attr)
                self.add_sink(target, site, extend(labels, _node_step(
                    self.path, target, f"stored in `{self.ctx.source_of(target, 60)}`")))
            return
        if isinstance(target, ast.Subscript):
            self.ev(target.slice)
            self.store_sink(target, labels)
            key = self.key_of(target)
            if key is not None:
                self.set_key(key, labels)
            else:
                base = self.key_of(target.value)
                if base is not None and labels:
                    self.env[base] = union(self.env.get(base, EMPTY), labels)
            return

    def store_sink(self, target: ast.Attribute | ast.Subscript, labels: Labels) -> None:
        if not labels or not self.models.store_sinks:
            return
        path = self.call_path(target.value)
        if path is None:
            return
        spec = self.models.store_sinks.get(path)
        if spec is None and self.param_attrs and isinstance(target.value, ast.Attribute):
            # request.session[...] = value: a store on a request parameter's attribute
            base = target.value.value
            if isinstance(base, ast.Name) and base.id in self.param_attrs:
                spec = self.models.store_sinks.get(f"request.{target.value.attr}")
        if spec is not None:
            self.record_sink(target, spec, labels, path)

    def attr_owner(self, value: ast.AST) -> str | None:
        """The project class whose attribute `value.attr` is: `self` in a
        method, or a name assigned from a project class's constructor."""
        if isinstance(value, ast.Name):
            if value.id == self.self_name and self.owner is not None:
                return self.owner
            path = self.types.get(value.id)
            if path and path.endswith("()") and self.mod.project.contains(path):
                return path[:-2]
        return None

    # --------------------------------------------------------- expressions
    def ev(self, node: ast.AST | None) -> Labels:
        if node is None:
            return EMPTY
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise _OutOfBudget()
        method = _EXPRESSIONS.get(node.__class__, _dispatch)
        if method is _dispatch:  # a class not met yet
            method = _dispatch(_EXPRESSIONS, "e_", node.__class__)
        if method is not None:
            return method(self, node)
        parts = [self.ev(child) for child in children(node) if isinstance(child, ast.expr)]
        return union(*parts)

    def e_Constant(self, node: ast.AST) -> Labels:
        return EMPTY

    def e_Lambda(self, node: ast.AST) -> Labels:
        return EMPTY

    def e_Name(self, node: ast.Name) -> Labels:
        name = node.id
        labels = self.read_key(name)
        if labels is not None:
            return labels
        if name in self.locals:
            return EMPTY
        if self.enclosing_locals and name in self.enclosing_locals:
            return {(Opaque(name), frozenset()): (_node_step(self.path, node, f"`{name}` of the enclosing function"),)}
        if not self.is_module:
            exports = self.mod.facts.exports.get(name)
            if exports:
                return {(Global(self.mod.module, name), frozenset()): (
                    _node_step(self.path, node, f"module variable `{name}`"),)}
        path = self.call_path(node)
        if path is not None:
            label = self.models.source_for(path)
            if label is not None:
                return self._source_labels(label, name, node, path)
        return EMPTY

    def e_Attribute(self, node: ast.Attribute) -> Labels:
        value = node.value
        if isinstance(value, ast.Name):
            if value.id in self.param_attrs:
                label = self.param_attrs[value.id].get(node.attr)
                if label is not None:
                    return self._source_labels(label, self.ctx.source_of(node, 60), node)
            if value.id == self.self_name and value.id is not None:
                key = f"{value.id}.{node.attr}"
                if key in self.env:
                    return self.read_key(key) or EMPTY
                if node.attr in self.owner_sources:
                    return self._source_labels(self.owner_sources[node.attr], self.ctx.source_of(node, 60), node)
                if self.owner is not None:
                    return {(Attr(self.owner, node.attr), frozenset()): (
                        _node_step(self.path, node, f"`{self.ctx.source_of(node, 60)}`"),)}
                return EMPTY
        key = self.key_of(node)
        if key is not None and key in self.env:
            return self.read_key(key) or EMPTY
        path = self.call_path(node)
        if path is not None:
            label = self.models.source_for(path)
            if label is not None:
                return self._source_labels(label, self.ctx.source_of(node, 60), node, path)
            if path in self.models.no_propagation:
                self.ev(value)  # calls inside still meet their sinks
                return EMPTY
        owner = self.attr_owner(value)
        base = self.ev(value)
        if owner is not None:
            return union(base, {(Attr(owner, node.attr), frozenset()): (
                _node_step(self.path, node, f"`{self.ctx.source_of(node, 60)}`"),)})
        return base

    def e_Subscript(self, node: ast.Subscript) -> Labels:
        key = self.key_of(node)
        self.ev(node.slice)  # for the calls inside
        if key is not None and key in self.env:
            return self.env[key]
        path = self.call_path(node)
        if path is not None:
            label = self.models.source_for(path)
            if label is not None:
                return self._source_labels(label, self.ctx.source_of(node, 60), node, path)
        base_key = self.key_of(node.value)
        if key is not None and base_key is not None:
            # A constant item never stored: only what the container as a whole holds.
            whole = self.env.get(base_key)
            if whole is not None:
                return whole
        # An index chooses an item (its own data does not flow into the
        # result); a slice is part of the text.
        return self.ev(node.value)

    def e_JoinedStr(self, node: ast.JoinedStr) -> Labels:
        parts: list[Labels] = []
        prefix = ""
        for value in node.values:
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                prefix += value.value
                continue
            if isinstance(value, ast.FormattedValue) and value.format_spec is None:
                constant = self.constant_prefix(value.value)
                if constant is not None and self.ctx.is_constant(value.value):
                    prefix += constant
                    continue
            labels = self.ev(value)
            if labels:
                labels = self.position(prefix, labels)
            parts.append(labels)
            prefix += "\x00"
        return union(*parts)

    def position(self, prefix: str, labels: Labels) -> Labels:
        """Data placed after a fixed scheme and host (or a fixed local path)
        cannot choose where a request or a redirect goes."""
        if _FIXED_HOST.match(prefix) or _FIXED_LOCAL.match(prefix):
            return clear(labels, _POSITION_SAFE)
        return labels

    def e_FormattedValue(self, node: ast.FormattedValue) -> Labels:
        labels = self.ev(node.value)
        if node.format_spec is not None:
            self.ev(node.format_spec)
        return labels

    def e_BinOp(self, node: ast.BinOp) -> Labels:
        left = self.ev(node.left)
        right = self.ev(node.right)
        prefix = self.constant_prefix(node.left)
        if isinstance(node.op, ast.Add) and prefix is not None and right:
            right = self.position(prefix, right)
        elif isinstance(node.op, ast.Mod) and prefix is not None and right:
            right = self.position(prefix.split("%", 1)[0], right)
        return union(left, right)

    def constant_prefix(self, node: ast.AST) -> str | None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[0], ast.Constant):
            return str(node.values[0].value)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left = self.constant_prefix(node.left)
            if left is not None and self.ctx.is_constant(node.left):
                right = self.constant_prefix(node.right)
                if right is not None and self.ctx.is_constant(node.right):
                    return left + right
            return left
        if isinstance(node, ast.Name) and not self.env.get(node.id):
            values = self.ctx.literal_values(node) if node.id not in self.locals else None
            if values and len(values) == 1 and isinstance(values[0], str):
                return values[0]
        return None

    def e_Compare(self, node: ast.Compare) -> Labels:
        self.ev(node.left)
        for comparator in node.comparators:
            self.ev(comparator)
        return EMPTY  # a boolean

    def e_BoolOp(self, node: ast.BoolOp) -> Labels:
        return union(*[self.ev(v) for v in node.values])

    def e_UnaryOp(self, node: ast.UnaryOp) -> Labels:
        labels = self.ev(node.operand)
        return EMPTY if isinstance(node.op, ast.Not) else labels

    def e_IfExp(self, node: ast.IfExp) -> Labels:
        value = self.fold(node.test)
        if value is not _UNKNOWN:
            return self.ev(node.body if value else node.orelse)
        self.ev(node.test)
        return union(self.ev(node.body), self.ev(node.orelse))

    def e_NamedExpr(self, node: ast.NamedExpr) -> Labels:
        labels = self.ev(node.value)
        self.assign(node.target, labels, node.value)
        return labels

    def e_Await(self, node: ast.Await) -> Labels:
        return self.ev(node.value)

    def e_Yield(self, node: ast.Yield) -> Labels:
        labels = self.ev(node.value)
        if labels:
            self.facts.returns = union(self.facts.returns, labels)
        return EMPTY

    e_YieldFrom = e_Yield

    def e_Dict(self, node: ast.Dict) -> Labels:
        parts = [self.ev(k) for k in node.keys if k is not None]
        parts.extend(self.ev(v) for v in node.values)
        return union(*parts)

    def _comprehension(self, node: ast.AST, results: list[ast.AST]) -> Labels:
        saved = self.env
        self.env = dict(saved)
        for generator in node.generators:  # type: ignore[attr-defined]
            labels = self.ev(generator.iter)
            self.assign(generator.target, labels, None)
            for condition in generator.ifs:
                self.ev(condition)
                when_true, _ = self.guards(condition)
                self.env = self.apply_guards(self.env, when_true)
        out = union(*[self.ev(r) for r in results])
        self.env = saved
        return out

    def e_ListComp(self, node: ast.ListComp) -> Labels:
        return self._comprehension(node, [node.elt])

    e_SetComp = e_ListComp
    e_GeneratorExp = e_ListComp

    def e_DictComp(self, node: ast.DictComp) -> Labels:
        return self._comprehension(node, [node.key, node.value])

    # ---------------------------------------------------------------- calls
    def e_Call(self, node: ast.Call) -> Labels:
        func = node.func
        receiver_labels = EMPTY
        receiver: ast.AST | None = None
        attr = None
        if isinstance(func, ast.Attribute):
            receiver = func.value
            attr = func.attr
            receiver_labels = self.ev(receiver)
        elif not isinstance(func, ast.Name):
            self.ev(func)
        positional: list[Labels] = []
        star = EMPTY
        has_star = False
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                has_star = True
                star = union(star, self.ev(arg.value))
                positional.append(star)
            else:
                positional.append(self.ev(arg))
        keywords: dict[str, Labels] = {}
        double_star = EMPTY
        for keyword in node.keywords:
            labels = self.ev(keyword.value)
            if keyword.arg is None:
                has_star = True
                double_star = union(double_star, labels)
            else:
                keywords[keyword.arg] = labels
        path = self.call_path(func)
        all_args = union(receiver_labels, *positional, *keywords.values(), star, double_star)

        # Sinks (the call's own arguments), then what the call returns.
        for spec, sink_name in self.sink_specs(path, attr, receiver):
            labels = self.sink_labels(spec, node, positional, keywords, receiver_labels, star, double_star)
            if self.sink_active(spec, node):
                if labels:
                    self.record_sink(node, spec, labels, sink_name)
                else:
                    self.mod.clean_sink(node.lineno, spec.kind)
        if attr in _MUTATORS and receiver is not None:
            added = union(*positional, *keywords.values(), star, double_star)
            key = self.key_of(receiver)
            if added and key is not None:
                self.env[key] = union(self.env.get(key, EMPTY), added)
        if attr in _VALIDATING_METHODS or attr in ("startswith", "endswith", "is_relative_to"):
            return EMPTY
        if path is not None:
            label = self.models.source_for(path + "()")
            if label is not None:
                return self._source_labels(label, self.ctx.source_of(node, 60), node, path)
            sanitizer = self.models.sanitizers.get(path)
            if sanitizer is not None:
                return clear(all_args, sanitizer.kinds)
            if path in self.models.no_propagation:
                return EMPTY
        if attr is not None:
            spec = self._member_spec(self.models.member_sanitizers.get(attr), receiver)
            if spec is not None:
                return clear(all_args, spec.kinds)
            patterns = self.models.member_no_propagation.get(attr)
            if patterns and any(p is None or p.search(self._receiver_name(receiver)) for p in patterns):
                return EMPTY
        if attr == "format" and receiver is not None:
            prefix = self.constant_prefix(receiver)
            if prefix is not None:
                all_args = union(receiver_labels, self.position(prefix.split("{", 1)[0], union(
                    *positional, *keywords.values(), star, double_star)))
        callees, bound = self.project_callees(func, path)
        if callees:
            return self.record_call(node, callees, bound, positional, keywords, star, double_star, has_star,
                                    all_args)
        return all_args

    def sink_specs(self, path: str | None, attr: str | None, receiver: ast.AST | None) -> list[tuple[SinkSpec, str]]:
        found: list[tuple[SinkSpec, str]] = []
        if path is not None:
            for spec in self.models.sinks.get(path, ()):
                found.append((spec, path))
        if attr is not None:
            if not found and isinstance(receiver, ast.Name) and receiver.id == self.self_name:
                for base in self.external_bases:
                    for candidate in (f"{base}.{attr}", f"{base}().{attr}"):
                        for spec in self.models.sinks.get(candidate, ()):
                            found.append((spec, candidate))
            if not found:
                specs = self.models.member_sinks.get(attr)
                if specs:
                    name = self._receiver_name(receiver)
                    for spec in specs:
                        if spec.receiver is None or spec.receiver.search(name):
                            found.append((spec, f"{self.ctx.source_of(receiver, 40)}.{attr}"))
        return found

    @staticmethod
    def _receiver_name(receiver: ast.AST | None) -> str:
        while isinstance(receiver, ast.Call):
            receiver = receiver.func
        if isinstance(receiver, ast.Attribute):
            return receiver.attr
        if isinstance(receiver, ast.Name):
            return receiver.id
        return ""

    def _member_spec(self, specs: list[CallSpec] | None, receiver: ast.AST | None) -> CallSpec | None:
        if not specs:
            return None
        name = self._receiver_name(receiver)
        for spec in specs:
            if spec.receiver is None or spec.receiver.search(name):
                return spec
        return None

    def sink_labels(self, spec: SinkSpec, node: ast.Call, positional: list[Labels], keywords: dict[str, Labels],
                    receiver: Labels, star: Labels, double_star: Labels) -> Labels:
        parts: list[Labels] = []
        for arg in spec.args:
            if arg == "*":
                parts.extend(positional)
                parts.extend(keywords.values())
                parts.append(star)
                parts.append(double_star)
            elif arg == "self":
                parts.append(receiver)
            elif isinstance(arg, int):
                if arg < len(positional):
                    parts.append(positional[arg])
                elif star:
                    parts.append(star)
            elif arg.endswith("[0]"):
                index = int(arg[:-3])
                if index < len(node.args):
                    value = node.args[index]
                    if isinstance(value, (ast.List, ast.Tuple)) and value.elts and not isinstance(
                            value.elts[0], ast.Starred):
                        parts.append(self.ev(value.elts[0]))
            else:
                labels = keywords.get(arg)
                if labels:
                    parts.append(labels)
                elif double_star and not self._given_by_position(spec, arg, positional):
                    parts.append(double_star)  # **options may carry it
        return union(*parts)

    @staticmethod
    def _given_by_position(spec: SinkSpec, name: str, positional: list[Labels]) -> bool:
        """The keyword `name` names a position in `spec.args` already passed."""
        args = list(spec.args)
        if name not in args:
            return False
        before = [a for a in args[: args.index(name)] if isinstance(a, int)]
        return bool(before) and max(before) < len(positional)

    def sink_active(self, spec: SinkSpec, node: ast.Call) -> bool:
        if spec.keyword_true is not None:
            name, _, flag = spec.keyword_true.partition(".")
            value = self._keyword(node, name, spec)
            if value is None:
                return False
            if flag:
                value = self._constructed(value)
                if not isinstance(value, ast.Call):
                    return False
                value = self.ctx.keyword(value, flag)
                if value is None:
                    return False
            values = self.ctx.literal_values(value)
            if not values or not all(v is True or (type(v) is int and v == 1) for v in values):
                return False
        for name, safe in spec.unless_keyword:
            value = self._keyword(node, name, spec)
            if value is None:
                continue
            if isinstance(value, ast.Constant) and isinstance(value.value, str) and value.value in safe:
                return False
            path = self.call_path(value)
            if path is not None and path in safe:
                return False
        return True

    def _keyword(self, node: ast.Call, name: str, spec: SinkSpec) -> ast.expr | None:
        """A keyword argument, or the positional argument in its place."""
        value = self.ctx.keyword(node, name)
        if value is None:
            position = dict(spec.positions).get(name)
            if position is not None and position < len(node.args) and not any(
                    isinstance(a, ast.Starred) for a in node.args[: position + 1]):
                value = node.args[position]
        return value

    def _constructed(self, value: ast.AST) -> ast.AST | None:
        if isinstance(value, ast.Name):
            values = self.ctx.assigned_values(value)
            if values and len(values) == 1:
                return values[0]
            return None
        return value

    def record_call(self, node: ast.Call, callees: tuple[str, ...], bound: bool, positional: list[Labels],
                    keywords: dict[str, Labels], star: Labels, double_star: Labels, has_star: bool,
                    fallback: Labels) -> Labels:
        args: dict[int | str, Labels] = {}
        for index, labels in enumerate(positional):
            if labels:
                args[index] = labels
        for name, labels in keywords.items():
            if labels:
                args[name] = labels
        if star:
            args["*"] = star
        if double_star:
            args["**"] = double_star
        passed = union(*args.values())
        if any(key not in passed for key in fallback):
            args["<receiver>"] = fallback  # the receiver's data, for an unresolved call's result
        cid = self.call_ids.get(id(node))
        text = _short_text(node.func) or self.ctx.source_of(node.func, 60)
        if cid is None:
            cid = len(self.facts.calls)
            self.call_ids[id(node)] = cid
            site = CallSite(callees, args, node.lineno, text, offset=int(bound), star=has_star,
                            positional=sum(1 for a in node.args if not isinstance(a, ast.Starred)))
            self.facts.calls.append(site)
        else:
            site = self.facts.calls[cid]
            for key, labels in args.items():
                site.args[key] = union(site.args.get(key, EMPTY), labels)
        return {(Ret(cid), frozenset()): (_node_step(self.path, node, f"returned by `{text}()`"),)}

    def project_callees(self, func: ast.AST, path: str | None) -> tuple[tuple[str, ...], bool]:
        """Candidate qualified names of the project functions a call may reach,
        and whether the receiver is passed as the first parameter."""
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and (
                func.value.id == self.self_name and self.owner is not None):
            return (f"{self.owner}.{func.attr}",), True
        if path is None:
            return (), False
        if path.startswith("<"):
            return (), False
        if not self.mod.project.contains(path):
            return (), False
        if "()." in path:
            method = path.rpartition("().")[2]
            return ((path,), True) if "." not in method else ((), False)
        return (path,), False

    # ---------------------------------------------------------------- paths
    def call_path(self, node: ast.AST) -> str | None:
        """The access path of an expression (see models/README.md)."""
        parts: list[str] = []
        while True:
            if isinstance(node, ast.Attribute):
                parts.append(node.attr)
                node = node.value
            elif isinstance(node, ast.Call):
                inner = self.call_path(node.func)
                if inner is None:
                    return None
                parts.append(inner + "()")
                return ".".join(reversed(parts))
            elif isinstance(node, ast.Subscript):
                inner = self.call_path(node.value)
                if inner is None:
                    return None
                parts.append(inner + "[]")
                return ".".join(reversed(parts))
            else:
                break
        if not isinstance(node, ast.Name):
            return None
        head = self.head_path(node.id)
        if head is None:
            return None
        parts.append(head)
        return ".".join(reversed(parts))

    def head_path(self, name: str) -> str | None:
        if name in self.types:
            return self.types[name]
        if name == self.self_name and self.owner is not None:
            return f"{self.owner}()"
        if name in self.locals or name in self.env:
            return None if name not in self.mod.imports else f"<local>.{name}"
        if name in self.mod.imports:
            return self.mod.imports[name]
        if name in self.mod.defs:
            return self.mod.defs[name]
        if not self.is_module and name in self.mod.module_types:
            return self.mod.module_types[name]
        if name in self.ctx.module_bindings and not self.is_module:
            return None  # a module variable of unknown value
        return name

    def value_path(self, value: ast.AST | None) -> str | None:
        """The path a name assigned from `value` carries (calls and attribute
        chains only: a literal or arithmetic gives none)."""
        if isinstance(value, ast.Await):
            value = value.value
        if isinstance(value, (ast.Call, ast.Attribute)):
            return self.call_path(value)
        if isinstance(value, ast.Name):
            return self.call_path(value) if value.id in self.types or value.id in self.mod.imports else None
        return None

    # ---------------------------------------------------------------- sinks
    def site(self, node: ast.AST, spec: SinkSpec, callee: str) -> SinkSite:
        return SinkSite(kind=spec.kind, callee=callee, note=spec.note, cwe=spec.cwe, **place(self.ctx, node))

    def record_sink(self, node: ast.AST, spec: SinkSpec, labels: Labels, callee: str) -> None:
        key = (id(node), id(spec), spec.kind)
        index = self.sink_index.get(key)
        if index is not None:
            site, old = self.facts.sinks[index]
            self.facts.sinks[index] = (site, union(old, labels))
            return
        self.sink_index[key] = len(self.facts.sinks)
        site = self.site(node, spec, callee)
        self.facts.sinks.append((site, extend(labels, _node_step(self.path, node, f"reaches `{callee}`"))))

    def add_sink(self, node: ast.AST, site: SinkSite, labels: Labels) -> None:
        key = (id(node), 0, site.kind)
        index = self.sink_index.get(key)
        if index is not None:
            old_site, old = self.facts.sinks[index]
            self.facts.sinks[index] = (old_site, union(old, labels))
            return
        self.sink_index[key] = len(self.facts.sinks)
        self.facts.sinks.append((site, labels))

    # --------------------------------------------------------------- guards
    def guards(self, test: ast.AST) -> tuple[list[tuple[str, frozenset[str]]], list[tuple[str, frozenset[str]]]]:
        """(names validated when `test` is true, names validated when false)."""
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            when_true, when_false = self.guards(test.operand)
            return when_false, when_true
        if isinstance(test, ast.BoolOp):
            parts = [self.guards(v) for v in test.values]
            if isinstance(test.op, ast.And):
                return [g for t, _ in parts for g in t], []
            return [], [g for _, f in parts for g in f]
        if isinstance(test, ast.Compare) and len(test.ops) == 1:
            op = test.ops[0]
            left, right = test.left, test.comparators[0]
            if isinstance(op, (ast.In, ast.NotIn)) and self.is_constant_collection(right):
                names = self.guarded_names(left, url_parts=True)
                entry = [(n, k) for n, k in names]
                return (entry, []) if isinstance(op, ast.In) else ([], entry)
            if isinstance(op, (ast.Eq, ast.NotEq)):
                for a, b in ((left, right), (right, left)):
                    if isinstance(b, ast.Constant) and not isinstance(b.value, bool) and b.value is not None:
                        entry = self.guarded_names(a, url_parts=True)
                        return (entry, []) if isinstance(op, ast.Eq) else ([], entry)
                # os.path.commonpath([root, path]) == root
                for a in (left, right):
                    if isinstance(a, ast.Call) and self.call_path(a.func) in ("os.path.commonpath", "posixpath.commonpath"):
                        entry = [(n.id, frozenset({"path", "archive"})) for arg in a.args
                                 for n in ast.walk(arg) if isinstance(n, ast.Name)]
                        return (entry, []) if isinstance(op, ast.Eq) else ([], entry)
            return [], []
        if isinstance(test, ast.Call):
            func = test.func
            path = self.call_path(func)
            if isinstance(func, ast.Attribute):
                if func.attr in _VALIDATING_METHODS:
                    return self.guarded_names(func.value), []
                if func.attr in ("startswith", "is_relative_to") and self.normalised(func.value):
                    kinds = frozenset({"path", "archive"})
                    return [(n, kinds) for n, _ in self.guarded_names(func.value)], []
            if path in ("re.fullmatch", "re.match") and len(test.args) >= 2 and self.safe_pattern(test.args[0], path):
                return self.guarded_names(test.args[1]), []
            if isinstance(func, ast.Attribute) and func.attr in ("fullmatch", "match") and test.args and (
                    self.safe_pattern(func.value, "re." + func.attr, compiled=True)):
                return self.guarded_names(test.args[0]), []
            spec = self.models.guards.get(path) if path else None
            if spec is None and isinstance(func, ast.Attribute):
                spec = self._member_spec(self.models.member_guards.get(func.attr), func.value)
            if spec is not None:
                arg = func.value if spec.arg == "self" and isinstance(func, ast.Attribute) else (
                    test.args[spec.arg] if isinstance(spec.arg, int) and spec.arg < len(test.args) else None)
                if arg is not None:
                    return [(n, spec.kinds) for n, _ in self.guarded_names(arg)], []
        return [], []

    def guarded_names(self, node: ast.AST, url_parts: bool = False) -> list[tuple[str, frozenset[str]]]:
        all_kinds = frozenset({ALL_KINDS})
        if isinstance(node, ast.Name):
            return [(node.id, all_kinds)]
        if isinstance(node, ast.Call) and isinstance(node.func, (ast.Name, ast.Attribute)):
            # str(x), x.lower(), int(x): the check is on a function of x
            path = self.call_path(node.func) or ""
            inner = node.func.value if isinstance(node.func, ast.Attribute) else (node.args[0] if node.args else None)
            if isinstance(node.func, ast.Attribute) and node.func.attr in ("lower", "upper", "strip", "casefold"):
                return self.guarded_names(inner) if inner is not None else []
            if path in ("str", "int", "os.path.basename"):
                return self.guarded_names(inner) if inner is not None else []
        if url_parts and isinstance(node, ast.Attribute) and node.attr in ("netloc", "hostname", "host", "scheme"):
            call = node.value
            if isinstance(call, ast.Call) and (self.call_path(call.func) or "").endswith(("urlparse", "urlsplit")):
                if call.args and isinstance(call.args[0], ast.Name):
                    return [(call.args[0].id, frozenset({"redirect", "ssrf"}))]
        return []

    def normalised(self, node: ast.AST) -> bool:
        text = self.ctx.source_of(node, 200)
        if isinstance(node, ast.Name):
            values = self.ctx.assigned_values(node)
            if values:
                text = " ".join(self.ctx.source_of(v, 200) for v in values)
        return any(n in text for n in _NORMALISERS)

    def safe_pattern(self, node: ast.AST, function: str, compiled: bool = False) -> bool:
        if compiled:
            if isinstance(node, ast.Call) and self.call_path(node.func) == "re.compile" and node.args:
                node = node.args[0]
            elif isinstance(node, ast.Name):
                found = self.ctx.assigned_values(node)
                if found and len(found) == 1 and isinstance(found[0], ast.Call) and node.id not in self.env:
                    call = found[0]
                    if self.call_path(call.func) == "re.compile" and call.args:
                        node = call.args[0]
        values = self.ctx.literal_values(node) if not isinstance(node, ast.Constant) else [node.value]
        if not values or len(values) != 1 or not isinstance(values[0], str):
            return False
        pattern = values[0]
        if function.endswith("match") and not function.endswith("fullmatch"):
            if not (pattern.endswith("$") or pattern.endswith(r"\Z")):
                return False
        body = re.sub(r"\\.", "", pattern)
        body = re.sub(r"\[[^\]]*\]", "", body)
        return "." not in body and not re.search(r"\\[SWD]|\[\^", pattern)

    def is_constant_collection(self, node: ast.AST) -> bool:
        if isinstance(node, (ast.Tuple, ast.List, ast.Set, ast.Dict)):
            return self.ctx.is_constant(node)
        if isinstance(node, (ast.Name, ast.Attribute)):
            if isinstance(node, ast.Name) and self.env.get(node.id):
                return False
            return self.ctx.is_constant(node) or (
                isinstance(node, ast.Name) and node.id.isupper()) or (
                isinstance(node, ast.Attribute) and node.attr.isupper())
        if isinstance(node, ast.Call):
            path = self.call_path(node.func)
            if path in ("frozenset", "set", "tuple") and all(self.ctx.is_constant(a) for a in node.args):
                return True
        return False

    def apply_guards(self, env: dict[str, Labels], guards: list[tuple[str, frozenset[str]]]) -> dict[str, Labels]:
        for name, kinds in guards:
            labels = env.get(name)
            if labels:
                env[name] = clear(labels, kinds)
        return env

    # ------------------------------------------------------------- folding
    def fold(self, node: ast.AST, depth: int = 0) -> object:
        """The constant value of a condition, or _UNKNOWN."""
        if depth > 20:
            return _UNKNOWN
        try:
            if isinstance(node, ast.Constant):
                return node.value
            if isinstance(node, ast.Name):
                if node.id in self.env and self.env[node.id]:
                    return _UNKNOWN
                if node.id in self.locals:
                    return _UNKNOWN
                values = self.ctx.literal_values(node)
                if values is not None and len(values) == 1:
                    return values[0]
                return _UNKNOWN
            if isinstance(node, ast.UnaryOp):
                value = self.fold(node.operand, depth + 1)
                if value is _UNKNOWN:
                    return _UNKNOWN
                return _UNARY[type(node.op)](value)
            if isinstance(node, ast.BinOp):
                left = self.fold(node.left, depth + 1)
                right = self.fold(node.right, depth + 1)
                if left is _UNKNOWN or right is _UNKNOWN:
                    return _UNKNOWN
                if not all(isinstance(v, (int, float, bool)) for v in (left, right)):
                    return _UNKNOWN
                if isinstance(node.op, ast.Pow) and abs(right) > 64:  # type: ignore[arg-type]
                    return _UNKNOWN
                return _BINARY[type(node.op)](left, right)
            if isinstance(node, ast.Compare):
                left = self.fold(node.left, depth + 1)
                if left is _UNKNOWN:
                    return _UNKNOWN
                for op, comparator in zip(node.ops, node.comparators):
                    right = self.fold(comparator, depth + 1)
                    if right is _UNKNOWN or type(op) not in _COMPARE:
                        return _UNKNOWN
                    if not _COMPARE[type(op)](left, right):
                        return False
                    left = right
                return True
            if isinstance(node, ast.BoolOp):
                values = [self.fold(v, depth + 1) for v in node.values]
                if isinstance(node.op, ast.And):
                    if any(v is not _UNKNOWN and not v for v in values):
                        return False
                    return _UNKNOWN if any(v is _UNKNOWN for v in values) else True
                if any(v is not _UNKNOWN and v for v in values):
                    return True
                return _UNKNOWN if any(v is _UNKNOWN for v in values) else False
        except (KeyError, TypeError, ValueError, ArithmeticError):
            return _UNKNOWN
        return _UNKNOWN


class _Unknown:
    def __repr__(self) -> str:
        return "<unknown>"


_UNKNOWN = _Unknown()
_UNARY = {ast.Not: lambda v: not v, ast.USub: lambda v: -v, ast.UAdd: lambda v: +v, ast.Invert: lambda v: ~v}
_BINARY = {
    ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b, ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b, ast.FloorDiv: lambda a, b: a // b, ast.Mod: lambda a, b: a % b,
    ast.Pow: lambda a, b: a ** b, ast.BitAnd: lambda a, b: a & b, ast.BitOr: lambda a, b: a | b,
    ast.BitXor: lambda a, b: a ^ b, ast.LShift: lambda a, b: a << b if b < 64 else 1 / 0,
    ast.RShift: lambda a, b: a >> b,
}
_COMPARE = {
    ast.Eq: lambda a, b: a == b, ast.NotEq: lambda a, b: a != b, ast.Lt: lambda a, b: a < b,
    ast.LtE: lambda a, b: a <= b, ast.Gt: lambda a, b: a > b, ast.GtE: lambda a, b: a >= b,
    ast.Is: lambda a, b: a is b, ast.IsNot: lambda a, b: a is not b,
}


# Node class -> the _FunctionWalker method handling it (None: the generic
# walk), looked up once per class instead of once per node.
_STATEMENTS: dict[type, Any] = {}
_EXPRESSIONS: dict[type, Any] = {}


def _dispatch(table: dict[type, Any], prefix: str, kind: type) -> Any:
    try:
        return table[kind]
    except KeyError:
        return table.setdefault(kind, getattr(_FunctionWalker, prefix + kind.__name__, None))
