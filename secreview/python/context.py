"""What rules need to know about one parsed file.

- `qualified_name(expr)`: `sp.Popen` -> `subprocess.Popen` through the file's
  imports (`import subprocess as sp`, `from os import system as run`).
- `is_constant(expr)`: the value is fixed by the program text (literals, and
  names bound only to literals), so no outside party can steer it.
- `origin(expr)`: where a non-constant value comes from, as evidence for the
  explanation and trace (a parameter, an assignment from a call, ...).
- scopes: the enclosing function of any node and its qualified name.
- `replace_source(node, new)`: the finding's lines with one node's text
  replaced, position-exact, for mechanical fixes.

All walks are iterative or depth-bounded, so deep trees cannot blow the stack.
"""

from __future__ import annotations

import ast
import bisect
import builtins
import re
from dataclasses import dataclass
from typing import Iterator, Sequence

from secreview.python.source import ParsedModule

_BUILTINS = frozenset(dir(builtins))
_UNKNOWN = object()
_MAX_DEPTH = 40

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda
ScopeNode = ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
_LOOPS = (ast.For, ast.AsyncFor, ast.comprehension)
# Per node class, the fields that can hold child nodes (`ctx` never does
# anything useful: Load/Store are singletons). Fields that always hold a
# string or number are left out: most nodes are `Name`/`Constant` leaves,
# and not looking into their scalars is a fifth of the index's time.
_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}
_SCALAR_FIELDS = frozenset({"ctx", "id", "attr", "arg", "asname", "module", "level", "simple", "conversion",
                            "is_async", "type_comment", "kind", "tag", "lineno", "rest", "str", "kwd_attrs"})


def _child_fields(kind: type) -> tuple[str, ...]:
    fields = tuple(
        f for f in kind._fields
        if f not in _SCALAR_FIELDS
        and not (f == "value" and kind.__name__ in ("Constant", "MatchSingleton"))
        and not (f == "name" and kind.__name__ != "TypeAlias")  # a str everywhere but `type X = ...`
    )
    _CHILD_FIELDS[kind] = fields
    return fields
Position = tuple[int, int]  # (line, column in UTF-8 bytes), as `ast` gives them
# Lines as the parser counts them (only \r\n, \r and \n end a line), ends kept.
_PARSER_LINES = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")

# Calls whose result is constant when every argument is.
_PURE_CALLS = frozenset(
    {"str", "int", "float", "bool", "bytes", "tuple", "list", "frozenset", "len",
     "os.path.join", "posixpath.join", "os.path.expanduser", "os.path.abspath",
     "os.path.dirname", "os.path.basename", "shlex.join", "shlex.quote",
     "range", "enumerate", "zip", "sorted", "reversed", "repr", "abs", "min", "max"}
)


@dataclass(frozen=True)
class Origin:
    """Where a value comes from: `kind` is 'parameter', 'assignment', 'call',
    'attribute', 'global' or 'unknown'; `line` is where that happens."""

    kind: str
    text: str
    line: int
    note: str
    code: str = ""  # the code the value comes from (an assignment's right side, a loop's iterable)


def children(node: ast.AST) -> list[ast.AST]:
    """`ast.iter_child_nodes` as a list, without the expression contexts,
    several times faster (this runs for every node of every scope looked at)."""
    kind = node.__class__
    fields = _CHILD_FIELDS.get(kind)
    if fields is None:
        fields = _child_fields(kind)
    out: list[ast.AST] = []
    for name in fields:
        value = getattr(node, name, None)
        if value.__class__ is list:
            out.extend(item for item in value if isinstance(item, ast.AST))
        elif isinstance(value, ast.AST):
            out.append(value)
    return out


def count_functions(tree: ast.AST, lines: list[str],
                    blocks: list[tuple[ast.AST, str, list[ast.AST]]] | None = None) -> int:
    """The `def`s and lambdas under `tree`, without a full walk: a `def` is a
    statement, so only statement blocks are followed, and the expressions
    around them only where a line of theirs says `lambda`. `blocks`: the
    tree's `statement_blocks`, if at hand."""
    lambda_lines = [number for number, line in enumerate(lines, start=1) if "lambda" in line]
    count = 0
    definitions = (ast.FunctionDef, ast.AsyncFunctionDef)
    for _, _, block in statement_blocks(tree) if blocks is None else blocks:
        for statement in block:
            if isinstance(statement, definitions):
                count += 1
        if lambda_lines and block and _may_hold(block, lambda_lines):
            for statement in block:
                count += _lambdas_outside_blocks(statement, lambda_lines)
    return count


