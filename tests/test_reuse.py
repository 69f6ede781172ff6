"""An edited file's unchanged functions keep their facts (`secreview.taint.reuse`).

Reuse must never change a result: real files (the standard library's, this
project's, the labelled corpus) are edited in each of the ways a function's
facts can depend on something outside its text (a name imported, rebound,
declared global or shadowed elsewhere in the file; a module-level value; a
class attribute another method assigns; lines shifted), and the facts taken
over must equal a full extraction of the new text, fingerprint included (so
the next edit starts from what a full extraction would have left). Small
modules then show which functions each kind of edit lets keep their facts.
"""

from __future__ import annotations

import ast
import importlib
import sysconfig
import textwrap
from pathlib import Path

import pytest

from secreview.python.context import FileContext
from secreview.python.source import parse_source
from secreview.taint import ModuleFacts, ProjectModules, bundled_models, extract

extract_module = importlib.import_module("secreview.taint.extract")  # the package's `extract` is the function
ROOT = Path(__file__).parent.parent
STDLIB = Path(sysconfig.get_paths()["stdlib"])
REAL_FILES = [STDLIB / name for name in (
    "argparse.py", "subprocess.py", "configparser.py", "http/server.py", "email/message.py")] + [
        ROOT / "secreview" / name for name in ("engine.py", "python/context.py")]
CORPUS_FILES = sorted((ROOT / "corpus").rglob("*.py"))
MODELS = bundled_models()


def facts(text: str, previous: ModuleFacts | None = None, project: ProjectModules | None = None,
          aliases: dict[str, str] | None = None) -> ModuleFacts:
    ctx = FileContext(parse_source(text, "pkg/mod.py"))
    return extract(ctx, MODELS, "pkg.mod", False, project or ProjectModules(["pkg", "pkg.mod", "pkg.other"]),
                   aliases, previous)


@pytest.fixture
def every_file_fingerprinted(monkeypatch):
    monkeypatch.setattr(extract_module, "MIN_FUNCTIONS", 0)


# ------------------------------------------------------------------ edits
def _insert(lines: list[str], at: int, text: str) -> str:
    return "".join(lines[:at] + [text] + lines[at:])


def _start(node: ast.AST) -> int:
    return min([node.lineno, *(d.lineno for d in node.decorator_list)])  # type: ignore[attr-defined]


def edits(text: str) -> dict[str, str]:
    """Edits of `text`, each aimed at one thing facts may depend on, that parse."""
    tree = ast.parse(text)
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    whole = "".join(lines)
    out = {"function appended": whole + "\n\ndef _appended(value):\n    return value\n",
           "constant appended": whole + "\nAPPENDED = 1\n"}
    functions = sorted((n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
                        and n.body[0].lineno > n.lineno), key=lambda n: n.lineno)
    if not functions:
        return out
    edited = functions[len(functions) // 2]
    at, indent = edited.body[0].lineno - 1, " " * edited.body[0].col_offset
    end = edited.end_lineno or edited.lineno
    out["line inserted"] = _insert(lines, at, f"{indent}_edited = 1\n")
    out["line changed"] = "".join(lines[:end - 1] + [lines[end - 1].rstrip("\n") + "  # edited\n"] + lines[end:])
    out["function deleted"] = "".join(lines[:_start(edited) - 1] + lines[end:])
    imported = [(a.asname or a.name).split(".")[0] for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))
                for a in n.names if a.name != "*"]
    if imported:
        out["import rebound in a function"] = _insert(lines, at, f"{indent}{imported[0]} = None\n")
    read = [n.id for f in functions if f is not edited for n in ast.walk(f) if isinstance(n, ast.Name)]
    if read:
        name = read[len(read) // 2]  # a name another function reads
        out["name imported in a function"] = _insert(lines, at, f"{indent}from os import path as {name}\n")
        out["name declared global in a function"] = _insert(lines, at, f"{indent}global {name}\n{indent}{name} = input()\n")
        out["name defined at the end"] = whole + f"\n\ndef {name}(*args):\n    return input()\n"
        out["name assigned at the end"] = whole + f"\n{name} = input()\n"
    assigned = [t.id for s in tree.body if isinstance(s, ast.Assign) for t in s.targets if isinstance(t, ast.Name)]
    if assigned:
        out["module variable assigned in a function"] = _insert(
            lines, at, f"{indent}global {assigned[0]}\n{indent}{assigned[0]} = input()\n")
    for klass in (n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)):
        methods = [m for m in klass.body if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef))
                   and m.args.args and m.body[0].lineno > m.lineno]
        attributes = [a.attr for m in methods for a in ast.walk(m) if isinstance(a, ast.Attribute)
                      and isinstance(a.value, ast.Name) and a.value.id == m.args.args[0].arg]
        if len(methods) >= 2 and attributes:
            method = methods[-1]
            receiver = method.args.args[0].arg
            out["attribute assigned in another method"] = _insert(
                lines, method.body[0].lineno - 1,
                f"{' ' * method.body[0].col_offset}{receiver}.{attributes[0]} = input()\n")
            out["method added"] = _insert(lines, _start(method) - 1,
                                          f"{' ' * method.col_offset}def _added(self):\n"
                                          f"{' ' * method.col_offset}    return self\n\n")
            break
    valid = {}
    for kind, new in out.items():
        try:
            ast.parse(new)
        except SyntaxError:
            continue
        valid[kind] = new
    return valid


