# The tests reach into node fields that typeshed's ast stubs do not know for the
# host version (type_params, TemplateStr, ...): attribute checks are off here.
# mypy: disable-error-code="attr-defined"
"""Tests for :mod:`secreview.python.fallback` (libcst-based fallback parser).

The fallback must give analysers the tree ``ast.parse`` gives on a new-enough
CPython (3.14 shape) with exact positions.  Three kinds of checks:

1. Equivalence with the host's ``ast.parse`` on real code (stdlib modules and the
   fixtures in ``tests/data/syntax``), with the documented host differences
   normalised (see :func:`normalise_host_differences`).
2. Exact equivalence, without any normalisation, with ``ast.parse`` of a
   reference interpreter (python3.13, or 3.14 when installed) run in a
   subprocess, for the same files and for the new-syntax fixtures it accepts.
3. Literal positions of nodes inside new syntax (PEP 701/695/758/750), non-ASCII
   byte offsets, and ``describe_syntax_error``.
"""

from __future__ import annotations

import ast
import copy
import glob
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import warnings
from pathlib import Path
from typing import Any, Iterator

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from secreview.python.fallback import (  # noqa: E402
    describe_syntax_error,
    parse_fallback,
)

SYNTAX_DIR = ROOT / "tests" / "data" / "syntax"
STDLIB = Path(sysconfig.get_paths()["stdlib"])

#: Stdlib modules / packages (of the interpreter running the tests) whose every
#: .py file must convert to the very tree ``ast.parse`` gives.
STDLIB_MODULES = [
    "json",
    "argparse",
    "asyncio",
    "dataclasses",
    "email",
    "http",
    "typing",
    "unittest",
    "collections",
    "logging",
    "re",
    "pathlib",
    "string",
    "textwrap",
    "inspect",
    "enum",
    "functools",
    "contextlib",
    "importlib",
    "urllib",
    "concurrent",
    "ast",
    "tomllib",
    "zipfile",
]

#: Fixtures the host's ``ast`` can parse (ordinary syntax).
CLASSIC_FIXTURES = ["everything.py", "fstrings_classic.py", "nonascii.py"]

#: New-syntax fixtures -> first CPython version whose ``ast.parse`` accepts them.
NEW_SYNTAX_FIXTURES = {
    "pep701_quotes.py": (3, 12),
    "pep701_multiline_comments.py": (3, 12),
    "nonascii_pep701.py": (3, 12),
    "pep695_generics.py": (3, 13),  # uses PEP 696 type parameter defaults
    "pep758_except.py": (3, 14),
    "pep750_tstrings.py": (3, 14),
}

HOST_BEFORE_312 = sys.version_info < (3, 12)
# Early 3.12 releases end the format spec of `f"{a:{b}}"` with an empty
# Constant that neither 3.11 nor later releases have (CPython gh-110309).
HOST_EMPTY_SPEC_PART = any(
    isinstance(part, ast.Constant) and part.value == ""
    for part in ast.parse('f"{a:{b}}"').body[0].value.values[0].format_spec.values)  # type: ignore[attr-defined]


def stdlib_files(module: str) -> list[Path]:
    path = STDLIB / module
    if path.is_dir():
        return sorted(path.rglob("*.py"))
    single = STDLIB / f"{module}.py"
    return [single] if single.exists() else []


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def fixture(name: str) -> str:
    return read(SYNTAX_DIR / name)


# ---------------------------------------------------------------------------
# Host differences (documented, and the only thing normalised)
# ---------------------------------------------------------------------------


