"""Files that cannot be analysed become `errors` entries with a clear reason;
the rest of the review goes on; the verdict says `incomplete`; the tool never
crashes, hangs or runs the code it reviews."""

from __future__ import annotations

import importlib.util
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from conftest import SAFE, SHELL, SHELL_LINE, Run, run_process, write
from secreview.config import Config
from secreview.engine import review
from secreview.model import Confidence, Finding, Fix, Severity
from secreview.python.context import FileContext
from secreview.rules.base import Rule

Cli = Callable[..., Run]

GOOD = ("good.py", SHELL_LINE, "py.shell-injection")
SYNTAX_REASON = "syntax error at line 1: invalid syntax"
NESTING = "nesting too deep to parse"


def review_json(cli: Cli, *args: str) -> tuple[int, dict[str, Any]]:
    run = cli("review", "--format", "json", *args)
    return run.exit_code, run.json()


def found(data: dict[str, Any]) -> list[tuple[str, int, str]]:
    return [(f["path"], f["line"], f["rule"]) for f in data["findings"]]


def assert_only_error(cli: Cli, project: Path, name: str, reason: str | Callable[[str], bool],
                      *args: str) -> None:
    """With a good file beside it: the bad file is the only error, the good
    file's finding is still reported, the verdict is incomplete, exit 1;
    alone: exit 2 (incomplete, nothing found)."""
    write(project, "good.py", SHELL)
    code, data = review_json(cli, *args)
    assert [e["path"] for e in data["errors"]] == [name]
    actual = data["errors"][0]["reason"]
    if callable(reason):
        assert reason(actual), actual
    else:
        assert actual == reason
    assert found(data) == [GOOD]
    assert data["verdict"] == "incomplete"
    assert data["stats"]["files_skipped"] == 1 and data["stats"]["files_analyzed"] >= 1
    assert code == 1
    (project / "good.py").unlink()
    code, data = review_json(cli, *args)
    assert (code, data["verdict"], data["findings"]) == (2, "incomplete", [])


def test_syntax_error(project: Path, cli: Cli) -> None:
    write(project, "broken.py", "def f(:\n    pass\n")
    assert_only_error(cli, project, "broken.py", SYNTAX_REASON)


def test_syntax_error_names_its_line(project: Path, cli: Cli) -> None:
    write(project, "broken.py", "import os\n\nx = (1,\n")
    assert_only_error(cli, project, "broken.py", "syntax error at line 3: '(' was never closed")


def test_syntax_error_after_newer_syntax_names_the_real_line(project: Path, cli: Cli) -> None:
    if importlib.util.find_spec("secreview.python.fallback") is None:  # pragma: no cover
        pytest.skip("needs the fallback parser")
    # Line 1 is valid Python 3.12 (nested quotes in an f-string); line 5 is not valid anywhere.
    write(project, "newer.py", 'x = f"{"a"}"\n\n\n\ny = (\n')
    assert_only_error(cli, project, "newer.py", lambda reason: reason.startswith("syntax error at line 5"))


def test_python2_file(project: Path, cli: Cli) -> None:
    write(project, "legacy.py", 'import os\nprint "x"\n')
    if importlib.util.find_spec("secreview.python.fallback") is not None:
        expected: str | Callable[[str], bool] = "Python 2 syntax (print statement at line 2)"
    else:  # before the fallback parser: the interpreter's own message
        expected = lambda reason: reason.startswith("syntax error at line 2: Missing parentheses")  # noqa: E731
    assert_only_error(cli, project, "legacy.py", expected)


def test_latin1_with_coding_line_is_analysed(project: Path, cli: Cli) -> None:
    text = '# -*- coding: latin-1 -*-\nimport os\nGREETING = "caf\xe9"\ndef ping(host):\n    os.system(f"ping -c 1 {host}")\n'
    write(project, "latin.py", text.encode("latin-1"))
    code, data = review_json(cli)
    assert (code, data["errors"], found(data)) == (1, [], [("latin.py", 5, "py.shell-injection")])
    assert data["findings"][0]["code"] == '    os.system(f"ping -c 1 {host}")'


