"""Code written for any Python 3 up to 3.14 is reviewed, whatever interpreter
runs secreview, with the same findings at the same positions.

The fixtures in tests/data/syntax plant a defect inside each newer syntax
(PEP 701 f-strings, PEP 695 generics, PEP 758 except, PEP 750 t-strings).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from secreview.config import Config
from secreview.engine import review
from secreview.model import Verdict

ROOT = Path(__file__).resolve().parent.parent
SYNTAX = ROOT / "tests" / "data" / "syntax"
NOT_PYTHON3 = ["broken.py", "py2_print.py"]

EXPECTED = {
    ("tests/data/syntax/pep695_generics.py", 15, "py.shell-injection"),
    ("tests/data/syntax/pep701_multiline_comments.py", 7, "py.code-eval"),
    ("tests/data/syntax/pep701_quotes.py", 7, "py.shell-injection"),
    ("tests/data/syntax/pep750_tstrings.py", 5, "py.code-eval"),
    ("tests/data/syntax/pep758_except.py", 9, "py.shell-injection"),
}
# Files whose syntax is newer than each interpreter (they need the fallback parser).
NEWER_THAN = {
    (3, 11): {"pep695_generics.py", "pep701_multiline_comments.py", "pep701_quotes.py",
              "pep750_tstrings.py", "pep758_except.py", "nonascii_pep701.py"},
    (3, 12): {"pep750_tstrings.py", "pep758_except.py", "pep695_generics.py"},  # PEP 696 defaults
    (3, 13): {"pep750_tstrings.py", "pep758_except.py"},
}


# `f"{x:{y=}}"` (in fstrings_classic.py) is valid since 3.8, but the parser
# of CPython 3.12.0 to 3.12.4 fails on it with a ValueError (gh-121130): there
# the fallback parser reads that file.
DEFECT_PROBE = "import ast; ast.parse('f\"{x:{y=}}\"')"


def _newer_than(version: tuple[int, int], python: list[str], env: dict[str, str] | None = None) -> set[str]:
    """The fixtures that `python` (of `version`) reads with the fallback parser."""
    newer = set(NEWER_THAN.get(version, set()))
    probe = subprocess.run([*python, "-c", DEFECT_PROBE], env=env, capture_output=True, text=True)
    if probe.returncode != 0:
        assert "ValueError" in probe.stderr, probe.stderr
        newer.add("fstrings_classic.py")
    return newer


def _review():
    return review([str(SYNTAX)], Config(exclude=tuple(NOT_PYTHON3)), root=str(ROOT))


def _finding_key(f: dict) -> tuple:
    return (f["path"], f["line"], f["end_line"], f["column"], f["rule"], tuple(f["cwe"]),
            f["message"], f["fingerprint"], f["code"])


def test_new_syntax_is_analysed_with_findings_inside_it():
    report = _review()
    assert report.errors == []
    assert report.verdict is Verdict.DEFECTS
    assert {(f.path, f.line, f.rule) for f in report.findings} == EXPECTED
    expected_fallback = _newer_than(sys.version_info[:2], [sys.executable])
    assert report.stats.files_fallback_parser == len(expected_fallback)


def test_columns_inside_new_syntax_are_exact():
    report = _review()
    by_file = {f.path.rsplit("/", 1)[-1]: f for f in report.findings}
    # `nested = f"{f"{f"{os.system(cmd)}"}"}"`: the call starts at column 22.
    assert by_file["pep701_quotes.py"].column == 22
    assert by_file["pep701_multiline_comments.py"].column == 8
    assert by_file["pep750_tstrings.py"].column == 24
    assert by_file["pep758_except.py"].column == 8


def test_python2_and_broken_files_are_errors_with_a_reason():
    report = review([str(SYNTAX / n) for n in NOT_PYTHON3], Config(), root=str(ROOT))
    reasons = {e.path.rsplit("/", 1)[-1]: e.reason for e in report.errors}
    assert reasons["py2_print.py"].startswith("Python 2 syntax")
    assert reasons["broken.py"].startswith("syntax error at line 4")
    assert report.verdict is Verdict.INCOMPLETE


def _other_python() -> list[str] | None:
    """Another supported interpreter with secreview's dependencies, if any."""
    candidates = [("3.13", "python3.13"), ("3.12", "python3.12")]
    for version, exe in candidates:
        if f"{sys.version_info[0]}.{sys.version_info[1]}" == version:
            continue
        path = shutil.which(exe)
        if not path:
            continue
        env = {**os.environ, "PYENV_VERSION": _pyenv_version(version)}
        probe = subprocess.run([path, "-c", "import click, rich, cwe2, libcst"], env=env,
                               capture_output=True, text=True)
        if probe.returncode == 0:
            return [path]
    return None


