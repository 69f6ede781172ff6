"""Does a code identifier named by a review exist? Answered by reading, never running, code.

A review names identifiers as it pleases: `dest_rp_uuid`, `self.api.get_flavors`,
`api.get_server_ext_attr()`, `os.path.join`. `NameIndex.lookup` says whether
each exists, and where, so that a claim naming code that is nowhere can be
reported as an invented identifier, while a claim quoting existing code passes.

Nothing is imported or executed: project files are given as text, and modules
on the search path are located with `importlib.machinery.PathFinder.find_spec`
one package level at a time (which only lists directories) and their `.py`
source is parsed with `ast`. `importlib.import_module` and
`importlib.util.find_spec` are never used: for a dotted name they import, and
so run, the parent packages.

How an identifier is looked up, given the file the claim is about (`path`):

- It is cleaned first: a trailing call (`()` or `(args)`) is ignored, and a
  leading `self.` or `cls.` is stripped (`self.api.get_flavors` becomes
  `api.get_flavors`, looked up as an attribute, never as a module). Text that
  is not a dotted Python name raises `ValueError`.
- Dotted, with a head the file imports (`os.path.join`,
  `nova_fixtures.NeutronFixture`, `fake_network.set_stub_network_methods`):
  the head's module is found (a project file by module path, `nova/tests/
  fixtures.py` or a package's `__init__.py`, then the search path, then the
  standard library's own folders) and each further part is looked up in it:
  its top-level definitions, the names it imports (so a package re-exporting
  `from .client import TestOpenStackClient`, or `os` binding `path` to
  `posixpath`, is followed, up to `MAX_REEXPORT_HOPS` hops), its
  `from x import *` modules and its submodules; inside a class, its methods,
  class attributes, `self.x = ...` assignments and those of its base classes
  (to `MAX_BASE_DEPTH` levels). A part missing there means the identifier
  does not exist, unless the file itself uses that exact dotted name. What
  cannot be read is taken on trust and said so: a compiled module (an
  extension, or one built into the interpreter) "members not checked", a
  module or class defining `__getattr__`, a class whose base cannot be read.
  When the head's module cannot be found, or the walk reaches a value whose
  type is unknown (a function, a variable), the last part is looked up as
  below.
- Otherwise the name (or, for a dotted name, its last part: `get_flavors` of
  `api.get_flavors`) exists when it is, in this order:
  defined in the file (def, class, any assignment target including tuple,
  for, with, except, comprehension and walrus targets, `self.x = ...`,
  parameter, import alias, global), a builtin (plain names only), used in the
  file (as a name, an attribute or a keyword argument; a review quoting
  existing code must pass), defined in another project file (def, class,
  method, module variable, class attribute, `self.x = ...`), inherited by a
  class of the file from a base class read in the project or an imported
  module (so `self.assertEqual` is found in `unittest.TestCase`), or defined
  in a module the file imports (its top level and its classes, with their
  bases). Compiled modules and `__getattr__` are not taken on trust here: a
  name is found somewhere, or it does not exist.

A reviewed file that does not parse (Python 2, a fragment) is searched word by
word instead; other files that do not parse are skipped. Parsed modules are
cached, and at most `MAX_MODULES` modules are read from the search path per
index.

Limits: project files map to modules only by their full relative path (or
with a leading `src/`); a project folder without `__init__.py` is a package
known only by the files given, so a submodule missing from them is not
reported missing (the last part is looked up as above instead); packages
found only through `sys.meta_path` finders (some editable installs) are not
seen; `__all__`, conditions and the types of variables are not evaluated
(`os.path` is `posixpath`, the first binding in `os`).
"""

from __future__ import annotations

import ast
import builtins
import importlib.machinery
import importlib.util
import os
import re
import sys
import sysconfig
from dataclasses import dataclass, field

MAX_MODULES = 200  # modules read from the search path per index
MAX_BASE_DEPTH = 5  # base classes followed from a class
MAX_REEXPORT_HOPS = 3  # `from .x import Name` / `import a as b` chains followed from a module
MAX_SOURCE_BYTES = 4 * 1024 * 1024  # larger library sources are not read

SELF_NAMES = ("self", "cls")
# A word that could be a Python name, to search a file that does not parse.
WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

# How a name is defined.
DEF = "def"
METHOD = "method"
CLASS = "class"
VARIABLE = "variable"  # module level
LOCAL = "local"  # inside a function
CLASS_ATTRIBUTE = "class attribute"
ATTRIBUTE = "attribute"  # `self.x = ...` or any `obj.x = ...`
PARAMETER = "parameter"
IMPORT = "import"
GLOBAL = "global"
BUILTIN_MEMBER = "builtin member"  # a member of a builtin base class such as dict
# What a project file contributes to the project index: definitions others can reach.
PROJECT_KINDS = (DEF, METHOD, CLASS, VARIABLE, CLASS_ATTRIBUTE, ATTRIBUTE)

# Where a module comes from.
PROJECT = "project"
STDLIB = "stdlib"
LIBRARY = "library"
BUILTINS = "builtins"

COMPILED = "compiled module, members not checked"
MODULE_GETATTR = "module defines __getattr__, members not checked"