def test_latin1_without_coding_line(project: Path, cli: Cli) -> None:
    write(project, "latin.py", 'import os\nGREETING = "caf\xe9"\n'.encode("latin-1"))
    assert_only_error(cli, project, "latin.py", "not valid utf-8 text (byte 0xe9 at line 2); "
                                                "declare the file's encoding with a PEP 263 coding line")


@pytest.mark.parametrize(("coding", "reason"), [
    ("klingon", "invalid encoding declaration: unknown encoding: klingon"),
    ("rot13", "invalid encoding declaration: 'rot13' is not a text encoding"),
])
def test_unusable_coding_line(project: Path, cli: Cli, coding: str, reason: str) -> None:
    write(project, "odd.py", f"# coding: {coding}\nx = 1\n")
    assert_only_error(cli, project, "odd.py", reason)


def test_utf8_bom_is_analysed(project: Path, cli: Cli) -> None:
    write(project, "bom.py", b"\xef\xbb\xbf" + SHELL.encode())
    code, data = review_json(cli)
    assert (code, data["errors"], found(data)) == (1, [], [("bom.py", 3, "py.shell-injection")])
    assert data["findings"][0]["code"] == '    os.system(f"ping -c 1 {host}")'


def test_binary_file_named_py(project: Path, cli: Cli) -> None:
    write(project, "x.py", b"\x7fELF\x02\x01\x01\x00\x00\x00binary")
    assert_only_error(cli, project, "x.py", "binary file (contains NUL bytes), not Python source")


def test_empty_file_is_valid_python(project: Path, cli: Cli) -> None:
    write(project, "empty.py", "")
    write(project, "pkg/__init__.py", "")
    code, data = review_json(cli)
    assert (code, data["verdict"], data["errors"], data["findings"]) == (0, "clean", [], [])
    stats = data["stats"]
    assert (stats["files_analyzed"], stats["lines_analyzed"], stats["files_skipped"]) == (2, 0, 0)


def test_file_over_max_file_size(project: Path, cli: Cli) -> None:
    write(project, "big.py", "x = 1\n" * 100)  # 600 bytes
    assert_only_error(cli, project, "big.py",
                      "file is 600 bytes, over the 500 bytes limit (raise max-file-size to review it)",
                      "--max-file-size", "500")