def _may_hold(block: list[ast.AST], numbers: list[int]) -> bool:
    """A line of `numbers` (in order) is among the block's lines, from its
    first statement's decorators to its last statement's end; True when the
    block does not say (`case` clauses have no position)."""
    first, last = block[0], block[-1]
    start = getattr(first, "lineno", None)
    end = getattr(last, "end_lineno", None)
    if start is None or end is None:
        return True
    decorators = getattr(first, "decorator_list", None)
    if decorators:
        start = min(start, decorators[0].lineno)
    index = bisect.bisect_left(numbers, start)
    return index < len(numbers) and numbers[index] <= end


def statement_blocks(tree: ast.AST) -> list[tuple[ast.AST, str, list[ast.AST]]]:
    """(owner, field, statements) for every block of statements under
    `tree` (a body, an `else`, the clauses of a `try` or a `match`), walking
    only statements: a fraction of the nodes a full walk visits."""
    found: list[tuple[ast.AST, str, list[ast.AST]]] = []
    stack = [tree]
    compound, fields_of, list_ = COMPOUND, _BLOCK_FIELDS_OF, list
    while stack:
        node = stack.pop()
        kind = node.__class__
        names = fields_of.get(kind)
        if names is None:  # asking for a field a node has not is slow: each class's are looked up once
            names = fields_of[kind] = tuple(name for name in BLOCK_FIELDS if name in kind._fields)
        for name in names:
            block = getattr(node, name)
            if block.__class__ is list_:
                found.append((node, name, block))
                stack.extend([child for child in block if child.__class__ in compound])
    return found


# The fields of statements (and of `except` and `case` clauses) that hold
# statements, and the node classes that have such fields.
BLOCK_FIELDS = ("body", "orelse", "finalbody", "handlers", "cases")
COMPOUND = frozenset(
    kind for kind in vars(ast).values()
    if isinstance(kind, type) and issubclass(kind, (ast.stmt, ast.excepthandler, ast.match_case))
    and set(BLOCK_FIELDS) & set(kind._fields))
_BLOCK_FIELDS_OF: dict[type, tuple[str, ...]] = {}  # node class -> its fields among BLOCK_FIELDS


def _lambdas_outside_blocks(statement: ast.AST, lambda_lines: list[int]) -> int:
    """The lambdas in a statement's own expressions (not in its blocks),
    looking only into expressions with a line that says `lambda`."""
    count = 0
    last = len(lambda_lines)
    first_line = getattr(statement, "lineno", None)
    if first_line is not None:  # its lines first (of a compound statement: up to its block)
        body = getattr(statement, "body", None)
        end = body[0].lineno if body else statement.end_lineno or first_line
        decorators = getattr(statement, "decorator_list", None)
        if decorators:
            first_line = decorators[0].lineno
        index = bisect.bisect_left(lambda_lines, first_line)
        if index == last or lambda_lines[index] > end:
            return 0
    stack = [value for name, value in ast.iter_fields(statement) if name not in BLOCK_FIELDS]
    while stack:
        node = stack.pop()
        if node.__class__ is list:
            stack.extend(node)
            continue
        if not isinstance(node, ast.AST):
            continue
        if isinstance(node, ast.expr):
            index = bisect.bisect_left(lambda_lines, node.lineno)
            if index == last or lambda_lines[index] > (node.end_lineno or node.lineno):
                continue  # no lambda on its lines
            if isinstance(node, ast.Lambda):
                count += 1
        stack.extend(children(node))
    return count


def _byte_slice(line: str, start: int, end: int | None) -> str:
    """`line[start:end]` where the offsets count UTF-8 bytes, as `ast` columns do."""
    if line.isascii():
        return line[start:end]
    return line.encode("utf-8")[start:end].decode("utf-8", "replace")


def _position(node: ast.AST) -> tuple[int, int]:
    return getattr(node, "lineno", 0), getattr(node, "col_offset", 0)


