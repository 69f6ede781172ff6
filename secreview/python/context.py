"""What rules need to know about one parsed file.

- `qualified_name(expr)`: `sp.Popen` -> `subprocess.Popen` through the file's
  imports (`import subprocess as sp`, `from os import system as run`).
- `is_constant(expr)`: the value is fixed by the program text (literals, and
  names bound only to literals), so no outside party can steer it.
- `origin(expr)`: where a non-constant value comes from, as evidence for the
  explanation and trace (a parameter, an assignment from a call, ...).
- scopes: the enclosing function of any node and its qualified name.

All walks are iterative or depth-bounded, so deep trees cannot blow the stack.
"""

from __future__ import annotations

import ast
import builtins
from dataclasses import dataclass
from typing import Iterator

from secreview.python.source import ParsedModule

_BUILTINS = frozenset(dir(builtins))
_MAX_DEPTH = 40

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda
ScopeNode = ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef

# Calls whose result is constant when every argument is.
_PURE_CALLS = frozenset(
    {"str", "int", "float", "bool", "bytes", "tuple", "list", "frozenset", "len",
     "os.path.join", "posixpath.join", "os.path.expanduser", "os.path.abspath",
     "os.path.dirname", "os.path.basename", "shlex.join", "shlex.quote"}
)


@dataclass(frozen=True)
class Origin:
    """Where a value comes from: `kind` is 'parameter', 'assignment', 'call',
    'attribute', 'global' or 'unknown'; `line` is where that happens."""

    kind: str
    text: str
    line: int
    note: str