def test_several_megabyte_file_against_the_default_limit(project: Path, cli: Cli) -> None:
    line = "VALUE = 'abcdefghijklmnopqrstuvwxyz0123456789'\n"
    write(project, "huge.py", line * (3 * 1024 * 1024 // len(line) + 1))
    size = (project / "huge.py").stat().st_size
    assert size > 3 * 1024 * 1024
    assert_only_error(cli, project, "huge.py",
                      f"file is {size / 1048576:.1f} MiB, over the 2.0 MiB limit (raise max-file-size to review it)")


@pytest.mark.parametrize("text", [
    "x = " + "(" * 300 + ")" * 300 + "\n",
    "x = " + "1+" * 200000 + "1\n",
    "x = " + "[" * 5000 + "]" * 5000 + "\n",
    "x = " + "-" * 100000 + "1\n",
    "x = a" + ".b" * 100000 + "\n",
    "x = f" + "()" * 100000 + "\n",
    "".join("    " * i + "if x:\n" for i in range(101)) + "    " * 101 + "pass\n",
], ids=["parens", "sum", "lists", "unary", "attributes", "calls", "indentation"])
def test_nesting_too_deep_is_an_error_not_a_crash(project: Path, cli: Cli, text: str) -> None:
    write(project, "deep.py", text)
    assert_only_error(cli, project, "deep.py", lambda reason: reason.startswith(NESTING))


def test_nesting_too_deep_in_a_real_process(project: Path) -> None:
    write(project, "deep.py", "x = " + "1+" * 200000 + "1\n")
    write(project, "good.py", SHELL)
    run = run_process("review", "-f", "json", cwd=project)
    assert run.exit_code == 1, run.stderr
    data = run.json()
    assert [(e["path"], e["reason"][:len(NESTING)]) for e in data["errors"]] == [("deep.py", NESTING)]
    assert found(data) == [GOOD]


def test_symlink_loops(project: Path) -> None:
    os.symlink("loop.py", project / "loop.py")
    sub = project / "sub"
    sub.mkdir()
    os.symlink("..", sub / "up")  # a folder link back to its parent
    write(project, "good.py", SHELL)
    # A real process with a time limit: an endless walk fails the test, not the suite.
    run = run_process("review", "-f", "json", cwd=project, timeout=60)
    data = run.json()
    assert data["errors"] == [{"path": "loop.py", "reason": "symbolic link loop: the link resolves to itself"}]
    assert found(data) == [GOOD]  # once, not again as sub/up/good.py
    assert (run.exit_code, data["verdict"]) == (1, "incomplete")
    # Named on the command line, the loop is reported the same way.
    run = run_process("review", "-f", "json", "loop.py", cwd=project, timeout=60)
    assert (run.exit_code, run.json()["errors"]) == (
        2, [{"path": "loop.py", "reason": "symbolic link loop: the link resolves to itself"}])


def test_broken_symlink(project: Path, cli: Cli) -> None:
    os.symlink("nowhere.py", project / "x.py")
    assert_only_error(cli, project, "x.py", "broken symbolic link (points to 'nowhere.py', which does not exist)")


def test_fifo_does_not_block(project: Path) -> None:
    os.mkfifo(project / "pipe.py")
    write(project, "good.py", SHELL)
    run = run_process("review", "-f", "json", cwd=project, timeout=60)
    data = run.json()
    assert data["errors"] == [{"path": "pipe.py", "reason": "not a regular file"}]
    assert (run.exit_code, found(data)) == (1, [GOOD])


def test_nonexistent_path_argument(project: Path, cli: Cli) -> None:
    write(project, "good.py", SHELL)
    code, data = review_json(cli, "good.py", "missing.py", "missing_dir")
    assert data["errors"] == [{"path": "missing.py", "reason": "path does not exist"},
                              {"path": "missing_dir", "reason": "path does not exist"}]
    assert (code, found(data)) == (1, [GOOD])
    code, data = review_json(cli, "missing.py")
    assert (code, data["verdict"]) == (2, "incomplete")


# ------------------------------------------------------------ unreadable files

NOBODY = 65534
# As root, permissions do not stop reads, so the review runs as `nobody`. The
# interpreter may live where `nobody` cannot reach (e.g. under /root), so the
# process starts as root, loads everything the review needs, then drops its
# privileges before it touches the reviewed files.
DROP_PRIVILEGES_AND_RUN = f"""
import os, sys
import difflib  # click's option parser imports it lazily
import secreview.cli, secreview.engine, secreview.report.json_report
from secreview.rules import all_rules
from secreview.taint import load_models
all_rules()
load_models()  # the package's own files sit under /root, which nobody cannot enter
os.setgroups([])
os.setgid({NOBODY})
os.setuid({NOBODY})
secreview.cli.main(args=sys.argv[1:], prog_name="secreview")
"""


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A folder every user can enter (pytest's own tmp folders are private)."""
    folder = Path(tempfile.mkdtemp(prefix="secreview-test-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_unreadable_file(shared_dir: Path) -> None:
    write(shared_dir, "good.py", SHELL)
    locked = write(shared_dir, "locked.py", SAFE)
    locked.chmod(0)
    try:
        if os.geteuid() == 0:
            done = subprocess.run([sys.executable, "-c", DROP_PRIVILEGES_AND_RUN, "review", "-f", "json", "."],
                                  cwd=shared_dir, capture_output=True, text=True, timeout=120,
                                  stdin=subprocess.DEVNULL)
            run = Run(done.returncode, done.stdout, done.stderr)
        else:
            run = run_process("review", "-f", "json", ".", cwd=shared_dir)
    finally:
        locked.chmod(stat.S_IRUSR | stat.S_IWUSR)
    assert run.stdout, run.stderr
    data = run.json()
    assert data["errors"] == [{"path": "locked.py", "reason": "cannot be read: Permission denied"}]
    assert (run.exit_code, data["verdict"], found(data)) == (1, "incomplete", [GOOD])


# ------------------------------------------------ odd but valid line endings


def test_form_feed_and_unicode_line_separators_keep_line_numbers(project: Path, cli: Cli) -> None:
    """Python ends lines only at \\n, \\r\\n and \\r; a form feed, \\x85 or
    \\u2028 must not shift the cited line."""
    text = 'import os\n\x0c\nNOTE = "a\x85b\u2028c"\ndef ping(host):\n    os.system(f"ping -c 1 {host}")\n'
    write(project, "app.py", text)
    code, data = review_json(cli)
    assert found(data) == [("app.py", 5, "py.shell-injection")]
    assert data["findings"][0]["code"] == '    os.system(f"ping -c 1 {host}")'
    assert data["stats"]["lines_analyzed"] == 5


@pytest.mark.parametrize("newline", ["\r\n", "\r"])
def test_windows_and_old_mac_line_endings(project: Path, cli: Cli, newline: str) -> None:
    write(project, "app.py", SHELL.replace("\n", newline).encode())
    code, data = review_json(cli)
    assert found(data) == [("app.py", 3, "py.shell-injection")]
    assert data["findings"][0]["code"] == '    os.system(f"ping -c 1 {host}")'


# ------------------------------------------------------ a failing rule


class _Boom(Rule):
    id = "test.boom"
    name = "Always fails"
    cwe = (20,)
    severity = Severity.LOW

    def check(self, ctx: FileContext) -> Iterator[Finding]:
        raise RuntimeError("boom")
        yield self.finding(ctx, ctx.tree, "", "", Fix(""), confidence=Confidence.LOW)  # pragma: no cover


def test_a_failing_rule_is_reported_and_the_others_still_run(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from secreview import engine

    real = engine.all_rules()
    monkeypatch.setattr(engine, "all_rules", lambda: (_Boom(), *real))
    write(tmp_path, "good.py", SHELL)
    report = review([str(tmp_path)], Config(), root=str(tmp_path))
    assert [(e.path, e.reason) for e in report.errors] == [
        ("good.py", "internal error in rule test.boom (RuntimeError: boom); the other rules ran (please report this)")]
    assert [(f.path, f.line, f.rule) for f in report.findings] == [GOOD]
    assert report.verdict.value == "incomplete"


# ------------------------------------------------ the code is never run


def test_reviewed_code_is_never_executed(project: Path, cli: Cli) -> None:
    marker = project.parent / "executed"
    payload = f"__import__('pathlib').Path({str(marker)!r}).touch()\n"
    write(project, "app.py", payload + SHELL)
    write(project, "pkg/__init__.py", payload)
    write(project, "conftest.py", payload)
    write(project, "setup.py", payload + "import setuptools\nsetuptools.setup()\n")
    write(project, "main.py", f"if __name__ == '__main__':\n    {payload}")
    write(project, "sitecustomize.py", payload)
    code, data = review_json(cli)
    assert (code, data["stats"]["files_analyzed"]) == (1, 6)
    assert found(data) == [("app.py", 4, "py.shell-injection")]
    run = run_process("review", cwd=project)
    assert run.exit_code == 1
    assert not marker.exists()


def test_file_name_that_is_not_utf8(project: Path, cli: Cli) -> None:
    name = os.fsdecode(b"caf\xe9.py")  # a Latin-1 file name on a UTF-8 system
    try:
        (project / name).write_text(SHELL, encoding="utf-8")
    except (OSError, UnicodeError):  # pragma: no cover - file systems that refuse such names
        pytest.skip("the file system does not accept non-UTF-8 file names")
    code, data = review_json(cli)
    assert (code, found(data)) == (1, [("caf\\xe9.py", 3, "py.shell-injection")])
    for fmt in ("text", "sarif", "markdown"):
        run = cli("review", "--format", fmt)
        assert run.exit_code == 1 and "caf\\xe9.py" in run.stdout.replace("%5C", "\\")


@pytest.mark.parametrize("text, expected", [
    ("y = (\n", (1, "(")),
    ("a = [1,\n 2]\nb = {\n", (3, "{")),
    ("s = '('  # (\nt = \"[\"\nu = 1\n", None),
    ("x = '''(\n'''\nf(\n", (3, "(")),
    ("names = f\"{', '.join(x)}\"\nprint(names\n", (2, "(")),
    ("prefix(1)\nbr'\\('\n", None),
])
def test_unclosed_bracket_scanner_skips_strings_and_comments(text: str, expected) -> None:
    from secreview.python.source import unclosed_bracket

    assert unclosed_bracket(text) == expected