@dataclass(frozen=True)
class Lookup:
    """Whether an identifier exists, and `where`: a short reason a user reads."""

    exists: bool
    where: str


@dataclass(frozen=True)
class _Definition:
    name: str
    line: int
    kind: str
    owner: str = ""  # the class of a method or attribute, the function of a parameter
    detail: str = ""  # the target as written, for attributes ("self.flavor1")

    def describe(self) -> str:
        """The definition in a few words: "method get_flavors of TestOpenStackClient"."""
        of = f" of {self.owner}" if self.owner else ""
        if self.kind in (METHOD, CLASS_ATTRIBUTE, PARAMETER):
            return f"{self.kind} {self.name}{of}"
        if self.kind == ATTRIBUTE:
            return f"attribute {self.detail or self.name}{of}"
        if self.kind in (VARIABLE, LOCAL):
            return f"variable {self.name}"
        if self.kind == IMPORT:
            return f"{self.name}, imported there"
        return f"{self.kind} {self.name}"


@dataclass(frozen=True)
class _ImportRef:
    """What an import binds a name to: module `module`, or its member `attr`."""

    module: str
    attr: str | None
    line: int


@dataclass(eq=False)
class _Class:
    name: str
    definition: _Definition
    module: _Module
    bases: list[str | None]  # dotted text; None for a base that is not a dotted name
    members: dict[str, _Definition] = field(default_factory=dict)
    dynamic: bool = False  # defines __getattr__


@dataclass(eq=False)
class _Module:
    name: str
    origin: str  # project: the relative path; else the file found (or the name)
    kind: str  # PROJECT, STDLIB, LIBRARY or BUILTINS
    is_package: bool = False
    compiled: bool = False
    definitions: dict[str, _Definition] = field(default_factory=dict)
    imports: dict[str, _ImportRef] = field(default_factory=dict)
    stars: list[str] = field(default_factory=list)  # modules imported with `*`
    classes: dict[str, _Class] = field(default_factory=dict)
    dynamic: bool = False  # defines a module-level __getattr__
    # A project folder without __init__.py, known only by the files given:
    # a submodule missing from them may still exist.
    partial: bool = False


@dataclass(frozen=True)
class _Hit:
    """Something found: in module `home`, as `definition` (None: `home` itself).
    `module`/`cls` when it can be looked into; `unchecked` when its members
    cannot be, and why; `module` is `home` for a module hit."""

    home: _Module
    definition: _Definition | None = None
    module: _Module | None = None
    cls: _Class | None = None
    unchecked: str = ""


@dataclass
class _Bases:
    classes: list[_Class] = field(default_factory=list)
    builtin: list[str] = field(default_factory=list)  # builtin classes, e.g. "dict"
    unresolved: list[str] = field(default_factory=list)


@dataclass
class _Targets:
    """What a file's imports resolve to, for the search of last resort."""

    hits: list[_Hit] = field(default_factory=list)
    modules_read: int = 0
    not_found: list[str] = field(default_factory=list)


_BUILTINS = _Module("builtins", "builtins", BUILTINS, compiled=True)


# ---------------------------------------------------------------- names and paths


def _without_call(text: str) -> str:
    """`text` without the call that ends it, as reviews write names:
    "get_flavors()" and "post_server_action(server['id'], f(req))" lose their
    parenthesised arguments (matched by counting brackets); other text is
    returned as it is."""
    if not text.endswith(")"):
        return text
    depth = 0
    for index in range(len(text) - 1, -1, -1):
        depth += {")": 1, "(": -1}.get(text[index], 0)
        if depth == 0:
            return text[:index].rstrip()
    return text


def split_identifier(identifier: str) -> tuple[list[str], bool]:
    """The parts of an identifier as a review writes it, and whether it began
    with `self.`/`cls.` (then stripped): "self.api.get_flavors()" gives
    (["api", "get_flavors"], True). Raises ValueError for anything that is not
    a dotted Python name."""
    text = _without_call(identifier.strip())
    parts = text.split(".")
    if not text or not all(part.isidentifier() for part in parts):
        raise ValueError(f"not a Python identifier: {identifier!r}")
    if len(parts) > 1 and parts[0] in SELF_NAMES:
        return parts[1:], True
    return parts, False


def module_name_for(path: str) -> tuple[str | None, bool]:
    """The module a project file is, by its relative path, and whether it is a
    package: "nova/tests/__init__.py" is ("nova.tests", True). None when the
    path is not a Python module path."""
    parts = path.replace("\\", "/").strip("/").split("/")
    if not parts[-1].endswith(".py"):
        return None, False
    parts[-1] = parts[-1][: -len(".py")]
    is_package = parts[-1] == "__init__"
    if is_package:
        parts = parts[:-1]
    if not parts or not all(part.isidentifier() for part in parts):
        return None, is_package
    return ".".join(parts), is_package


def _absolute_module(module_name: str | None, is_package: bool, level: int, target: str | None) -> str | None:
    """The absolute module of `from <level dots><target> import ...` written in `module_name`."""
    if level == 0:
        return target
    if module_name is None:
        return None
    package = module_name.split(".") if is_package else module_name.split(".")[:-1]
    if level - 1 > len(package):
        return None
    base = package[: len(package) - (level - 1)]
    name = ".".join(base + ([target] if target else []))
    return name or None


