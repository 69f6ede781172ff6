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
    expected_fallback = NEWER_THAN.get(sys.version_info[:2], set())
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
    assert theirs["stats"]["files_fallback_parser"] == len(NEWER_THAN[tuple(map(int, version.split(".")))])