def _pyenv_version(minor: str) -> str:
    root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    matches = sorted(p.name for p in root.glob(f"{minor}.*")) if root.is_dir() else []
    return matches[-1] if matches else minor


def test_same_findings_on_another_interpreter():
    other = _other_python()
    if other is None:
        pytest.skip("no python3.13/python3.12 with secreview's dependencies installed "
                    "(.ci/run installs them when the interpreter exists)")
    version = subprocess.run([*other, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                             env={**os.environ, "PYENV_VERSION": _pyenv_version("3.13")},
                             capture_output=True, text=True).stdout.strip()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYENV_VERSION": _pyenv_version(version)}
    proc = subprocess.run(
        [*other, "-c", "from secreview.cli import main; main()", "review", str(SYNTAX), "-f", "json",
         "-q", "--root", str(ROOT), *[a for n in NOT_PYTHON3 for a in ("--exclude", n)]],
        env=env, capture_output=True, text=True, timeout=300, cwd=str(ROOT))
    assert proc.returncode == 1, proc.stderr
    theirs = json.loads(proc.stdout)
    ours = json.loads(json.dumps(_review().to_dict()))
    assert theirs["errors"] == [] and ours["errors"] == []
    assert sorted(map(_finding_key, theirs["findings"])) == sorted(map(_finding_key, ours["findings"]))
    newer = _newer_than(tuple(map(int, version.split("."))), other, env)  # type: ignore[arg-type]
    assert theirs["stats"]["files_fallback_parser"] == len(newer)


def test_a_value_error_from_the_parser_sends_the_file_to_the_fallback(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """An interpreter whose parser fails on valid code with a ValueError, not
    a syntax error (CPython 3.12.0 to 3.12.4 on `f"{x:{y=}}"`), still gets
    the file analysed, by the fallback parser. A file the fallback cannot
    parse either is an error that gives both reasons."""
    import ast

    real_parse = ast.parse

    def defective(source: Any, filename: str = "<unknown>", *args: Any, **kwargs: Any) -> Any:
        if filename.endswith(".py") and "{y=}" in source:
            raise ValueError("field 'value' is required for Constant")
        return real_parse(source, filename, *args, **kwargs)

    monkeypatch.setattr(ast, "parse", defective)
    (tmp_path / "valid.py").write_text(
        'import os\n\n\ndef ping(host, x, y):\n    label = f"{x:{y=}}"\n    os.system(f"ping -c 1 {host}")\n'
        '    return label\n')
    report = review([str(tmp_path)], Config(), root=str(tmp_path))
    assert report.errors == []
    assert [(f.path, f.line, f.rule) for f in report.findings] == [("valid.py", 6, "py.shell-injection")]
    assert report.stats.files_fallback_parser == 1

    (tmp_path / "valid.py").unlink()
    (tmp_path / "broken.py").write_text('label = f"{x:{y=}}"\nvalues = (1,\n')
    report = review([str(tmp_path)], Config(), root=str(tmp_path))
    assert [(e.path, e.reason) for e in report.errors] == [
        ("broken.py", "cannot be parsed: field 'value' is required for Constant; syntax error at line 2: "
                      "'(' was never closed")]
    assert report.verdict is Verdict.INCOMPLETE

    import secreview.python.fallback as fallback

    def failing(text: str, path: str) -> Any:
        raise RuntimeError("a defect")

    monkeypatch.setattr(fallback, "parse_fallback", failing)
    (tmp_path / "broken.py").write_text('label = f"{x:{y=}}"\n')
    report = review([str(tmp_path)], Config(), root=str(tmp_path))
    assert [(e.path, e.reason) for e in report.errors] == [
        ("broken.py", "cannot be parsed: field 'value' is required for Constant; the fallback parser for newer "
                      "syntax failed: RuntimeError: a defect")]