def dotted_name(node: ast.AST) -> str | None:
    """"a.b.c" for a chain of names and attributes; None for anything else."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        head = dotted_name(node.value)
        return f"{head}.{node.attr}" if head else None
    return None


def _import_bindings(node: ast.Import | ast.ImportFrom, module_name: str | None,
                     is_package: bool) -> list[tuple[str, _ImportRef | None]]:
    """The names an import statement binds, each with what it refers to
    (None: a relative import that cannot be placed); ("*", ref) for a star."""
    bindings: list[tuple[str, _ImportRef | None]] = []
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.asname:
                bindings.append((alias.asname, _ImportRef(alias.name, None, node.lineno)))
            else:
                top = alias.name.split(".")[0]
                bindings.append((top, _ImportRef(top, None, node.lineno)))
        return bindings
    source = _absolute_module(module_name, is_package, node.level, node.module)
    for alias in node.names:
        ref = _ImportRef(source, None if alias.name == "*" else alias.name, node.lineno) if source else None
        bindings.append((alias.asname or alias.name, ref))
    return bindings


def _stdlib_dirs() -> list[str]:
    """The standard library's folders, searched for stdlib modules a custom
    search path leaves out."""
    dirs: list[str] = []
    for key in ("stdlib", "platstdlib"):
        folder = sysconfig.get_path(key)
        if folder:
            dirs += [folder, os.path.join(folder, "lib-dynload")]
    return [d for i, d in enumerate(dirs) if d not in dirs[:i] and os.path.isdir(d)]


# ---------------------------------------------------------------- reading one module's top level


def _statements(body: list[ast.stmt]):
    """The statements run at this level: into if/try/with/for/while/match
    blocks, never into function or class bodies."""
    for stmt in body:
        yield stmt
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        for name in ("body", "orelse", "finalbody"):
            block = getattr(stmt, name, None)
            if isinstance(block, list):
                yield from _statements(block)
        for handler in getattr(stmt, "handlers", []):
            yield from _statements(handler.body)
        for case in getattr(stmt, "cases", []):
            yield from _statements(case.body)


def _target_names(target: ast.expr) -> list[ast.Name]:
    """The plain names an assignment target binds (through tuples and stars)."""
    if isinstance(target, ast.Name):
        return [target]
    if isinstance(target, (ast.Tuple, ast.List)):
        return [name for element in target.elts for name in _target_names(element)]
    if isinstance(target, ast.Starred):
        return _target_names(target.value)
    return []


def _bound_targets(stmt: ast.stmt) -> list[ast.expr]:
    """The targets a statement assigns to."""
    if isinstance(stmt, ast.Assign):
        return list(stmt.targets)
    if isinstance(stmt, (ast.AnnAssign, ast.AugAssign, ast.For, ast.AsyncFor)):
        return [stmt.target]
    if isinstance(stmt, (ast.With, ast.AsyncWith)):
        return [item.optional_vars for item in stmt.items if item.optional_vars is not None]
    return []


def _self_attributes(method: ast.FunctionDef | ast.AsyncFunctionDef, owner: str) -> list[_Definition]:
    """`self.x = ...` (also augmented, annotated, tuple) assignments in a method."""
    params = method.args.posonlyargs + method.args.args
    if not params:
        return []
    me = params[0].arg
    found: list[_Definition] = []
    for node in ast.walk(method):
        if (isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store)
                and isinstance(node.value, ast.Name) and node.value.id == me):
            found.append(_Definition(node.attr, node.lineno, ATTRIBUTE, owner, f"{me}.{node.attr}"))
    return found


def _scan_class(node: ast.ClassDef, module: _Module) -> _Class:
    definition = _Definition(node.name, node.lineno, CLASS)
    bases = [dotted_name(base.value if isinstance(base, ast.Subscript) else base) for base in node.bases]
    cls = _Class(node.name, definition, module, bases)
    attributes: list[_Definition] = []
    for stmt in _statements(node.body):
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            cls.members.setdefault(stmt.name, _Definition(stmt.name, stmt.lineno, METHOD, node.name))
            cls.dynamic = cls.dynamic or stmt.name in ("__getattr__", "__getattribute__")
            attributes += _self_attributes(stmt, node.name)
        elif isinstance(stmt, ast.ClassDef):
            cls.members.setdefault(stmt.name, _Definition(stmt.name, stmt.lineno, CLASS))
        for target in _bound_targets(stmt):
            for name in _target_names(target):
                cls.members.setdefault(name.id, _Definition(name.id, name.lineno, CLASS_ATTRIBUTE, node.name))
    for attribute in attributes:  # after the class body: a class attribute is the better answer
        cls.members.setdefault(attribute.name, attribute)
    return cls


def _scan_module(module: _Module, tree: ast.Module) -> None:
    """Fill `module` with what its top level defines, imports and re-exports."""
    for stmt in _statements(tree.body):
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            module.definitions.setdefault(stmt.name, _Definition(stmt.name, stmt.lineno, DEF))
            module.dynamic = module.dynamic or stmt.name == "__getattr__"
        elif isinstance(stmt, ast.ClassDef):
            cls = _scan_class(stmt, module)
            module.classes.setdefault(stmt.name, cls)
            module.definitions.setdefault(stmt.name, cls.definition)
        elif isinstance(stmt, (ast.Import, ast.ImportFrom)):
            for name, ref in _import_bindings(stmt, module.name, module.is_package):
                if name == "*":
                    if ref is not None:
                        module.stars.append(ref.module)
                elif ref is not None:
                    module.imports.setdefault(name, ref)
                else:
                    module.definitions.setdefault(name, _Definition(name, stmt.lineno, IMPORT))
        for target in _bound_targets(stmt):
            for bound in _target_names(target):
                module.definitions.setdefault(bound.id, _Definition(bound.id, bound.lineno, VARIABLE))


def _parse(source: str, filename: str) -> ast.Module | None:
    """The syntax tree, or None for a file Python 3 cannot parse."""
    try:
        return ast.parse(source, filename=filename)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


# ---------------------------------------------------------------- reading a whole file


class _FileScanner(ast.NodeVisitor):
    """Every definition and use of a name in a file, at any depth."""

    def __init__(self, module_name: str | None, is_package: bool) -> None:
        self.module_name = module_name
        self.is_package = is_package
        self.definitions: dict[str, list[_Definition]] = {}
        self.uses: dict[str, tuple[int, str]] = {}  # name -> (first line, "name"/"attribute"/"keyword")
        self.chains: dict[str, int] = {}  # dotted names used ("self.api.get_flavors") -> first line
        self.imports: dict[str, _ImportRef] = {}  # at any depth
        self._scopes: list[tuple[str, str]] = []  # ("class" or "function", name)

    def _define(self, name: str, line: int, kind: str, owner: str = "", detail: str = "") -> None:
        self.definitions.setdefault(name, []).append(_Definition(name, line, kind, owner, detail))

    def _use(self, name: str, line: int, how: str) -> None:
        self.uses.setdefault(name, (line, how))

    def _scope(self) -> tuple[str, str]:
        return self._scopes[-1] if self._scopes else ("module", "")

    def _in_class(self) -> str:
        """The innermost enclosing class ("" when none)."""
        return next((name for kind, name in reversed(self._scopes) if kind == "class"), "")

    def _parameters(self, args: ast.arguments, owner: str) -> None:
        every = args.posonlyargs + args.args + args.kwonlyargs
        every += [arg for arg in (args.vararg, args.kwarg) if arg is not None]
        for arg in every:
            self._define(arg.arg, arg.lineno, PARAMETER, owner)

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        kind, owner = self._scope()
        self._define(node.name, node.lineno, METHOD if kind == "class" else DEF, owner if kind == "class" else "")
        self._parameters(node.args, node.name)
        self._scopes.append(("function", node.name))
        self.generic_visit(node)
        self._scopes.pop()

    visit_FunctionDef = visit_AsyncFunctionDef = _function

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self._parameters(node.args, "lambda")
        self.generic_visit(node)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self._define(node.name, node.lineno, CLASS)
        self._scopes.append(("class", node.name))
        self.generic_visit(node)
        self._scopes.pop()

    def _bind(self, name: str, line: int) -> None:
        kind, owner = self._scope()
        if kind == "class":
            self._define(name, line, CLASS_ATTRIBUTE, owner)
        else:
            self._define(name, line, LOCAL if kind == "function" else VARIABLE)

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Load):
            self._use(node.id, node.lineno, "name")
        else:
            self._bind(node.id, node.lineno)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        dotted = dotted_name(node)
        if isinstance(node.ctx, ast.Load):
            self._use(node.attr, node.lineno, "attribute")
            if dotted:
                self.chains.setdefault(dotted, node.lineno)
        else:
            self._define(node.attr, node.lineno, ATTRIBUTE, self._in_class(), dotted or "")
        self.generic_visit(node)

    def visit_keyword(self, node: ast.keyword) -> None:
        if node.arg:
            self._use(node.arg, node.lineno, "keyword")
        self.generic_visit(node)

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if node.name:
            self._bind(node.name, node.lineno)
        self.generic_visit(node)

    def _match_name(self, node: ast.MatchAs | ast.MatchStar) -> None:
        if node.name:
            self._bind(node.name, node.lineno)
        self.generic_visit(node)

    visit_MatchAs = visit_MatchStar = _match_name

    def visit_MatchMapping(self, node: ast.MatchMapping) -> None:
        if node.rest:
            self._bind(node.rest, node.lineno)
        self.generic_visit(node)

    def _scope_declaration(self, node: ast.Global | ast.Nonlocal) -> None:
        for name in node.names:
            self._define(name, node.lineno, GLOBAL)

    visit_Global = visit_Nonlocal = _scope_declaration

    def _import(self, node: ast.Import | ast.ImportFrom) -> None:
        for name, ref in _import_bindings(node, self.module_name, self.is_package):
            if name == "*":
                continue
            self._define(name, node.lineno, IMPORT)
            if ref is not None:
                self.imports.setdefault(name, ref)

    visit_Import = visit_ImportFrom = _import


@dataclass
class _File:
    """The reviewed file: everything it defines and uses, and its imports."""

    path: str
    module: _Module | None  # its top level, for its classes' bases
    parsed: bool
    definitions: dict[str, list[_Definition]] = field(default_factory=dict)
    uses: dict[str, tuple[int, str]] = field(default_factory=dict)
    chains: dict[str, int] = field(default_factory=dict)
    imports: dict[str, _ImportRef] = field(default_factory=dict)
    words: dict[str, int] = field(default_factory=dict)  # when it does not parse
    star_modules: list[str] = field(default_factory=list)


def _words(source: str) -> dict[str, int]:
    found: dict[str, int] = {}
    for number, line in enumerate(source.splitlines(), 1):
        for word in WORD.findall(line):
            found.setdefault(word, number)
    return found


# ---------------------------------------------------------------- where, in words


def _in_file(definition: _Definition) -> str:
    line = f"in the file at line {definition.line}"
    kind = definition.kind
    if kind in (DEF, METHOD, CLASS):
        return f"defined {line} ({definition.describe()})"
    if kind in (VARIABLE, LOCAL):
        return f"assigned {line}"
    if kind == CLASS_ATTRIBUTE:
        return f"assigned {line} ({definition.describe()})"
    if kind == ATTRIBUTE:
        return f"assigned {line} ({definition.detail or definition.name})"
    if kind == PARAMETER:
        return f"parameter {line} (of {definition.owner})"
    if kind == IMPORT:
        return f"imported {line}"
    return f"declared global {line}"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


USE_WORDS = {"name": "used", "attribute": "attribute used", "keyword": "keyword argument"}


def _found(hit: _Hit, label: str = "", extra: str = "") -> str:
    """Where a hit in a module is, for a user: `label` is the identifier as
    asked, `extra` a note such as ", inherited by TestX"."""
    home, definition = hit.home, hit.definition
    named = f"{label}: " if label else ""
    if hit.unchecked:
        if home.kind == STDLIB:
            return f"standard library ({label or home.name}: {hit.unchecked}{extra})"
        if home.kind == PROJECT:
            return f"in {home.origin} ({hit.unchecked}{extra})"
        return f"in module {home.name} ({hit.unchecked}{extra})"
    if home.kind == BUILTINS and definition is not None:
        return f"builtin ({definition.owner}.{definition.name}{extra})"
    if definition is None:
        if home.kind == PROJECT:
            return f"project module {home.origin}"
        if home.kind == STDLIB:
            return f"standard library ({named}module {home.name})"
        return f"module {home.name} ({home.origin}, read from its source, not run)"
    if home.kind == PROJECT:
        return f"defined in {home.origin}:{definition.line} ({definition.describe()}{extra})"
    if home.kind == STDLIB:
        return f"standard library ({named}{definition.describe()} in {home.name}{extra})"
    return f"in module {home.name} ({definition.describe()}{extra}, read from its source, not run)"


def _container(hit: _Hit) -> str:
    """The module or class a missing member was looked for in."""
    module = hit.cls.module if hit.cls is not None else hit.home
    if module.kind == PROJECT:
        place = module.origin
    elif module.kind == STDLIB:
        place = f"standard library module {module.name}"
    else:
        place = f"module {module.name}"
    return f"class {hit.cls.name} in {place}" if hit.cls is not None else place


# ---------------------------------------------------------------- the index


class NameIndex:
    """Looks identifiers up in a project and the modules it imports; see the
    module docstring for the rules. `files` maps relative paths to source
    text (the reviewed files and the project's others); `search_path` is where
    importable modules are looked for (default `sys.path`), read, never run."""

    def __init__(self, files: dict[str, str], search_path: list[str] | None = None) -> None:
        self._files = dict(files)
        self._search_path = list(sys.path if search_path is None else search_path)
        self._stdlib_dirs = _stdlib_dirs()
        self._project_modules: dict[str, str] = {}
        self._project_packages: set[str] = set()  # every package prefix, with or without __init__.py
        for path in sorted(self._files):
            name, _ = module_name_for(path)
            if name is None:
                continue
            for alias in [name] + ([name[len("src."):]] if name.startswith("src.") else []):
                self._project_modules.setdefault(alias, path)
                parts = alias.split(".")
                self._project_packages.update(".".join(parts[:end]) for end in range(1, len(parts)))
        self._modules: dict[str, _Module | None] = {}
        self._by_path: dict[str, _Module | None] = {}
        self._loading: set[str] = set()
        self._read = 0
        self.limit_reached = False
        self._scanned: dict[str, _File] = {}
        self._project_index: dict[str, tuple[str, _Definition]] | None = None
        self._bases: dict[int, _Bases] = {}
        self._targets: dict[str, _Targets] = {}
        self._lookups: dict[tuple[str, str], Lookup] = {}

    # -------------------------------------------------------- the question

    def lookup(self, identifier: str, path: str) -> Lookup:
        """Whether `identifier` exists for a claim about file `path` (a key of
        `files`, else KeyError), and where. ValueError when `identifier` is not
        a dotted Python name."""
        if path not in self._files:
            raise KeyError(f"not a file of the index: {path}")
        parts, had_self = split_identifier(identifier)
        key = (".".join((["self"] if had_self else []) + parts), path)
        if key not in self._lookups:
            self._lookups[key] = self._lookup(parts, had_self, path)
        return self._lookups[key]

    def _lookup(self, parts: list[str], had_self: bool, path: str) -> Lookup:
        file = self._file(path)
        if len(parts) > 1 and not had_self and parts[0] in file.imports:
            answer = self._through_import(file, parts)
            if answer is not None:
                return answer
        elif len(parts) > 1 and not had_self and not any(parts[0] in known for known in (
                file.definitions, file.uses, file.words)):
            # A module the file does not import yet, as a proposed fix names
            # one (`html.escape`, `markupsafe.escape`): read it as if imported.
            answer = self._through_import(file, parts, _ImportRef(parts[0], None, 0))
            if answer is not None:
                return answer
        return self._anywhere(file, parts[-1], plain=len(parts) == 1 and not had_self)

    # -------------------------------------------------------- a dotted name whose head the file imports

    def _through_import(self, file: _File, parts: list[str], ref: _ImportRef | None = None) -> Lookup | None:
        """Walk `a.b.c` from the module `a` is imported from (or `ref`). None
        when the module cannot be found or the walk reaches a value of unknown type."""
        label = ".".join(parts)
        hit = self._resolve_ref(ref or file.imports[parts[0]], 0, lenient=True)
        if hit is None:
            return None
        for part in parts[1:]:
            if hit.unchecked:
                return Lookup(True, _found(hit, label))
            if hit.cls is not None:
                found = self._class_member(hit.cls, part, lenient=True)
            elif hit.module is not None:
                found = self._module_member(hit.module, part, lenient=True)
            else:
                return None
            if found is None and hit.module is not None and hit.module.partial:
                return None
            if found is None:
                return self._missing_member(file, label, part, hit)
            hit = found
        return Lookup(True, _found(hit, label))

    def _missing_member(self, file: _File, label: str, part: str, container: _Hit) -> Lookup:
        """`part` is not in the module or class read: missing, unless the file
        itself uses `label` (then the code says more than its sources do)."""
        line = file.chains.get(label)
        if line is not None:
            return Lookup(True, f"used in the file at line {line} (not found in {_container(container)})")
        return Lookup(False, f"{label}: no {part} in {_container(container)} (read from its source, not run)")

    # -------------------------------------------------------- anywhere

    def _anywhere(self, file: _File, name: str, plain: bool) -> Lookup:
        """The search of last resort, for a plain name or the last part of a dotted one."""
        if name in file.definitions:
            return Lookup(True, _in_file(file.definitions[name][0]))
        if plain and name in vars(builtins):
            return Lookup(True, f"builtin ({name})")
        if name in file.uses:
            line, how = file.uses[name]
            return Lookup(True, f"{USE_WORDS[how]} in the file at line {line}")
        if name in file.words:
            return Lookup(True, f"appears in the file at line {file.words[name]} "
                                "(the file does not parse: matched as a word)")
        project = self._project_definitions().get(name)
        if project is not None:
            where, definition = project
            return Lookup(True, f"defined in {where}:{definition.line} ({definition.describe()})")
        inherited = self._inherited(file, name)
        if inherited is not None:
            return inherited
        targets = self._import_targets(file)
        for target in targets.hits:
            hit = self._member_of_target(target, name)
            if hit is not None:
                return Lookup(True, _found(hit))
        return Lookup(False, self._missing(file, targets))

    def _inherited(self, file: _File, name: str) -> Lookup | None:
        """`name` inherited by a class of the file from a base class read elsewhere."""
        if file.module is None:
            return None
        for cls in file.module.classes.values():
            for base in self._class_bases(cls).classes:
                hit = self._class_member(base, name, lenient=False, depth=1)
                if hit is not None:
                    return Lookup(True, _found(hit, extra=f", inherited by {cls.name}"))
            hit = self._builtin_member(self._class_bases(cls), name)
            if hit is not None:
                return Lookup(True, _found(hit, extra=f", inherited by {cls.name}"))
        return None

    def _member_of_target(self, target: _Hit, name: str) -> _Hit | None:
        """`name` in something the file imports: a module (its top level, then
        its classes) or a class."""
        if target.cls is not None:
            return self._class_member(target.cls, name, lenient=False)
        if target.module is None:
            return None
        hit = self._module_member(target.module, name, lenient=False)
        if hit is not None:
            return hit
        for cls in target.module.classes.values():
            hit = self._class_member(cls, name, lenient=False)
            if hit is not None:
                return hit
        return None

    def _missing(self, file: _File, targets: _Targets) -> str:
        others = sum(1 for path in self._files if path != file.path)
        text = (f"not defined or used in the file, the project ({_count(others, 'file')}) "
                f"or the modules it imports ({targets.modules_read} read)")
        if targets.not_found:
            shown = ", ".join(targets.not_found[:3])
            text += f"; not found: {shown}{', ...' if len(targets.not_found) > 3 else ''}"
        if not file.parsed:
            text += "; the file does not parse"
        if self.limit_reached:
            text += f"; stopped reading modules after {MAX_MODULES}"
        return text

    def _import_targets(self, file: _File) -> _Targets:
        """Everything the file imports, resolved once per file."""
        if file.path in self._targets:
            return self._targets[file.path]
        targets = _Targets()
        seen: set[int] = set()
        refs = list(file.imports.values()) + [_ImportRef(m, None, 0) for m in file.star_modules]
        for ref in refs:
            hit = self._resolve_ref(ref, 0, lenient=False)
            if hit is None:
                if ref.module not in targets.not_found:
                    targets.not_found.append(ref.module)
                continue
            if hit.module is None and hit.cls is None:
                continue
            key = id(hit.cls if hit.cls is not None else hit.module)
            if key not in seen:
                seen.add(key)
                targets.hits.append(hit)
        targets.modules_read = len({id(hit.cls.module if hit.cls else hit.module) for hit in targets.hits})
        self._targets[file.path] = targets
        return targets

    # -------------------------------------------------------- members

    def _resolve_ref(self, ref: _ImportRef, hops: int, lenient: bool) -> _Hit | None:
        """What an import binds: a module, or a member of one (else a submodule)."""
        if ref.attr is None:
            module = self._module_named(ref.module)
            return _Hit(module, module=module) if module is not None else None
        module = self._module_named(ref.module)
        if module is not None:
            hit = self._module_member(module, ref.attr, lenient, hops)
            if hit is not None:
                return hit
        sub = self._module_named(f"{ref.module}.{ref.attr}")
        return _Hit(sub, module=sub) if sub is not None else None

    def _module_member(self, module: _Module, name: str, lenient: bool, hops: int = 0) -> _Hit | None:
        """`name` in a module: a class or definition, a name it imports
        (followed), a submodule, a name from its `import *`s. With `lenient`,
        members that cannot be checked count as found."""
        if module.compiled:
            return _Hit(module, unchecked=COMPILED) if lenient else None
        if name in module.classes:
            cls = module.classes[name]
            return _Hit(module, cls.definition, cls=cls)
        if name in module.definitions:
            return _Hit(module, module.definitions[name])
        if name in module.imports:
            ref = module.imports[name]
            followed = self._resolve_ref(ref, hops + 1, lenient) if hops < MAX_REEXPORT_HOPS else None
            return followed or _Hit(module, _Definition(name, ref.line, IMPORT))
        if module.is_package:
            sub = self._module_named(f"{module.name}.{name}")
            if sub is not None:
                return _Hit(sub, module=sub)
        if hops < MAX_REEXPORT_HOPS:
            for star in module.stars:
                source = self._module_named(star)
                hit = self._module_member(source, name, lenient, hops + 1) if source else None
                if hit is not None:
                    return hit
        if lenient and module.dynamic:
            return _Hit(module, unchecked=MODULE_GETATTR)
        return None

    def _class_member(self, cls: _Class, name: str, lenient: bool, depth: int = 0) -> _Hit | None:
        """`name` in a class or its bases (to MAX_BASE_DEPTH levels)."""
        if name in cls.members:
            return _Hit(cls.module, cls.members[name])
        if lenient and cls.dynamic:
            return _Hit(cls.module, unchecked=f"class {cls.name} defines __getattr__, members not checked")
        bases = self._class_bases(cls)
        if depth < MAX_BASE_DEPTH:
            for base in bases.classes:
                hit = self._class_member(base, name, lenient, depth + 1)
                if hit is not None:
                    return hit
        hit = self._builtin_member(bases, name)
        if hit is not None:
            return hit
        if lenient and bases.unresolved:
            return _Hit(cls.module, unchecked=f"class {cls.name} derives from {bases.unresolved[0]}, "
                                              "which could not be read; members not checked")
        return None

    @staticmethod
    def _builtin_member(bases: _Bases, name: str) -> _Hit | None:
        """`name` on a builtin base class (dict, Exception): the interpreter's
        own classes, listed with dir(), which runs no project code."""
        for base in bases.builtin:
            if name in dir(vars(builtins)[base]):
                return _Hit(_BUILTINS, _Definition(name, 0, BUILTIN_MEMBER, base))
        return None

    def _class_bases(self, cls: _Class) -> _Bases:
        """The base classes of a class, found from its module (cached)."""
        if id(cls) in self._bases:
            return self._bases[id(cls)]
        bases = _Bases()
        self._bases[id(cls)] = bases  # a class deriving from itself stops here
        for text in cls.bases:
            if text is None:
                bases.unresolved.append("an expression")
                continue
            if text in vars(builtins) and isinstance(vars(builtins)[text], type):
                if text != "object":
                    bases.builtin.append(text)
                continue
            base = self._resolve_class(cls.module, text)
            if base is None:
                bases.unresolved.append(text)
            elif base is not cls:
                bases.classes.append(base)
        return bases

    def _resolve_class(self, module: _Module, text: str) -> _Class | None:
        """The class a dotted base name ("test.TestCase") refers to in `module`."""
        head, *rest = text.split(".")
        if head in module.classes:
            hit: _Hit | None = _Hit(module, cls=module.classes[head])
        elif head in module.imports:
            hit = self._resolve_ref(module.imports[head], 0, lenient=False)
        else:
            return None
        for part in rest:
            if hit is None:
                return None
            if hit.module is not None:
                hit = self._module_member(hit.module, part, lenient=False)
            else:
                return None
        return hit.cls if hit is not None else None

    # -------------------------------------------------------- files and modules

    def _file(self, path: str) -> _File:
        """The reviewed file, scanned once."""
        if path in self._scanned:
            return self._scanned[path]
        source = self._files[path]
        name, is_package = module_name_for(path)
        tree = _parse(source, path)
        if tree is None:
            file = _File(path, None, parsed=False, words=_words(source))
        else:
            scanner = _FileScanner(name, is_package)
            scanner.visit(tree)
            stars = [ref.module for stmt in ast.walk(tree) if isinstance(stmt, ast.ImportFrom)
                     for alias_name, ref in _import_bindings(stmt, name, is_package)
                     if alias_name == "*" and ref is not None]
            file = _File(path, self._project_module(path, tree), True, scanner.definitions, scanner.uses,
                         scanner.chains, scanner.imports, star_modules=stars)
        self._scanned[path] = file
        return file

    def _project_definitions(self) -> dict[str, tuple[str, _Definition]]:
        """Every name a project file defines for others to reach -> (its file, its first definition)."""
        if self._project_index is not None:
            return self._project_index
        index: dict[str, tuple[str, _Definition]] = {}
        for path in sorted(self._files):
            tree = _parse(self._files[path], path)
            if tree is None:
                continue
            scanner = _FileScanner(None, False)
            scanner.visit(tree)
            for name, definitions in scanner.definitions.items():
                reachable = [d for d in definitions if d.kind in PROJECT_KINDS]
                if reachable and name not in index:
                    index[name] = (path, reachable[0])
        self._project_index = index
        return index

    def _project_module(self, path: str, tree: ast.Module | None = None) -> _Module | None:
        """A project file's top level, or None when it does not parse (`tree`:
        the file already parsed)."""
        if path in self._by_path:
            return self._by_path[path]
        name, is_package = module_name_for(path)
        tree = tree or _parse(self._files[path], path)
        module = None
        if tree is not None:
            module = _Module(name or path, path, PROJECT, is_package=is_package)
            _scan_module(module, tree)
        self._by_path[path] = module
        return module

    def _module_named(self, name: str) -> _Module | None:
        """A module by its dotted name: a project file, else the search path
        (read, not run), else an attribute of its parent (`os.path`)."""
        if name in self._modules:
            return self._modules[name]
        if name in self._loading:
            return None  # a cycle: `a.b` is being resolved through `a`
        self._loading.add(name)
        try:
            module = self._find_module(name)
        finally:
            self._loading.discard(name)
        self._modules[name] = module
        return module

    def _find_module(self, name: str) -> _Module | None:
        if name in self._project_modules:
            return self._project_module(self._project_modules[name])
        if name in self._project_packages:
            # A folder of project modules without __init__.py: only its submodules.
            return _Module(name, name.replace(".", "/"), PROJECT, is_package=True, partial=True)
        if name in sys.builtin_module_names:
            return _Module(name, name, STDLIB, compiled=True)
        module = self._module_on_path(name)
        if module is None and "." in name:
            parent_name, _, last = name.rpartition(".")
            parent = self._module_named(parent_name)
            hit = self._module_member(parent, last, lenient=False) if parent is not None else None
            module = hit.module if hit is not None else None
        return module

    def _module_on_path(self, name: str) -> _Module | None:
        """Find `name` one package at a time with PathFinder, which lists
        folders and imports nothing, then read its source."""
        parts = name.split(".")
        locations: list[str] | None = list(self._search_path)
        if parts[0] in sys.stdlib_module_names:
            locations = self._search_path + [d for d in self._stdlib_dirs if d not in self._search_path]
        spec = None
        for index in range(len(parts)):
            if locations is None:
                return None  # the parent is a module, not a package
            try:
                spec = importlib.machinery.PathFinder.find_spec(".".join(parts[: index + 1]), locations)
            except (ImportError, ValueError, OSError, KeyError, AttributeError):
                # KeyError: a namespace package's path wants its parent in
                # sys.modules, which a lookup that imports nothing never has.
                return None
            if spec is None:
                return None
            search = spec.submodule_search_locations
            locations = list(search) if search is not None else None
        return self._read_spec(name, spec) if spec is not None else None

    def _read_spec(self, name: str, spec: importlib.machinery.ModuleSpec) -> _Module | None:
        if self._read >= MAX_MODULES:
            self.limit_reached = True
            return None
        self._read += 1
        kind = STDLIB if name.split(".")[0] in sys.stdlib_module_names else LIBRARY
        is_package = spec.submodule_search_locations is not None
        origin = spec.origin
        if origin is None or not spec.has_location:
            # A namespace package: only its submodules.
            return _Module(name, name, kind, is_package=is_package)
        if not origin.endswith(".py"):
            return _Module(name, origin, kind, is_package=is_package, compiled=True)
        try:
            if os.path.getsize(origin) > MAX_SOURCE_BYTES:
                return None
            with open(origin, "rb") as handle:
                source = importlib.util.decode_source(handle.read())
        except (OSError, SyntaxError, UnicodeDecodeError, LookupError):
            return None
        tree = _parse(source, origin)
        if tree is None:
            return None
        module = _Module(name, origin, kind, is_package=is_package)
        _scan_module(module, tree)
        return module