def walk(node: ast.AST) -> Iterator[ast.AST]:
    """Every node under `node` (itself included), like `ast.walk` but
    depth-first in source order and several times faster."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(children(current)))


# How `_collect_bindings` treats a node besides walking into it.
_BINDING_KINDS: dict[type, str] = {
    ast.FunctionDef: "def", ast.AsyncFunctionDef: "def", ast.ClassDef: "def",
    ast.Lambda: "skip", ast.ListComp: "skip", ast.SetComp: "skip", ast.DictComp: "skip", ast.GeneratorExp: "skip",
    ast.Global: "names", ast.Nonlocal: "names", ast.Import: "import", ast.ImportFrom: "import",
    ast.ExceptHandler: "handler", ast.NamedExpr: "walrus",
}

# Set by `FileContext._index`, on first use of any of them.
_INDEXED = frozenset({"parents", "functions", "imports", "module_imports", "module_bindings", "shadowed",
                      "_by_type", "_rebound_names", "_single_import"})


class FileContext:
    """What rules need to know about one file. The index (parent links,
    nodes by type, imports, module bindings) is built on first use: a file
    whose text holds nothing any rule looks for is never indexed."""

    def __init__(self, module: ParsedModule, is_test: bool = False):
        self.module = module
        self.path = module.path
        self.is_test = is_test
        self.tree = module.tree
        self._bindings_cache: dict[int, dict[str, list[ast.AST]]] = {}
        self._parser_lines: list[str] | None = None  # the file's lines as the parser counts them
        self._calls: list[tuple[ast.Call, str]] | None = None
        self._call_names: dict[int, str | None] = {}
        self._class_attributes: dict[int, dict[str, list[ast.AST] | None]] = {}  # id(class) -> attr -> values
        self._nodes_cache: dict[tuple[type, ...], list[ast.AST]] = {}
        self._global_names: set[str] | None = None
        # Reads of the values a class gives its attributes, which any of its
        # methods may assign (`instance_attribute_values`): the taint
        # extractor tells from it which facts rest on other methods.
        self.attribute_reads = 0
        self._blocks: list[tuple[ast.AST, str, list[ast.AST]]] | None = None

    def __getattr__(self, name: str):
        # Only called for attributes not set yet: the index's, before it is built.
        if name in _INDEXED and "_by_type" not in self.__dict__:
            self._index()
            return getattr(self, name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    @property
    def indexed(self) -> bool:
        return "_by_type" in self.__dict__

    def build_index(self) -> None:
        """Build the index now (else it is built on first use)."""
        if not self.indexed:
            self._index()

    # ----------------------------------------------------------------- index
    def _index(self) -> None:
        """One pass over the tree: parent links, nodes by type, imports."""
        self.parents: dict[int, ast.AST] = {}
        self.functions: list[ast.FunctionDef | ast.AsyncFunctionDef] = []
        self.imports: dict[str, str] = {}
        self.module_imports: dict[str, str] = {}  # local name -> module, from `import m [as n]`
        self.module_bindings: dict[str, list[ast.AST]] = {}
        self.shadowed: set[str] = set()  # module-level names that hide builtins
        self._rebound_names: set[str] = set()
        self._single_import: dict[str, bool] = {}
        by_type: dict[type, list[ast.AST]] = {}
        parents = self.parents
        stack: list[ast.AST] = [self.tree]
        AST, list_ = ast.AST, list
        while stack:  # the hottest loop of the front end: kept plain
            node = stack.pop()
            kind = node.__class__
            try:
                by_type[kind].append(node)
                fields = _CHILD_FIELDS[kind]
            except KeyError:
                by_type.setdefault(kind, []).append(node)
                fields = _child_fields(kind)
            for name in fields:
                value = getattr(node, name, None)
                if value.__class__ is list_:
                    for item in reversed(value):
                        if isinstance(item, AST):
                            parents[id(item)] = node
                            stack.append(item)
                elif isinstance(value, AST):
                    parents[id(value)] = node
                    stack.append(value)
        self._by_type = by_type
        # Names bound other than by an import (assignments, parameters, defs):
        # only these can shadow an import or a builtin inside a function.
        self._rebound_names = {n.id for n in by_type.get(ast.Name, ()) if not isinstance(n.ctx, ast.Load)}
        self._rebound_names.update(a.arg for a in by_type.get(ast.arg, ()))
        for kind in (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef):
            self._rebound_names.update(d.name for d in by_type.get(kind, ()))
        self.functions = [*by_type.get(ast.FunctionDef, []), *by_type.get(ast.AsyncFunctionDef, [])]
        self.functions.sort(key=lambda f: (f.lineno, f.col_offset))
        import_count: dict[str, int] = {}
        for node in by_type.get(ast.Import, []):
            for alias in node.names:
                local, target = _import_binding(node, alias)
                self.imports[local] = target
                self.module_imports[local] = target
                import_count[local] = import_count.get(local, 0) + 1
        for node in by_type.get(ast.ImportFrom, []):
            for alias in node.names:
                if alias.name == "*":
                    continue
                local, target = _import_binding(node, alias)
                self.imports[local] = target
                import_count[local] = import_count.get(local, 0) + 1
        self._single_import = {name: count == 1 for name, count in import_count.items()}
        self.module_bindings = self._collect_bindings(self.tree)
        for name in self.module_bindings:
            if name in _BUILTINS and name not in self.imports:
                self.shadowed.add(name)

    def nodes(self, *types: type) -> list[ast.AST]:
        """Every node of the given types, in source order (a shared list:
        do not change it)."""
        if len(types) == 1:
            return self._by_type.get(types[0], [])
        found = self._nodes_cache.get(types)
        if found is None:
            found = []
            for kind in types:
                found.extend(self._by_type.get(kind, ()))
            found.sort(key=_position)
            self._nodes_cache[types] = found
        return found

    @property
    def function_count(self) -> int:
        """Functions, methods and lambdas in the file (without indexing it)."""
        if self.indexed:
            return sum(len(self._by_type.get(t, ())) for t in (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
        return count_functions(self.tree, self.module.lines, self.blocks)

    @property
    def blocks(self) -> list[tuple[ast.AST, str, list[ast.AST]]]:
        """The file's `statement_blocks` (a shared list: do not change it)."""
        if self._blocks is None:
            self._blocks = statement_blocks(self.tree)
        return self._blocks

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
        parts.append(self._resolve_head(current))
        return ".".join(reversed(parts))

    def _resolve_head(self, name: ast.Name) -> str:
        """What a bare name refers to at its point of use: the import that
        binds it in the nearest scope, `<local>.name` when a function-local
        binding (parameter, assignment, nested def) hides an import or a
        builtin, else the name itself."""
        head = name.id
        if head not in self.imports and head not in _BUILTINS:
            return head  # neither an import nor a builtin: nothing to resolve or shadow
        if head not in self._rebound_names and head not in self.shadowed:
            # Only imports bind it; with a single import of the name the target is unambiguous.
            if head in self.imports and self._single_import.get(head, False):
                return self.imports[head]
            if head not in self.imports:
                return head
        scope, found = self._lookup(name)
        imports = [b for b in found if isinstance(b, (ast.Import, ast.ImportFrom))]
        if imports:
            binding = imports[-1]
            for alias in binding.names:
                local, target = _import_binding(binding, alias)
                if local == head:
                    return target
        if found and scope is not None and scope is not self.tree:
            if head in self.imports or head in _BUILTINS:
                return f"<local>.{head}"
            return head
        if head in self.imports:
            return self.imports[head]
        if head in self.shadowed:
            return f"<local>.{head}"
        return head

    def module_alias(self, module: str) -> str | None:
        """The name this file binds to `module` with `import module [as name]`."""
        for local, target in self.module_imports.items():
            if target == module:
                return local
        return None

    def call_name(self, call: ast.Call) -> str | None:
        """The qualified name of the callee (computed once per call)."""
        key = id(call)
        try:
            return self._call_names[key]
        except KeyError:
            name = self.qualified_name(call.func)
            if key in self.parents:  # not a node built by a rule (its id may be reused)
                self._call_names[key] = name
            return name

    def calls(self) -> Iterator[tuple[ast.Call, str]]:
        """Every call in the file whose callee can be named (computed once
        per file and shared by all rules)."""
        if self._calls is None:
            self._calls = []
            names = self._call_names
            for node in self._by_type.get(ast.Call, ()):
                name = names.get(id(node), _UNKNOWN)
                if name is _UNKNOWN:
                    name = names[id(node)] = self.qualified_name(node.func)  # type: ignore[attr-defined]
                if name:
                    self._calls.append((node, name))  # type: ignore[arg-type]
        return iter(self._calls)

    def calls_ending(self, *tails: str) -> Iterator[tuple[ast.Call, str]]:
        """The calls whose qualified name ends in one of `tails` (`system`
        for `os.system`), in source order, without naming every other call:
        a callee's last part is its attribute or bare name as written, or,
        through an import, the last part of the imported name."""
        wanted = frozenset(tails)
        renamed = {local for local, target in self.imports.items() if target.rpartition(".")[2] in wanted}
        for node in self._by_type.get(ast.Call, ()):
            func = node.func  # type: ignore[attr-defined]
            kind = func.__class__
            if (kind is ast.Attribute and func.attr in wanted) or (
                    kind is ast.Name and (func.id in wanted or func.id in renamed)):
                name = self.call_name(node)  # type: ignore[arg-type]
                if name and name.rpartition(".")[2] in wanted:
                    yield node, name  # type: ignore[misc]

    # -------------------------------------------------------- bindings
    def _collect_bindings(self, scope: ast.AST) -> dict[str, list[ast.AST]]:
        """name -> nodes that bind it directly in `scope` (not in nested scopes).
        A binding is the statement/arg node; parameters are ast.arg nodes."""
        bindings: dict[str, list[ast.AST]] = {}

        def bind(name: str, node: ast.AST) -> None:
            found = bindings.get(name)
            if found is None:
                bindings[name] = [node]
            else:
                found.append(node)

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
        child_fields = _CHILD_FIELDS
        AST, list_, Name, Load = ast.AST, list, ast.Name, ast.Load
        while stack:  # every node of every scope looked at: kept plain
            node = stack.pop()
            kind = node.__class__
            if kind is Name:
                ctx = node.ctx.__class__  # type: ignore[attr-defined]
                if ctx is not Load:
                    bind(node.id, self._binding_statement(node))  # type: ignore[attr-defined]
                continue  # a Name has no children but its context
            special = _BINDING_KINDS.get(kind)
            if special is not None:
                if special == "def":
                    bind(node.name, node)  # type: ignore[attr-defined]
                    stack.extend(node.decorator_list)  # type: ignore[attr-defined]
                    continue  # nested scope
                if special == "skip":
                    continue
                if special == "names":
                    for name in node.names:  # type: ignore[attr-defined]
                        bind(name, node)
                elif special == "import":
                    for alias in node.names:  # type: ignore[attr-defined]
                        bind((alias.asname or alias.name).split(".")[0], node)
                elif special == "handler":
                    if node.name:  # type: ignore[attr-defined]
                        bind(node.name, node)  # type: ignore[attr-defined]
                elif special == "walrus" and node.target.__class__ is Name:  # type: ignore[attr-defined]
                    bind(node.target.id, node)  # type: ignore[attr-defined]
                    stack.append(node.value)  # type: ignore[attr-defined]
                    continue
            fields = child_fields.get(kind)
            if fields is None:
                fields = _child_fields(kind)
            start = len(stack)
            for name in fields:
                value = getattr(node, name, None)
                if value.__class__ is list_:
                    for item in value:
                        if isinstance(item, AST):
                            stack.append(item)
                elif isinstance(value, AST):
                    stack.append(value)
            stack[start:] = stack[start:][::-1]  # children in source order
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
        """(scope, binding nodes) for a name used at `name`, LEGB without classes.
        A comprehension's loop variable is bound by its `ast.comprehension`."""
        below: set[int] = {id(name)}  # the nodes between `name` and `anc`
        for anc in self.ancestors(name):
            if isinstance(anc, _COMPREHENSIONS):
                generators = [g for g in anc.generators if _binds(g.target, name.id)]
                # The first iterable is evaluated in the enclosing scope.
                if generators and id(anc.generators[0].iter) not in below:
                    bound: list[ast.AST] = list(generators)
                    return anc, bound
            below.add(id(anc))
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

    def bindings_of(self, name: ast.Name) -> list[ast.AST]:
        """The nodes that bind `name` where it is used (statements, parameters,
        loops, imports, defs); empty when it is bound nowhere in the file."""
        return list(self._lookup(name)[1])

    def assigned_values(self, name: ast.Name) -> list[ast.expr] | None:
        """Every expression assigned to `name` in its scope, or None when some
        binding's value cannot be read from the text (parameter, loop, import,
        `with`, `global`...) or the name is bound nowhere."""
        found = self.bindings_of(name)
        if not found:
            return None
        values: list[ast.expr] = []
        for binding in found:
            value = self._assigned_value(binding, name.id)
            if value is None:
                return None
            values.append(value)
        return values

    def resolved_values(self, expr: ast.expr, depth: int = 6) -> list[ast.expr]:
        """The expressions `expr` stands for, following plain assignments of
        names (at most `depth` deep): `[expr]` itself when it is not a name
        or its value cannot be read from the text."""
        if isinstance(expr, ast.Name) and depth > 0:
            values = self.assigned_values(expr)
            if values:
                return [r for value in values for r in self.resolved_values(value, depth - 1)]
        return [expr]

    def constructed_by(self, expr: ast.AST) -> str | None:
        """For a name bound once, directly, to a call's result (`s = Session()`
        or `with Session() as s`), the qualified name of that call."""
        if not isinstance(expr, ast.Name):
            return None
        found = self.bindings_of(expr)
        if len(found) != 1:
            return None
        binding = found[0]
        value: ast.AST | None = None
        if isinstance(binding, (ast.Assign, ast.AnnAssign)):
            value = self._assigned_value(binding, expr.id)
        elif isinstance(binding, (ast.With, ast.AsyncWith)):
            for item in binding.items:
                if isinstance(item.optional_vars, ast.Name) and item.optional_vars.id == expr.id:
                    value = item.context_expr
        if isinstance(value, ast.Await):
            value = value.value
        return self.call_name(value) if isinstance(value, ast.Call) else None

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
                if isinstance(binding, _LOOPS):
                    # A loop variable takes the values of a constant iterable.
                    if not self.is_constant(binding.iter, d, seen):
                        return False
                    continue
                value = self._assigned_value(binding, expr.id)
                if value is None or not self.is_constant(value, d, seen):
                    return False
            if scope is self.tree and self._rebound_globally(expr.id):
                return False
            return True
        if isinstance(expr, ast.Attribute):
            values = self.instance_attribute_values(expr)
            return values is not None and all(self.is_constant(v, d, _seen) for v in values)
        return False

    def instance_attribute_values(self, expr: ast.Attribute) -> list[ast.AST] | None:
        """Every value the class assigns to `self.attr` / `cls.attr` (or to
        `attr` in its body), when `expr` is such an attribute read inside a
        method; None when that cannot be known (no assignment seen, an
        augmented assignment, a read outside a method)."""
        if not isinstance(expr.value, ast.Name):
            return None
        func = self.enclosing_function(expr)
        if func is None or not func.args.args or func.args.args[0].arg != expr.value.id:
            return None
        klass = self.parents.get(id(func))
        if not isinstance(klass, ast.ClassDef):
            return None
        if not self._class_attributes:
            self._collect_class_attributes()
        self.attribute_reads += 1
        return self._class_attributes.get(id(klass), {}).get(expr.attr)

    def _collect_class_attributes(self) -> None:
        """For every class, attr -> the values assigned to it in the class body
        or through a method's receiver (`self.attr = v`) anywhere in the method;
        None when one assignment's value cannot be known. One pass over the
        file's assignments, for all classes at once."""
        tables: dict[int, dict[str, list[ast.AST] | None]] = {}

        def record(klass: ast.AST, attr: str, value: ast.AST | None) -> None:
            table = tables.setdefault(id(klass), {})
            if value is None:
                table[attr] = None  # assigned something unknowable: never constant
            elif attr not in table or table[attr] is not None:
                table.setdefault(attr, []).append(value)  # type: ignore[union-attr]

        parents = self.parents
        for kind in (ast.Assign, ast.AnnAssign, ast.AugAssign):
            for node in self._by_type.get(kind, ()):
                if kind is ast.Assign:
                    targets, value = node.targets, node.value  # type: ignore[attr-defined]
                else:
                    targets = [node.target]  # type: ignore[attr-defined]
                    value = node.value if kind is ast.AnnAssign else None  # type: ignore[attr-defined]
                parent = parents.get(id(node))
                if isinstance(parent, ast.ClassDef):  # `attr = v` in the class body
                    if kind is not ast.AugAssign and value is not None:
                        for target in targets:
                            if isinstance(target, ast.Name):
                                record(parent, target.id, value)
                    continue
                method = self._method_of(node)
                if method is None:
                    continue
                receiver = method.args.args[0].arg
                for target in targets:
                    for sub in walk(target):
                        if (isinstance(sub, ast.Attribute) and isinstance(sub.value, ast.Name)
                                and sub.value.id == receiver):
                            # Tuple targets and augmented assignments: value unknown.
                            record(parents[id(method)], sub.attr, value if sub is target else None)
        tables.setdefault(0, {})  # computed, even for a file without classes
        self._class_attributes = tables

    def _method_of(self, node: ast.AST) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
        """The method (a def directly in a class body, with a receiver) that
        holds `node`, however deeply nested."""
        for anc in self.ancestors(node):
            if isinstance(anc, (ast.FunctionDef, ast.AsyncFunctionDef)) and anc.args.args:
                if isinstance(self.parents.get(id(anc)), ast.ClassDef):
                    return anc
            elif isinstance(anc, ast.ClassDef):
                return None
        return None

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
        """Some function declares `global name` (so may assign it): not a constant."""
        if self._global_names is None:
            self._global_names = {n for g in self._by_type.get(ast.Global, ()) for n in g.names}  # type: ignore[attr-defined]
        return name in self._global_names

    @staticmethod
    def _assigned_value(binding: ast.AST, name: str) -> ast.expr | None:
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
                    code = self.source_of(value)
                    return Origin("assignment", text, getattr(binding, "lineno", line),
                                  f"`{expr.id}` is assigned from `{code}`", code)
                if isinstance(binding, _LOOPS):
                    # a comprehension has no position of its own: use its target's
                    where = binding.target.lineno if isinstance(binding, ast.comprehension) else binding.lineno
                    code = self.source_of(binding.iter)
                    return Origin("assignment", text, where, f"`{expr.id}` is a loop variable over `{code}`", code)
                if isinstance(binding, (ast.With, ast.AsyncWith)):
                    return Origin("assignment", text, binding.lineno, f"`{expr.id}` is bound by a `with` statement")
            return Origin("unknown", text, line, f"`{expr.id}` is not a constant")
        if isinstance(expr, ast.Call):
            return Origin("call", text, line, f"`{text}` is computed at run time", text)
        if isinstance(expr, ast.Attribute):
            return Origin("attribute", text, line, f"`{text}` is read from an object at run time", text)
        return Origin("unknown", text, line, f"`{text}` is not a constant", text)

    def non_constant_parts(self, expr: ast.AST) -> list[ast.AST]:
        """The pieces of `expr` that make it non-constant (f-string fields,
        operands of +/%, format arguments), innermost first where useful."""
        return self._parts(expr, 0)

    def _parts(self, expr: ast.AST, depth: int) -> list[ast.AST]:
        if self.is_constant(expr):
            return []
        if depth > _MAX_DEPTH:
            return [expr]
        d = depth + 1
        pieces: list[ast.AST]
        if isinstance(expr, ast.JoinedStr):
            pieces = [v.value for v in expr.values if isinstance(v, ast.FormattedValue)]
        elif isinstance(expr, ast.BinOp):
            pieces = [expr.left, expr.right]
        elif isinstance(expr, (ast.Tuple, ast.List, ast.Set)):
            pieces = list(expr.elts)
        elif isinstance(expr, ast.Dict):  # "%(name)s" % {"name": value}
            pieces = list(expr.values)
        elif isinstance(expr, ast.Starred):
            pieces = [expr.value]
        elif isinstance(expr, (ast.ListComp, ast.SetComp, ast.GeneratorExp)):
            pieces = [expr.elt]  # " ".join(quote(a) for a in args): the items are the elements
        elif (isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute)
                and expr.func.attr in ("format", "join") and self.is_constant(expr.func.value)):
            pieces = [*expr.args, *(k.value for k in expr.keywords)]
        else:
            return [expr]
        out: list[ast.AST] = []
        for piece in pieces:
            out.extend(self._parts(piece, d))
        return out

    # -------------------------------------------------------------- text
    def segment(self, node: ast.AST) -> str | None:
        """The exact source text of `node` (as `ast.get_source_segment`, but
        from a line table built once, not by re-splitting the file per call)."""
        first, last = start_of(node), end_of(node)
        if first is None or last is None:
            return None
        lines = self._lines_as_parsed()
        if not 1 <= first[0] <= last[0] <= len(lines):
            return None
        if first[0] == last[0]:
            return _byte_slice(lines[first[0] - 1], first[1], last[1])
        parts = [_byte_slice(lines[first[0] - 1], first[1], None), *lines[first[0]:last[0] - 1],
                 _byte_slice(lines[last[0] - 1], 0, last[1])]
        return "".join(parts)

    def _lines_as_parsed(self) -> list[str]:
        """The file's lines as the parser counts them (only \\r\\n, \\r and \\n
        end a line), ends kept."""
        if self._parser_lines is None:
            text = self.module.text
            if "\r" in text:
                self._parser_lines = _PARSER_LINES.findall(text)
            else:  # the common case, without a regex over the whole file
                self._parser_lines = [line + "\n" for line in text.split("\n")]
                if text.endswith("\n") or not text:
                    self._parser_lines.pop()
                else:
                    self._parser_lines[-1] = self._parser_lines[-1][:-1]
        return self._parser_lines

    def source_of(self, node: ast.AST, limit: int = 80) -> str:
        text = self.segment(node) or ""
        text = " ".join(text.split())
        if not text:
            try:
                text = ast.unparse(node)
            except Exception:  # noqa: BLE001 - unparse of a partial tree
                text = type(node).__name__
        return text if len(text) <= limit else text[: limit - 3] + "..."

    def replace_source(self, node: ast.AST, new: str, lines_of: ast.AST | None = None) -> str | None:
        """The source lines of `lines_of` (default: `node`) with exactly the
        text of `node` replaced by `new`; None when positions are unknown."""
        start, end = start_of(node), end_of(node)
        if start is None or end is None:
            return None
        return self.replace_spans(lines_of or node, [(start, end, new)], check=[node])

    def replace_spans(self, lines_of: ast.AST, edits: list[tuple[Position, Position, str]],
                      check: Sequence[ast.AST] = ()) -> str | None:
        """The source lines of `lines_of` with the text between each edit's
        start and end position replaced by its new text. Positions are
        (line, column) as the parser gives them (columns in UTF-8 bytes);
        edits must not overlap. None when a position falls outside the lines
        or the text of a node in `check` is not where the parser put it."""
        line = getattr(lines_of, "lineno", None)
        end_line = getattr(lines_of, "end_lineno", None)
        if line is None or end_line is None:
            return None
        lines = [self.module.line(n).encode("utf-8") for n in range(line, end_line + 1)]
        starts = [0]
        for encoded in lines[:-1]:
            starts.append(starts[-1] + len(encoded) + 1)
        text = b"\n".join(lines)

        def offset(position: Position) -> int | None:
            lineno, col = position
            if not line <= lineno <= end_line or col > len(lines[lineno - line]):
                return None
            return starts[lineno - line] + col

        for node in check:
            first, last = start_of(node), end_of(node)
            a = offset(first) if first else None
            b = offset(last) if last else None
            if a is None or b is None or text[a:b].decode("utf-8", "replace") != self.segment(node):
                return None  # the line table disagrees with the parser
        spans: list[tuple[int, int, bytes]] = []
        for first, last, new in edits:
            a, b = offset(first), offset(last)
            if a is None or b is None or b < a:
                return None
            spans.append((a, b, new.encode("utf-8")))
        spans.sort()
        if any(x[1] > y[0] for x, y in zip(spans, spans[1:])):
            return None
        for a, b, new_bytes in reversed(spans):
            text = text[:a] + new_bytes + text[b:]
        return text.decode("utf-8")

    def keyword(self, call: ast.Call, name: str) -> ast.expr | None:
        kw = self.keyword_node(call, name)
        return kw.value if kw is not None else None

    @staticmethod
    def keyword_node(call: ast.Call, name: str) -> ast.keyword | None:
        for kw in call.keywords:
            if kw.arg == name:
                return kw
        return None

    def argument(self, call: ast.Call, position: int, name: str | None = None) -> ast.expr | None:
        if len(call.args) > position and not any(isinstance(a, ast.Starred) for a in call.args[: position + 1]):
            return call.args[position]
        if name is not None:
            return self.keyword(call, name)
        return None


def _import_binding(node: ast.Import | ast.ImportFrom, alias: ast.alias) -> tuple[str, str]:
    """(local name, what it refers to) for one name of an import statement:
    `import a.b` -> ('a', 'a'); `import a.b as c` -> ('c', 'a.b');
    `from a import b as c` -> ('c', 'a.b'); `from . import b` -> ('b', '.b')."""
    if isinstance(node, ast.Import):
        if alias.asname:
            return alias.asname, alias.name
        top = alias.name.split(".")[0]
        return top, top
    base = "." * node.level + (node.module or "")
    target = f"{base}.{alias.name}" if base and not base.endswith(".") else base + alias.name
    return alias.asname or alias.name, target


def _binds(target: ast.AST, name: str) -> bool:
    """True when the assignment target `target` binds `name`."""
    return any(isinstance(n, ast.Name) and n.id == name for n in walk(target))


def start_of(node: ast.AST) -> Position | None:
    line, col = getattr(node, "lineno", None), getattr(node, "col_offset", None)
    return (line, col) if line is not None and col is not None else None


def end_of(node: ast.AST) -> Position | None:
    line, col = getattr(node, "end_lineno", None), getattr(node, "end_col_offset", None)
    return (line, col) if line is not None and col is not None else None