class FileContext:
    def __init__(self, module: ParsedModule, is_test: bool = False):
        self.module = module
        self.path = module.path
        self.is_test = is_test
        self.tree = module.tree
        self.parents: dict[int, ast.AST] = {}
        self.functions: list[ast.FunctionDef | ast.AsyncFunctionDef] = []
        self.imports: dict[str, str] = {}
        self.module_bindings: dict[str, list[ast.AST]] = {}
        self.shadowed: set[str] = set()  # module-level names that hide builtins
        self._bindings_cache: dict[int, dict[str, list[ast.AST]]] = {}
        self._index()

    # ----------------------------------------------------------------- index
    def _index(self) -> None:
        for node in ast.walk(self.tree):
            for child in ast.iter_child_nodes(node):
                self.parents[id(child)] = node
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self.functions.append(node)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        self.imports[alias.asname] = alias.name
                    else:
                        top = alias.name.split(".")[0]
                        self.imports[top] = top
            elif isinstance(node, ast.ImportFrom):
                base = "." * node.level + (node.module or "")
                for alias in node.names:
                    if alias.name == "*":
                        continue
                    target = f"{base}.{alias.name}" if base and not base.endswith(".") else base + alias.name
                    self.imports[alias.asname or alias.name] = target
        self.module_bindings = self._collect_bindings(self.tree)
        for name in self.module_bindings:
            if name in _BUILTINS and name not in self.imports:
                self.shadowed.add(name)

    def parent(self, node: ast.AST) -> ast.AST | None:
        return self.parents.get(id(node))

    def ancestors(self, node: ast.AST) -> Iterator[ast.AST]:
        current = self.parents.get(id(node))
        while current is not None:
            yield current
            current = self.parents.get(id(current))

    def enclosing_function(self, node: ast.AST) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
        for anc in self.ancestors(node):
            if isinstance(anc, (ast.FunctionDef, ast.AsyncFunctionDef)):
                return anc
        return None

    def scope_name(self, node: ast.AST) -> str:
        """`Class.method` / `outer.<locals>.inner` / `<module>`."""
        names = []
        for anc in self.ancestors(node):
            if isinstance(anc, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.append(anc.name)
        return ".".join(reversed(names)) or "<module>"

    def enclosing_statement(self, node: ast.AST) -> ast.stmt:
        current: ast.AST = node
        while not isinstance(current, ast.stmt):
            parent = self.parents.get(id(current))
            if parent is None:
                break
            current = parent
        return current  # type: ignore[return-value]

    def statement_lines(self, node: ast.AST) -> tuple[int, int]:
        """First and last line of the statement holding `node`; for a compound
        statement (if/for/with/def...) just its header."""
        stmt = self.enclosing_statement(node)
        first = getattr(stmt, "lineno", getattr(node, "lineno", 1))
        last = getattr(stmt, "end_lineno", first) or first
        body = getattr(stmt, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.stmt):
            first_child = body[0]
            decorators = getattr(stmt, "decorator_list", [])
            # Header ends on the line before the first body statement (or on it
            # for one-line compound statements such as `if x: eval(y)`).
            header_end = max(first, first_child.lineno - 1)
            if first_child.lineno == first:
                header_end = first
            if decorators:
                first = min(d.lineno for d in decorators)
            last = header_end
        return first, last

    # ------------------------------------------------------------ names
    def qualified_name(self, expr: ast.AST) -> str | None:
        """Dotted name of what `expr` refers to, through imports. Builtins
        come back bare (`eval`); a builtin name redefined in the module comes
        back as `<local>.name` so it is not mistaken for the builtin."""
        parts: list[str] = []
        current = expr
        while isinstance(current, ast.Attribute):
            parts.append(current.attr)
            current = current.value
        if isinstance(current, ast.Call):
            # e.g. requests.Session().get -> requests.Session().get
            inner = self.qualified_name(current.func)
            if inner is None:
                return None
            parts.append(inner + "()")
            return ".".join(reversed(parts))
        if not isinstance(current, ast.Name):
            return None
        head = current.id
        if head in self.imports:
            head = self.imports[head]
        elif head in self.shadowed:
            head = f"<local>.{head}"
        parts.append(head)
        return ".".join(reversed(parts))

    def call_name(self, call: ast.Call) -> str | None:
        return self.qualified_name(call.func)

    def calls(self) -> Iterator[tuple[ast.Call, str]]:
        """Every call in the file whose callee can be named."""
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Call):
                name = self.call_name(node)
                if name:
                    yield node, name

    # -------------------------------------------------------- bindings
    def _collect_bindings(self, scope: ast.AST) -> dict[str, list[ast.AST]]:
        """name -> nodes that bind it directly in `scope` (not in nested scopes).
        A binding is the statement/arg node; parameters are ast.arg nodes."""
        bindings: dict[str, list[ast.AST]] = {}

        def bind(name: str, node: ast.AST) -> None:
            bindings.setdefault(name, []).append(node)

        if isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            args = scope.args
            for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs]:
                bind(arg.arg, arg)
            if args.vararg:
                bind(args.vararg.arg, args.vararg)
            if args.kwarg:
                bind(args.kwarg.arg, args.kwarg)
        body = scope.body if isinstance(scope.body, list) else [scope.body]  # type: ignore[attr-defined]
        stack: list[ast.AST] = list(reversed(body))
        while stack:
            node = stack.pop()
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                bind(node.name, node)
                stack.extend(node.decorator_list)
                continue  # nested scope
            if isinstance(node, (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
                continue
            if isinstance(node, (ast.Global, ast.Nonlocal)):
                for name in node.names:
                    bind(name, node)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
                bind(node.id, self._binding_statement(node))
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                for alias in node.names:
                    bind((alias.asname or alias.name).split(".")[0], node)
            elif isinstance(node, ast.ExceptHandler) and node.name:
                bind(node.name, node)
            elif isinstance(node, ast.NamedExpr) and isinstance(node.target, ast.Name):
                bind(node.target.id, node)
                stack.append(node.value)
                continue
            stack.extend(reversed(list(ast.iter_child_nodes(node))))
        return bindings

    def _binding_statement(self, name: ast.Name) -> ast.AST:
        current: ast.AST = name
        while True:
            parent = self.parents.get(id(current))
            if parent is None or isinstance(parent, ast.stmt) or isinstance(parent, ast.comprehension):
                return parent or current
            current = parent

    def bindings_in(self, scope: ast.AST) -> dict[str, list[ast.AST]]:
        key = id(scope)
        if key not in self._bindings_cache:
            self._bindings_cache[key] = (
                self.module_bindings if isinstance(scope, ast.Module) else self._collect_bindings(scope)
            )
        return self._bindings_cache[key]

    def _lookup(self, name: ast.Name) -> tuple[ast.AST | None, list[ast.AST]]:
        """(scope, binding nodes) for a name used at `name`, LEGB without classes."""
        for anc in self.ancestors(name):
            if isinstance(anc, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                found = self.bindings_in(anc).get(name.id)
                if found:
                    if any(isinstance(b, ast.Global) for b in found):
                        break
                    return anc, found
        found = self.module_bindings.get(name.id)
        if found:
            return self.tree, found
        return None, []

    # --------------------------------------------------------- constants
    def is_constant(self, expr: ast.AST | None, _depth: int = 0, _seen: frozenset = frozenset()) -> bool:
        """True when the value of `expr` is fixed by the program text."""
        if expr is None:
            return True
        if _depth > _MAX_DEPTH:
            return False
        d = _depth + 1
        if isinstance(expr, ast.Constant):
            return True
        if isinstance(expr, ast.JoinedStr):
            return all(self.is_constant(v, d, _seen) for v in expr.values)
        if isinstance(expr, ast.FormattedValue):
            return self.is_constant(expr.value, d, _seen) and self.is_constant(expr.format_spec, d, _seen)
        if isinstance(expr, ast.BinOp):
            return self.is_constant(expr.left, d, _seen) and self.is_constant(expr.right, d, _seen)
        if isinstance(expr, ast.UnaryOp):
            return self.is_constant(expr.operand, d, _seen)
        if isinstance(expr, ast.BoolOp):
            return all(self.is_constant(v, d, _seen) for v in expr.values)
        if isinstance(expr, ast.IfExp):
            return all(self.is_constant(v, d, _seen) for v in (expr.test, expr.body, expr.orelse))
        if isinstance(expr, (ast.Tuple, ast.List, ast.Set)):
            return all(self.is_constant(e, d, _seen) for e in expr.elts)
        if isinstance(expr, ast.Dict):
            return all(self.is_constant(k, d, _seen) for k in expr.keys if k is not None) and all(
                self.is_constant(v, d, _seen) for v in expr.values)
        if isinstance(expr, ast.Starred):
            return self.is_constant(expr.value, d, _seen)
        if isinstance(expr, ast.Subscript):
            return self.is_constant(expr.value, d, _seen) and self.is_constant(expr.slice, d, _seen)
        if isinstance(expr, ast.Slice):
            return all(self.is_constant(p, d, _seen) for p in (expr.lower, expr.upper, expr.step))
        if isinstance(expr, ast.Call):
            args_constant = all(self.is_constant(a, d, _seen) for a in expr.args) and all(
                self.is_constant(k.value, d, _seen) for k in expr.keywords)
            if not args_constant:
                return False
            if isinstance(expr.func, ast.Attribute) and self.is_constant(expr.func.value, d, _seen):
                return True  # method of a constant, e.g. " ".join([...]), "x".upper()
            return self.qualified_name(expr.func) in _PURE_CALLS
        if isinstance(expr, ast.Name):
            if expr.id in _seen:
                return False
            scope, found = self._lookup(expr)
            if not found:
                return False
            seen = _seen | {expr.id}
            for binding in found:
                value = self._assigned_value(binding, expr.id)
                if value is None or not self.is_constant(value, d, seen):
                    return False
            if scope is self.tree and self._rebound_globally(expr.id):
                return False
            return True
        return False

    def literal_values(self, expr: ast.AST) -> list[object] | None:
        """The literal value(s) `expr` can have: `[False]` for `False` or for a
        name bound only to `False`; None when it is not a plain literal."""
        if isinstance(expr, ast.Constant):
            return [expr.value]
        if isinstance(expr, ast.Name) and self.is_constant(expr):
            _, found = self._lookup(expr)
            values = [self._assigned_value(b, expr.id) for b in found]
            if values and all(isinstance(v, ast.Constant) for v in values):
                return [v.value for v in values]  # type: ignore[union-attr]
        return None

    def _rebound_globally(self, name: str) -> bool:
        """A function declares `global name` and assigns it: not a constant."""
        for func in self.functions:
            for b in self.bindings_in(func).get(name, []):
                if isinstance(b, ast.Global):
                    return True
        return False

    @staticmethod
    def _assigned_value(binding: ast.AST, name: str) -> ast.AST | None:
        """The expression a plain binding gives `name`, or None when the value
        cannot be known from the text (parameters, loops, imports...)."""
        if isinstance(binding, ast.Assign):
            for target in binding.targets:
                if isinstance(target, ast.Name) and target.id == name:
                    return binding.value
                if isinstance(target, (ast.Tuple, ast.List)) and isinstance(binding.value, (ast.Tuple, ast.List)):
                    for t, v in zip(target.elts, binding.value.elts):
                        if isinstance(t, ast.Name) and t.id == name:
                            return v
            return None
        if isinstance(binding, ast.AnnAssign) and binding.value is not None:
            return binding.value
        if isinstance(binding, ast.AugAssign):
            return ast.BinOp(left=ast.Constant(value=""), op=binding.op, right=binding.value)
        if isinstance(binding, ast.NamedExpr):
            return binding.value
        return None

    # ----------------------------------------------------------- origin
    def origin(self, expr: ast.AST) -> Origin:
        """Best single explanation of where a non-constant value comes from."""
        text = self.source_of(expr)
        line = getattr(expr, "lineno", 0)
        if isinstance(expr, ast.Name):
            scope, found = self._lookup(expr)
            before = [b for b in found if getattr(b, "lineno", 0) <= line] or found
            if before:
                binding = before[-1]
                if isinstance(binding, ast.arg):
                    func = scope.name if isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef)) else "lambda"
                    return Origin("parameter", text, binding.lineno,
                                  f"`{expr.id}` is a parameter of `{func}()`, so its caller decides its value")
                value = self._assigned_value(binding, expr.id)
                if value is not None:
                    return Origin("assignment", text, binding.lineno,
                                  f"`{expr.id}` is assigned from `{self.source_of(value)}`")
                if isinstance(binding, (ast.For, ast.AsyncFor, ast.comprehension)):
                    return Origin("assignment", text, getattr(binding, "lineno", line),
                                  f"`{expr.id}` is a loop variable over `{self.source_of(binding.iter)}`")
                if isinstance(binding, (ast.With, ast.AsyncWith)):
                    return Origin("assignment", text, binding.lineno, f"`{expr.id}` is bound by a `with` statement")
            return Origin("unknown", text, line, f"`{expr.id}` is not a constant")
        if isinstance(expr, ast.Call):
            return Origin("call", text, line, f"`{text}` is computed at run time")
        if isinstance(expr, ast.Attribute):
            return Origin("attribute", text, line, f"`{text}` is read from an object at run time")
        return Origin("unknown", text, line, f"`{text}` is not a constant")

    def non_constant_parts(self, expr: ast.AST) -> list[ast.AST]:
        """The pieces of `expr` that make it non-constant (f-string fields,
        operands of +/%, format arguments), innermost first where useful."""
        if self.is_constant(expr):
            return []
        if isinstance(expr, ast.JoinedStr):
            return [v.value for v in expr.values
                    if isinstance(v, ast.FormattedValue) and not self.is_constant(v.value)]
        if isinstance(expr, ast.BinOp):
            return self.non_constant_parts(expr.left) + self.non_constant_parts(expr.right)
        if isinstance(expr, (ast.Tuple, ast.List)):
            out: list[ast.AST] = []
            for e in expr.elts:
                out.extend(self.non_constant_parts(e))
            return out
        if (isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute)
                and expr.func.attr in ("format", "join") and self.is_constant(expr.func.value)):
            parts = [a for a in expr.args if not self.is_constant(a)]
            parts += [k.value for k in expr.keywords if not self.is_constant(k.value)]
            return parts
        return [expr]

    # -------------------------------------------------------------- text
    def source_of(self, node: ast.AST, limit: int = 80) -> str:
        text = ast.get_source_segment(self.module.text, node) or ""
        text = " ".join(text.split())
        if not text:
            try:
                text = ast.unparse(node)
            except Exception:  # noqa: BLE001 - unparse of a partial tree
                text = type(node).__name__
        return text if len(text) <= limit else text[: limit - 3] + "..."

    def keyword(self, call: ast.Call, name: str) -> ast.expr | None:
        for kw in call.keywords:
            if kw.arg == name:
                return kw.value
        return None

    def argument(self, call: ast.Call, position: int, name: str | None = None) -> ast.expr | None:
        if len(call.args) > position and not any(isinstance(a, ast.Starred) for a in call.args[: position + 1]):
            return call.args[position]
        if name is not None:
            return self.keyword(call, name)
        return None