def _check_edits(text: str) -> tuple[int, int]:
    """Every edit of `text`: the facts taken over equal a full extraction.
    How many functions were taken over, of how many."""
    old = facts(text)
    taken = total = 0
    for kind, new in edits(text).items():
        full = facts(new)
        again = facts(new, old)
        assert again == full, kind
        taken += again.reused
        total += len(full.functions) - 1
    return taken, total


@pytest.mark.parametrize("path", REAL_FILES, ids=lambda p: str(p.relative_to(p.parents[1])))
def test_facts_taken_over_equal_a_full_extraction_on_real_files(path, every_file_fingerprinted):
    taken, total = _check_edits(path.read_text(encoding="utf-8"))
    assert 0 < taken < total  # some functions were taken over, and not all


def test_facts_taken_over_equal_a_full_extraction_on_the_corpus(every_file_fingerprinted):
    taken = 0
    for path in CORPUS_FILES:
        taken += _check_edits(path.read_text(encoding="utf-8"))[0]
    assert taken > 0


# ------------------------------------------------- which functions keep facts
MODULE = textwrap.dedent('''\
    import json
    import subprocess

    LIMIT = 3
    allowed = tuple(["ls", "df"])


    def first(value):
        return json.loads(value)


    def second(value):
        subprocess.call(value, shell=True)
        return value


    def checked(command):
        if command not in allowed:
            return None
        subprocess.call(command, shell=True)


    class Runner:
        def __init__(self):
            self.allowed = frozenset(["ls", "df"])

        def run(self, command):
            if command not in self.allowed:
                return None
            subprocess.call(command, shell=True)

        def other(self):
            return LIMIT
''')


def _kept(new: str, old: str = MODULE, **context) -> list[str]:
    """The functions of `new` whose facts came from `old`'s, checked equal
    to a full extraction."""
    before = facts(old, **context)
    after = facts(new, before, **context)
    assert after == facts(new, **context)
    kept = {id(f) for f in before.functions}
    return [f.qualname.removeprefix("pkg.mod.") for f in after.functions if id(f) in kept]


def function(text: str, name: str):
    """The facts of function `name` (`Class.method`) of `text`, extracted whole."""
    return {f.qualname: f for f in facts(text).functions}[f"pkg.mod.{name}"]


def test_a_function_appended_keeps_every_other_function_s_facts(every_file_fingerprinted):
    new = MODULE + "\n\ndef third(value):\n    return value\n"
    assert _kept(new) == ["first", "second", "checked", "Runner.__init__", "Runner.run", "Runner.other"]


def test_a_function_changed_in_place_is_the_only_one_extracted_again(every_file_fingerprinted):
    new = MODULE.replace("    return value\n", "    return None\n")
    assert _kept(new) == ["first", "checked", "Runner.__init__", "Runner.run", "Runner.other"]


def test_functions_after_a_line_inserted_are_extracted_again(every_file_fingerprinted):
    new = MODULE.replace("    return value\n", "    value = value.strip()\n    return value\n")
    assert _kept(new) == ["first"]


def test_a_name_rebound_in_one_function_reextracts_the_functions_that_read_it(every_file_fingerprinted):
    # `json` becomes a name the file binds: `first` may no longer mean the module.
    new = MODULE.replace("    return value\n", "    json = value\n")
    assert _kept(new) == ["checked", "Runner.__init__", "Runner.run", "Runner.other"]