def normalise_host_differences(tree: ast.AST) -> ast.AST:
    """Erase, in place, what CPython < 3.12 reports differently inside f-strings.

    The fallback follows CPython 3.12+ (the 3.14 shape).  CPython 3.11 differs
    only inside f-strings (JoinedStr), and only in these ways:

    * every literal ``Constant`` part, every ``FormattedValue`` and every
      format-spec ``JoinedStr`` (and its parts) carries the position of the whole
      enclosing JoinedStr instead of its own;
    * those literal parts all get the ``kind`` of the first string of an implicit
      concatenation (``u"a" f"{x}" "b"`` gives ``kind='u'`` to ``'b'`` on 3.11,
      ``None`` on 3.12+);
    * an unparenthesised tuple directly in a replacement field (``f"{a, b}"``)
      spans the braces, because 3.11 parses the field as ``(a, b)``.

    The expressions inside replacement fields keep their exact positions on both
    versions and are compared as is.  On hosts >= 3.12 this is a no-op, but
    for a defect of early 3.12 releases: an empty ``Constant`` at the end of a
    format spec holding a field (``f"{a:{b}}"``, CPython gh-110309), dropped
    here on a host whose parser adds it.
    """
    if HOST_EMPTY_SPEC_PART:
        for node in ast.walk(tree):
            if isinstance(node, ast.FormattedValue) and isinstance(node.format_spec, ast.JoinedStr):
                node.format_spec.values = [part for part in node.format_spec.values
                                           if not (isinstance(part, ast.Constant) and part.value == "")]
    if not HOST_BEFORE_312:
        return tree

    def erase(node: ast.AST) -> None:
        for attr in ("lineno", "col_offset", "end_lineno", "end_col_offset"):
            setattr(node, attr, None)

    def erase_parts(joined: ast.JoinedStr) -> None:
        for part in joined.values:
            if isinstance(part, ast.Constant):
                erase(part)
                part.kind = None
            elif isinstance(part, ast.FormattedValue):
                erase(part)
                if isinstance(part.value, ast.Tuple):
                    erase(part.value)
                if part.format_spec is not None:
                    erase(part.format_spec)
                    erase_parts(part.format_spec)  # type: ignore[arg-type]

    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            erase_parts(node)
    return tree


def host_dump(tree: ast.AST) -> str:
    return ast.dump(normalise_host_differences(tree), include_attributes=True)


def assert_same_as_host_ast(source: str, label: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # invalid escape sequences in test data
        try:
            expected = host_dump(ast.parse(source))
        except ValueError as exc:  # not a syntax error: the host's parser fails (CPython gh-121130)
            pytest.skip(f"this interpreter's ast.parse fails on it: {exc}")
    actual = host_dump(parse_fallback(source))
    if expected != actual:
        # Show the first differing region rather than two huge strings.
        i = next((k for k, (a, b) in enumerate(zip(expected, actual)) if a != b), min(len(expected), len(actual)))
        pytest.fail(
            f"{label}: parse_fallback differs from ast.parse at char {i}:\n"
            f"  ast.parse:      ...{expected[max(0, i - 200) : i + 200]}...\n"
            f"  parse_fallback: ...{actual[max(0, i - 200) : i + 200]}..."
        )


# ---------------------------------------------------------------------------
# 1. Equivalence with the host's ast.parse
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("module", STDLIB_MODULES)
def test_stdlib_module_matches_host_ast(module: str) -> None:
    files = stdlib_files(module)
    if not files:
        pytest.skip(f"stdlib module {module} not found under {STDLIB}")
    checked = 0
    for path in files:
        try:
            source = read(path)
            ast.parse(source)
        except (SyntaxError, UnicodeDecodeError, ValueError):
            continue  # deliberately broken test data; not this test's business
        assert_same_as_host_ast(source, str(path))
        checked += 1
    assert checked > 0


@pytest.mark.parametrize("name", CLASSIC_FIXTURES)
def test_classic_fixture_matches_host_ast(name: str) -> None:
    assert_same_as_host_ast(fixture(name), name)


@pytest.mark.parametrize(
    "source",
    [
        "x = 1\r\ny = '''a\r\nb'''\r\nz = f'{x}\\r'\r\n",  # CRLF
        "x = 1\ry = '''a\rb'''\r",  # lone CR ends a line too
        "if x:\n\tpass\n\x0c\ndef f(): pass\n",  # tabs and form feed
        "x = (1 +  # comment\n     2) \\\n    + 3\n",  # comment and line join
        "",
        "# only a comment",
        "x = 1",  # no trailing newline
        "@d\nclass A: pass\n",
        "f(x for x in y)\n",
        "f((x for x in y))\n",
        "((a, b)) = ((1)), ((2, 3))\n",
        "a[1,]; a[*b]; a[1:2, *c]\n",
        "print(f'{a!r:{b}}' f'{c}' 'd' u'e')\n",
        "x = \"\\N{BULLET} \\x41 \\101 \\u00e9 \\U0001F600 \\q\"\n",
        "x = b'\\x00' B'\\\\' rb'\\d'\n",
    ],
)
def test_snippets_match_host_ast(source: str) -> None:
    assert_same_as_host_ast(source, repr(source))


# ---------------------------------------------------------------------------
# 2. Exact equivalence with a newer CPython's own ast.parse (subprocess)
# ---------------------------------------------------------------------------

#: Version-independent dump: like ``ast.dump(include_attributes=True)`` but
#: with ascii() for values (unicodedata versions differ) and the 3.12+/3.13+
#: fields ``type_params`` / ``default_value`` included wherever present.  The
#: very same code runs in the reference interpreter.
CANON_SOURCE = '''
import ast

def canon(node):
    if isinstance(node, ast.AST):
        names = list(node._fields)
        names += [n for n in ("type_params", "default_value") if n not in names and hasattr(node, n)]
        parts = [n + "=" + canon(getattr(node, n, None)) for n in names]
        parts += [a + "=" + repr(getattr(node, a)) for a in ("lineno", "col_offset", "end_lineno", "end_col_offset")
                  if hasattr(node, a)]
        return type(node).__name__ + "(" + ", ".join(parts) + ")"
    if isinstance(node, list):
        return "[" + ", ".join(canon(x) for x in node) + "]"
    return ascii(node)
'''
_canon_namespace: dict[str, Any] = {}
exec(CANON_SOURCE, _canon_namespace)
canon = _canon_namespace["canon"]

REFERENCE_SCRIPT = (
    CANON_SOURCE
    + '''
import json, sys, warnings
warnings.simplefilter("ignore")
sys.path.insert(0, sys.argv[1])
try:
    from secreview.python.fallback import parse_fallback
except ImportError:  # libcst not installed for the reference interpreter
    parse_fallback = None
request = json.loads(sys.stdin.read())
out = {"version": list(sys.version_info[:2]), "files": {}}
for path in request["ast"]:
    with open(path, encoding="utf-8") as fh:
        source = fh.read()
    try:
        reference = canon(ast.parse(source))
    except SyntaxError:
        reference = None
    own = None
    if parse_fallback is not None and path in request["fallback"]:
        try:
            own = canon(parse_fallback(source))
        except Exception as exc:
            own = "ERROR " + type(exc).__name__ + ": " + str(exc)
    out["files"][path] = {"ast": reference, "fallback": own}
json.dump(out, sys.stdout)
'''
)


def _pyenv_candidates() -> Iterator[str]:
    root = Path(os.environ.get("PYENV_ROOT", "~/.pyenv")).expanduser()
    for minor in ("3.14", "3.13"):
        for exe in sorted(glob.glob(str(root / "versions" / f"{minor}*" / "bin" / f"python{minor}")), reverse=True):
            yield exe


def find_reference_python() -> tuple[str, tuple[int, int]] | None:
    """A CPython >= 3.13 other than the running one: $SECREVIEW_REFERENCE_PYTHON,
    then pyenv installations, then python3.14 / python3.13 on PATH."""
    candidates: list[str] = []
    if os.environ.get("SECREVIEW_REFERENCE_PYTHON"):
        candidates.append(os.environ["SECREVIEW_REFERENCE_PYTHON"])
    candidates.extend(_pyenv_candidates())
    for name in ("python3.14", "python3.13"):
        exe = shutil.which(name)
        if exe:
            candidates.append(exe)
    for exe in candidates:
        try:
            proc = subprocess.run(
                [exe, "-c", "import sys; print(*sys.version_info[:2])"],
                capture_output=True,
                text=True,
                timeout=60,
            )
        except (OSError, subprocess.TimeoutExpired):
            continue
        if proc.returncode == 0:
            major, minor = map(int, proc.stdout.split())
            if (major, minor) >= (3, 13):
                return exe, (major, minor)
    return None


FIXTURE_FILES = [str(SYNTAX_DIR / name) for name in CLASSIC_FIXTURES + list(NEW_SYNTAX_FIXTURES)]
REFERENCE_FILES = [str(p) for module in STDLIB_MODULES for p in stdlib_files(module)] + FIXTURE_FILES


@pytest.fixture(scope="module")
def reference() -> dict[str, Any]:
    found = find_reference_python()
    if found is None:
        pytest.skip("no python3.13/3.14 found (set SECREVIEW_REFERENCE_PYTHON) for the cross-version comparison")
    exe, _version = found
    readable = []
    for path in REFERENCE_FILES:
        try:
            Path(path).read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        readable.append(path)
    proc = subprocess.run(
        [exe, "-c", REFERENCE_SCRIPT, str(ROOT)],
        input=json.dumps({"ast": readable, "fallback": FIXTURE_FILES}),
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    result: dict[str, Any] = json.loads(proc.stdout)
    result["exe"] = exe
    return result


def _first_difference(expected: str, actual: str) -> str:
    i = next((k for k, (a, b) in enumerate(zip(expected, actual)) if a != b), min(len(expected), len(actual)))
    return (
        f"first difference at char {i}:\n"
        f"  reference ast: ...{expected[max(0, i - 250) : i + 250]}...\n"
        f"  parse_fallback: ...{actual[max(0, i - 250) : i + 250]}..."
    )


@pytest.mark.parametrize("module", STDLIB_MODULES)
def test_stdlib_module_matches_reference_ast(reference: dict[str, Any], module: str) -> None:
    """parse_fallback (on the host) == ast.parse of python3.13+, with no normalisation."""
    compared = 0
    for path in map(str, stdlib_files(module)):
        entry = reference["files"].get(path)
        if entry is None or entry["ast"] is None:
            continue
        actual = canon(parse_fallback(read(Path(path))))
        assert actual == entry["ast"], f"{path} vs {reference['exe']}: " + _first_difference(entry["ast"], actual)
        compared += 1
    if compared == 0:
        pytest.skip(f"no file of {module} parsed by the reference interpreter")


@pytest.mark.parametrize("name", CLASSIC_FIXTURES + list(NEW_SYNTAX_FIXTURES))
def test_fixture_matches_reference_ast(reference: dict[str, Any], name: str) -> None:
    path = str(SYNTAX_DIR / name)
    entry = reference["files"][path]
    version = tuple(reference["version"])
    required = NEW_SYNTAX_FIXTURES.get(name, (3, 0))
    if version < required:
        assert entry["ast"] is None, f"{name} unexpectedly accepted by Python {version}"
        pytest.skip(f"{name} needs Python {required[0]}.{required[1]} (reference is {version[0]}.{version[1]})")
    assert entry["ast"] is not None, f"{name} rejected by the reference interpreter {reference['exe']}"
    actual = canon(parse_fallback(fixture(name)))
    assert actual == entry["ast"], _first_difference(entry["ast"], actual)


@pytest.mark.parametrize("name", CLASSIC_FIXTURES + list(NEW_SYNTAX_FIXTURES))
def test_fallback_running_on_reference_matches_its_ast(reference: dict[str, Any], name: str) -> None:
    """parse_fallback run *under* the reference interpreter (its real TypeAlias,
    type_params, ... classes) equals that interpreter's ast.parse."""
    entry = reference["files"][str(SYNTAX_DIR / name)]
    if entry["fallback"] is None:
        pytest.skip("libcst is not installed for the reference interpreter")
    if entry["ast"] is None:
        pytest.skip("the reference interpreter's ast rejects this fixture")
    assert entry["fallback"] == entry["ast"], _first_difference(entry["ast"], entry["fallback"])


# ---------------------------------------------------------------------------
# 3. New-syntax fixtures: exact positions of the nodes analysers look for
# ---------------------------------------------------------------------------


def dotted(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{dotted(node.value)}.{node.attr}"
    return "?"


def calls(tree: ast.AST, name: str) -> list[ast.Call]:
    return [n for n in ast.walk(tree) if isinstance(n, ast.Call) and dotted(n.func) == name]


def the_call(tree: ast.AST, name: str) -> ast.Call:
    found = calls(tree, name)
    assert len(found) == 1, f"expected one call to {name}, found {len(found)}"
    return found[0]


def pos(node: ast.AST) -> tuple[int, int, int, int]:
    return (node.lineno, node.col_offset, node.end_lineno, node.end_col_offset)


@pytest.mark.parametrize("name", list(NEW_SYNTAX_FIXTURES))
def test_new_syntax_rejected_by_host_but_parsed_by_fallback(name: str) -> None:
    source = fixture(name)
    if sys.version_info < NEW_SYNTAX_FIXTURES[name]:
        with pytest.raises(SyntaxError):
            ast.parse(source)
    tree = parse_fallback(source, filename=name)
    assert isinstance(tree, ast.Module)
    for node in ast.walk(tree):  # every node that should have a position has one
        if "lineno" in node._attributes:
            assert isinstance(node.lineno, int) and isinstance(node.end_col_offset, int), node


def test_pep701_reused_quotes_and_deep_nesting() -> None:
    tree: Any = parse_fallback(fixture("pep701_quotes.py"))
    # line 6:  msg = f'{cmd.decode('utf-8')}'
    decode = the_call(tree, "cmd.decode")
    assert pos(decode) == (6, 13, 6, 32)
    assert isinstance(decode.args[0], ast.Constant) and decode.args[0].value == "utf-8"
    assert pos(decode.args[0]) == (6, 24, 6, 31)
    # line 7:  nested = f"{f"{f"{os.system(cmd)}"}"}"   (three levels deep)
    system = the_call(tree, "os.system")
    assert pos(system) == (7, 22, 7, 36)
    outer = tree.body[2].body[1].value
    assert isinstance(outer, ast.JoinedStr) and pos(outer) == (7, 13, 7, 42)
    fv1 = outer.values[0]
    assert isinstance(fv1, ast.FormattedValue) and pos(fv1) == (7, 15, 7, 41)
    middle = fv1.value
    assert isinstance(middle, ast.JoinedStr) and pos(middle) == (7, 16, 7, 40)
    fv2 = middle.values[0]
    assert isinstance(fv2, ast.FormattedValue) and pos(fv2) == (7, 18, 7, 39)
    inner = fv2.value
    assert isinstance(inner, ast.JoinedStr) and pos(inner) == (7, 19, 7, 38)
    assert inner.values[0].value is system and pos(inner.values[0]) == (7, 21, 7, 37)
    # line 9: conversion, nested format spec and a debug expression
    ret = tree.body[2].body[3].value
    first = ret.values[0]
    assert first.conversion == ord("r")
    assert isinstance(first.format_spec, ast.JoinedStr)
    assert pos(the_call(tree, "len")) == (9, 22, 9, 30)
    debug_text = ret.values[-2]
    assert isinstance(debug_text, ast.Constant) and debug_text.value == " names="
    assert ret.values[-1].conversion == ord("r")


def test_pep701_multiline_fields_with_comments_and_backslashes() -> None:
    tree: Any = parse_fallback(fixture("pep701_multiline_comments.py"))
    joined = tree.body[2].body[0].value
    assert isinstance(joined, ast.JoinedStr) and pos(joined) == (6, 11, 11, 24)
    assert isinstance(joined.values[0], ast.Constant) and joined.values[0].value == "result: "
    assert pos(joined.values[0]) == (6, 13, 6, 21)
    field = joined.values[1]
    assert isinstance(field, ast.FormattedValue) and pos(field) == (6, 21, 8, 5)
    # the call sits on its own line inside the replacement field
    assert pos(the_call(tree, "eval")) == (7, 8, 7, 24)
    join = [c for c in ast.walk(tree) if isinstance(c, ast.Call) and isinstance(c.func, ast.Attribute)
            and c.func.attr == "join"][0]
    assert pos(join) == (9, 8, 9, 24)
    assert join.func.value.value == "\n" and pos(join.func.value) == (9, 8, 9, 12)
    # a multi-line debug expression: the comment-free source text, then !r
    debug_text = joined.values[-2]
    assert isinstance(debug_text, ast.Constant)
    assert debug_text.value == " done \n        os.getcwd() = "
    assert joined.values[-1].conversion == ord("r")
    assert pos(the_call(tree, "os.getcwd")) == (11, 8, 11, 19)
    assert not any(isinstance(n, ast.Constant) and "evaluated" in str(n.value) for n in ast.walk(tree))


def test_pep695_generics() -> None:
    tree: Any = parse_fallback(fixture("pep695_generics.py"))
    aliases = [n for n in tree.body if type(n).__name__ == "TypeAlias"]
    assert len(aliases) == 2
    command, handler = aliases
    assert isinstance(command, ast.stmt) and pos(command) == (5, 0, 5, 25)
    assert isinstance(command.name, ast.Name) and command.name.id == "Command"
    assert isinstance(command.name.ctx, ast.Store) and pos(command.name) == (5, 5, 5, 12)
    (t,) = command.type_params
    assert type(t).__name__ == "TypeVar" and t.name == "T" and t.bound is None and t.default_value is None
    assert pos(t) == (5, 13, 5, 14)
    p, r = handler.type_params
    assert type(p).__name__ == "ParamSpec" and p.name == "P" and pos(p) == (6, 13, 6, 16)
    assert type(r).__name__ == "TypeVar" and r.name == "R" and pos(r) == (6, 18, 6, 26)
    assert isinstance(r.default_value, ast.Constant) and r.default_value.value is None

    box = next(n for n in tree.body if isinstance(n, ast.ClassDef))
    t_box, ts_box = box.type_params
    assert isinstance(t_box.bound, ast.Tuple) and pos(t_box.bound) == (9, 13, 9, 23)
    assert isinstance(t_box.default_value, ast.Name) and t_box.default_value.id == "int"
    assert type(ts_box).__name__ == "TypeVarTuple" and ts_box.name == "Ts" and pos(ts_box) == (9, 31, 9, 34)

    execute = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "execute")
    assert type(execute).__name__ == "FunctionDef" and "type_params" in execute._fields
    assert [type(tp).__name__ for tp in execute.type_params] == ["TypeVar", "TypeVarTuple", "ParamSpec"]
    assert isinstance(execute.args.vararg.annotation, ast.Starred)  # type: ignore[union-attr]
    # the dangerous call inside the generic function body
    assert pos(the_call(tree, "os.system")) == (15, 11, 15, 25)
    # non-generic functions still get an (empty) type_params attribute
    init = next(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == "__init__")
    assert init.type_params == []

    # traversal helpers see the new nodes: ast.walk reaches the bound `str`
    # of `def execute[T: str, ...]`, NodeVisitor dispatches visit_TypeAlias.
    assert any(isinstance(n, ast.Name) and n.id == "str" and n.lineno == 14 for n in ast.walk(tree))

    class Visitor(ast.NodeVisitor):
        def __init__(self) -> None:
            self.seen: list[str] = []

        def visit_TypeAlias(self, node: ast.AST) -> None:
            self.seen.append(node.name.id)
            self.generic_visit(node)

        def visit_TypeVar(self, node: ast.AST) -> None:
            self.seen.append(node.name)
            self.generic_visit(node)

    visitor = Visitor()
    visitor.visit(tree)
    assert visitor.seen == ["Command", "T", "Handler", "R", "T", "T"]
    assert "TypeAlias(name=Name(id='Command'" in ast.dump(tree)


def test_pep758_except_without_parentheses() -> None:
    tree: Any = parse_fallback(fixture("pep758_except.py"))
    body = tree.body[2].body
    handler = body[0].handlers[0]
    assert isinstance(handler, ast.ExceptHandler) and handler.name is None
    assert pos(handler) == (8, 4, 9, 35)
    assert isinstance(handler.type, ast.Tuple) and isinstance(handler.type.ctx, ast.Load)
    assert pos(handler.type) == (8, 11, 8, 45)
    assert [e.id for e in handler.type.elts] == ["FileNotFoundError", "PermissionError"]
    assert [pos(e) for e in handler.type.elts] == [(8, 11, 8, 28), (8, 30, 8, 45)]
    system = the_call(tree, "os.system")
    assert pos(system) == (9, 8, 9, 35)
    assert system in list(ast.walk(handler))
    star = body[1]
    assert isinstance(star, ast.TryStar)
    assert isinstance(star.handlers[0].type, ast.Tuple) and pos(star.handlers[0].type) == (12, 12, 12, 33)
    assert star.handlers[0].name is None


def test_pep750_template_strings() -> None:
    tree: Any = parse_fallback(fixture("pep750_tstrings.py"))
    template = tree.body[1].body[0].value
    assert type(template).__name__ == "TemplateStr" and isinstance(template, ast.expr)
    assert pos(template) == (5, 15, 5, 72)
    kinds = [type(v).__name__ for v in template.values]
    assert kinds == ["Constant", "Interpolation", "Constant", "Interpolation", "Constant"]
    hello, interp, middle, debug, bang = template.values
    assert hello.value == "Hello " and pos(hello) == (5, 17, 5, 23)
    assert interp.str == "eval(user_input)" and interp.conversion == ord("r")
    assert pos(interp) == (5, 23, 5, 52)
    assert isinstance(interp.format_spec, ast.JoinedStr) and pos(interp.format_spec) == (5, 42, 5, 51)
    assert [type(v).__name__ for v in interp.format_spec.values] == ["Constant", "FormattedValue"]
    # the call inside the interpolation is found by ast.walk at its exact place
    evaluated = the_call(tree, "eval")
    assert pos(evaluated) == (5, 24, 5, 40) and interp.value is evaluated
    # debug form: the text joins the preceding literal, conversion defaults to !r
    assert middle.value == " and user_input=" and pos(middle) == (5, 52, 5, 69)
    assert debug.str == "user_input" and debug.conversion == ord("r") and debug.format_spec is None
    assert pos(debug) == (5, 57, 5, 70)
    assert bang.value == "!"
    # implicit concatenation of t-strings gives one TemplateStr
    both = tree.body[1].body[1].value
    assert type(both).__name__ == "TemplateStr" and pos(both) == (6, 11, 6, 27)
    assert [getattr(v, "value", None) for v in both.values if isinstance(v, ast.Constant)] == ["a", "b"]
    assert "Interpolation(value=Call(func=Name(id='eval'" in ast.dump(tree)


def test_an_interpolation_s_text_loses_its_trailing_blanks_and_equals_in_linear_time() -> None:
    """As the end-anchored pattern it replaces did (the oracle, on random
    texts, Unicode blanks among them); a field with 200,000 blank lines
    before its `=` took minutes with it."""
    import random
    import re
    import threading

    from secreview.python.fallback import _without_trailing_blanks_and_equals as cut

    oracle = re.compile(r"[\s=]+\Z")
    pieces = [" ", "=", "\t", "\n", "x", "\u2028", "\x0b", "\x1c", "\xa0", "a", "\u3000", "==", "\x85"]
    rng = random.Random(7)
    for _ in range(5000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 10)))
        assert cut(text) == oracle.sub("", text), repr(text)
    source = 'x = t"{value' + " \n" * 200_000 + ' = }"\n'
    trees: list[Any] = []
    thread = threading.Thread(target=lambda: trees.append(parse_fallback(source)), daemon=True)
    thread.start()
    thread.join(120)
    assert trees, "still parsing after 120 s"
    [interpolation] = [v for v in trees[0].body[0].value.values if type(v).__name__ == "Interpolation"]
    assert interpolation.str == "value"


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ('x = t"a" "b"\n', "cannot mix t-string literals with string or bytes literals"),
        ('x = f"a" t"b"\n', "cannot mix t-string literals with string or bytes literals"),
        ("x = b'a' f'b'\n", "cannot mix bytes and nonbytes literals"),
    ],
)
def test_invalid_mixed_literals(source: str, message: str) -> None:
    with pytest.raises(SyntaxError) as info:
        parse_fallback(source)
    assert info.value.msg == message
    assert info.value.lineno == 1