def test_an_attribute_assigned_in_one_method_reextracts_the_methods_that_read_its_values(every_file_fingerprinted):
    new = MODULE.replace('self.allowed = frozenset(["ls", "df"])', "self.allowed = input().split()")
    # The allowed commands are no longer constants: the check in `run` no
    # longer clears the command, so its facts change and must not be taken over.
    run = function(MODULE, "Runner.run")
    assert function(new, "Runner.run") != run
    assert _kept(new) == ["first", "second", "checked", "Runner.other"]


def test_a_name_imported_in_one_function_reextracts_the_functions_that_read_it(every_file_fingerprinted):
    # The extractor reads the file's imports as one table: `json.loads` in
    # `first` now means `pickle.loads`, a sink.
    new = MODULE.replace("    return value\n", "    import pickle as json\n")
    first = function(MODULE, "first")
    assert function(new, "first") != first
    assert _kept(new) == ["checked", "Runner.__init__", "Runner.run", "Runner.other"]


def test_a_function_defined_with_the_name_another_reads_reextracts_it(every_file_fingerprinted):
    # `helper` in `second` was a name the file did not define: now a call
    # into the project.
    new = MODULE.replace("    return value\n", "    return helper(value)\n")
    defined = new + "\n\ndef helper(value):\n    return value\n"
    second = function(new, "second")
    assert function(defined, "second") != second
    assert _kept(defined, new) == ["first", "checked", "Runner.__init__", "Runner.run", "Runner.other"]


def test_a_name_declared_global_in_one_function_reextracts_the_functions_that_read_it(every_file_fingerprinted):
    # Any function may now assign `allowed`: it is no longer a constant for `checked`.
    new = MODULE.replace("    return value\n", "    global allowed\n")
    checked = function(MODULE, "checked")
    assert function(new, "checked") != checked
    assert _kept(new) == ["first", "Runner.__init__", "Runner.run", "Runner.other"]


def test_a_name_module_level_code_reads_changed_in_a_function_reextracts_every_function(every_file_fingerprinted):
    # `tuple` imported in `second` is the file's `tuple`: `allowed` is no
    # longer known to be constant, so `checked`, which reads only `allowed`,
    # has other facts.
    new = MODULE.replace("    return value\n", "    from os import path as tuple\n")
    checked = function(MODULE, "checked")
    assert function(new, "checked") != checked
    assert _kept(new) == []


def test_a_class_given_another_base_reextracts_its_methods(every_file_fingerprinted):
    module = MODULE.replace("import json\n", "import json\n\nfrom django import views\n").replace(
        "    def other(self):\n        return LIMIT\n",
        "    def other(self):\n        subprocess.call(self.kwargs['name'], shell=True)\n")
    assert "self.kwargs" in module
    new = module.replace("class Runner:", "class Runner(views.View):")
    # `self.kwargs` of a Django view is the URL's parameters: now a source.
    other = function(module, "Runner.other")
    assert function(new, "Runner.other") != other
    assert _kept(new, module) == []


def test_a_name_read_in_the_class_changed_reextracts_the_methods_that_read_its_attributes(
        every_file_fingerprinted):
    # `frozenset` imported in `second` is the file's: `self.allowed` is no
    # longer known to be constant where `run` checks it.
    new = MODULE.replace("    return value\n", "    import pickle as frozenset\n")
    run = function(MODULE, "Runner.run")
    assert function(new, "Runner.run") != run
    assert _kept(new) == ["first", "checked", "Runner.other"]


def test_a_module_level_change_reextracts_every_function(every_file_fingerprinted):
    assert _kept(MODULE.replace("LIMIT = 3", "LIMIT = 4")) == []
    assert _kept(MODULE + "\nLIMIT = input()\n") == []


def test_another_project_or_other_aliases_reextract_every_function(every_file_fingerprinted):
    new = MODULE + "\n\ndef third(value):\n    return value\n"
    before = facts(MODULE)
    assert facts(new, before, project=ProjectModules(["pkg", "pkg.mod", "json"])).reused == 0
    assert facts(new, before, aliases={"pkg": "pkg__2"}).reused == 0


def test_a_file_with_few_functions_has_no_fingerprint():
    assert len(ast.parse(MODULE).body) < extract_module.MIN_FUNCTIONS
    assert facts(MODULE).fingerprint is None
    assert facts(MODULE + "\n\ndef third(value):\n    return value\n", facts(MODULE)).reused == 0


def test_facts_that_do_not_match_their_fingerprint_are_not_taken(every_file_fingerprinted):
    new = MODULE + "\n\ndef third(value):\n    return value\n"
    before = facts(MODULE)
    del before.functions[-1]
    after = facts(new, before)
    assert after.reused == 0 and after == facts(new)