# ---------------------------------------------------------------------------
# 4. Non-ASCII: col offsets are UTF-8 byte offsets
# ---------------------------------------------------------------------------


def test_non_ascii_byte_offsets() -> None:
    source = fixture("nonascii.py")
    tree = parse_fallback(source)
    assert_same_as_host_ast(source, "nonascii.py")
    line3 = source.splitlines()[2]
    system = the_call(tree, "os.system")
    char_col = line3.index("os.system")
    assert char_col == 27  # 6 bytes more than characters before it
    assert pos(system) == (3, 33, 3, 49)
    assert system.col_offset == len(line3[:char_col].encode("utf-8"))
    getenv = the_call(tree, "os.getenv")
    assert pos(getenv) == (4, 22, 4, 47)
    assert pos(the_call(tree, "print")) == (5, 31, 5, 61)
    # identifiers are NFKC-normalised like CPython does (fullwidth letters)
    assert any(isinstance(n, ast.Name) and n.id == "width" for n in ast.walk(tree))


def test_non_ascii_inside_new_syntax() -> None:
    tree: Any = parse_fallback(fixture("nonascii_pep701.py"))
    system = the_call(tree, "os.system")
    assert pos(system) == (3, 42, 3, 69)
    line = fixture("nonascii_pep701.py").splitlines()[2]
    assert system.col_offset == len(line[: line.index("os.system")].encode("utf-8"))


# ---------------------------------------------------------------------------
# 5. describe_syntax_error and errors
# ---------------------------------------------------------------------------


def test_describe_python2_file() -> None:
    source = fixture("py2_print.py")
    with pytest.raises(SyntaxError) as host:
        ast.parse(source)
    with pytest.raises(SyntaxError) as fallback:
        parse_fallback(source)
    assert describe_syntax_error(source, host.value) == "Python 2 syntax (print statement at line 5)"
    assert describe_syntax_error(source, fallback.value).startswith("Python 2 syntax")


def test_describe_broken_file() -> None:
    source = fixture("broken.py")
    with pytest.raises(SyntaxError) as host:
        ast.parse(source)
    with pytest.raises(SyntaxError) as fallback:
        parse_fallback(source)
    assert isinstance(fallback.value.lineno, int) and fallback.value.msg
    description = describe_syntax_error(source, host.value)
    assert description.startswith("syntax error at line 4: "), description
    assert describe_syntax_error(source, fallback.value).startswith("syntax error at line ")


@pytest.mark.parametrize(
    ("source", "what"),
    [
        ('import os\nprint "hi"\n', "print statement at line 2"),
        ("def f():\n    print 'a', x\n", "print statement at line 2"),
        ("x = `y`\n", "backtick repr at line 1"),
        ("if a <> b:\n    pass\n", "'<>' operator at line 1"),
        ("mode = 0777\n", "octal literal at line 1"),
        ("big = 10L\n", "long integer literal at line 1"),
        ("s = ur'raw'\n", "ur'' string literal at line 1"),
        ('exec "code"\n', "exec statement at line 1"),
        ('raise ValueError, "msg"\n', "raise with comma at line 1"),
    ],
)
def test_describe_python2_constructs(source: str, what: str) -> None:
    with pytest.raises(SyntaxError) as info:
        parse_fallback(source)
    assert describe_syntax_error(source, info.value) == f"Python 2 syntax ({what})"


def test_describe_ignores_python2_lookalikes_in_strings_and_comments() -> None:
    source = 'x = "print x <> `y` 0777 10L"  # print y\ndef f(:\n    pass\n'
    with pytest.raises(SyntaxError) as info:
        ast.parse(source)
    assert describe_syntax_error(source, info.value).startswith("syntax error at line 2: ")


# ---------------------------------------------------------------------------
# 6. Robustness
# ---------------------------------------------------------------------------


def test_tree_compiles_on_host() -> None:
    """The converted tree is well formed for the host compiler (no missing fields)."""
    source = fixture("everything.py")
    compile(parse_fallback(source), "everything.py", "exec", dont_inherit=True)


def test_byte_order_mark_is_ignored() -> None:
    plain = "x = f'{os.system(a)}'\n"
    assert ast.dump(parse_fallback("\ufeff" + plain), include_attributes=True) == ast.dump(
        parse_fallback(plain), include_attributes=True
    )


def test_null_bytes_are_a_syntax_error() -> None:
    with pytest.raises(SyntaxError):
        parse_fallback("x = 1\0\n")


def test_long_operator_chains_do_not_exhaust_recursion() -> None:
    source = "x = " + " + ".join(f"a{i}" for i in range(600)) + "\ny = a" + ".f()" * 300 + "\n"
    limit = sys.getrecursionlimit()
    tree: Any = parse_fallback(source)
    assert sys.getrecursionlimit() == limit  # raised during the conversion only
    assert isinstance(tree.body[0].value, ast.BinOp) and tree.body[0].value.end_col_offset == len(source.split("\n")[0])
    assert isinstance(tree.body[1].value, ast.Call) and tree.body[1].value.end_col_offset == 5 + 4 * 300
    short = "x = " + " + ".join(f"a{i}" for i in range(200)) + "\n"
    assert_same_as_host_ast(short, "binop chain")


def test_syntax_newer_than_314_is_reported() -> None:
    with pytest.raises(SyntaxError) as info:
        parse_fallback("x = {**d for d in ds}\n")  # PEP 798 (3.15)
    assert "not supported by Python 3.14" in info.value.msg
    tree: Any = parse_fallback("lazy import os.path as p\n")  # PEP 810 (3.15): a plain Import
    assert isinstance(tree.body[0], ast.Import) and tree.body[0].names[0].name == "os.path"


def test_libcst_patch_only_applies_while_parsing() -> None:
    import libcst

    parse_fallback("x = t'a' t'b'\n")
    with pytest.raises(libcst.CSTValidationError):
        libcst.parse_module("x = b'a' 'b'\n")
