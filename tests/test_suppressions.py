"""Inline suppressions: Bandit's `# nosec [ids]` and `# secreview: ignore[rule]`.
Suppressed findings are counted and listable, never silently lost."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import pytest

from conftest import CLEAN_SUMMARY, SHELL, Run, write
from secreview.config import Config
from secreview.engine import review
from secreview.model import Report
from secreview.triage.suppress import parse_comment

Cli = Callable[..., Run]

# py.shell-injection through subprocess with shell=True (Bandit B602) on line 3.
POPEN = 'import subprocess\ndef run(name):\n    subprocess.call(f"ls {{name}}", shell=True){comment}\n'


def review_text(folder: Path, text: str) -> Report:
    write(folder, "app.py", text)
    return review([str(folder / "app.py")], Config(), root=str(folder))


def reported(report: Report) -> list[tuple[int, str]]:
    return [(f.line, f.rule) for f in report.findings]


def suppressed(report: Report) -> list[tuple[int, str, str | None]]:
    return [(f.line, f.rule, f.suppressed_by) for f in report.suppressed]


def test_unsuppressed_baseline(tmp_path: Path) -> None:
    report = review_text(tmp_path, POPEN.format(comment=""))
    assert reported(report) == [(3, "py.shell-injection")]
    assert report.suppressed == [] and report.stats.suppressed == 0


@pytest.mark.parametrize("comment", [
    "  # nosec",
    "  #nosec",
    "  # NOSEC",
    "  # nosec B602",
    "  # nosec: B602",
    "  # nosec B602, B607",
    "  # nosec B607,B602",
    "  # nosec b602 listing a directory is the job",
    "  # nosec py.shell-injection",
    "  # secreview: ignore[py.shell-injection] listing a directory is the job",
    "  # secreview: ignore[py.weak-hash, py.shell-injection]",
    "  # secreview: ignore",
    "  # noqa: S602  # nosec",
])
def test_comment_suppresses(tmp_path: Path, comment: str) -> None:
    report = review_text(tmp_path, POPEN.format(comment=comment))
    assert reported(report) == []
    assert suppressed(report) == [(3, "py.shell-injection", f"line 3: # {comment.strip()[1:].strip()}")]
    assert report.stats.suppressed == 1
    assert report.verdict.value == "clean"


@pytest.mark.parametrize("comment", [
    "  # nosec B101",
    "  # nosec B101, B303",
    "  # nosec py.weak-hash",
    "  # secreview: ignore[py.code-eval] not this one",
    "  # secreview: ignored",
    "  # nosecurity concerns here",
    "  # why is there no nosec here?",
])
def test_comment_for_something_else_does_not_suppress(tmp_path: Path, comment: str) -> None:
    report = review_text(tmp_path, POPEN.format(comment=comment))
    assert reported(report) == [(3, "py.shell-injection")]
    assert report.suppressed == []


def test_reason_is_kept(tmp_path: Path) -> None:
    report = review_text(tmp_path, POPEN.format(
        comment="  # secreview: ignore[py.shell-injection] names come from our own config"))
    (finding,) = report.suppressed
    assert finding.suppressed_by == "line 3: # secreview: ignore[py.shell-injection] names come from our own config"


MULTILINE = """import subprocess
def run(name):
    subprocess.call({c1}
        f"ls {{name}}",{c2}
        shell=True,{c3}
    ){c4}
"""


@pytest.mark.parametrize("where", ["c1", "c2", "c3", "c4"])
def test_comment_on_any_line_of_a_multiline_statement(tmp_path: Path, where: str) -> None:
    comments = {key: "" for key in ("c1", "c2", "c3", "c4")}
    comments[where] = "  # nosec B602"
    report = review_text(tmp_path, MULTILINE.format(**comments))
    assert reported(report) == []
    line = {"c1": 3, "c2": 4, "c3": 5, "c4": 6}[where]
    assert suppressed(report) == [(3, "py.shell-injection", f"line {line}: # nosec B602")]


def test_comment_outside_the_statement_does_not_apply(tmp_path: Path) -> None:
    text = MULTILINE.format(c1="", c2="", c3="", c4="") + "    x = 1  # nosec\n"
    report = review_text(tmp_path, "# nosec\n" + text)
    assert reported(report) == [(4, "py.shell-injection")]


def test_comment_in_a_compound_statement_body_does_not_cover_the_header(tmp_path: Path) -> None:
    text = 'import os\ndef ping(host):\n    if os.system(f"ping {host}"):\n        pass  # nosec\n'
    report = review_text(tmp_path, text)
    assert reported(report) == [(3, "py.shell-injection")]
    on_header = text.replace('{host}"):', '{host}"):  # nosec').replace("pass  # nosec", "pass")
    assert reported(review_text(tmp_path, on_header)) == []


def test_nosec_inside_a_string_does_not_suppress(tmp_path: Path) -> None:
    in_string = 'import os\ndef ping(host):\n    os.system(f"ping -c 1 {host} # nosec")\n'
    assert reported(review_text(tmp_path, in_string)) == [(3, "py.shell-injection")]
    in_multiline_string = ('import os\ndef ping(host):\n    os.system(f"""ping -c 1 {host}\n'
                           '    # nosec\n    """)\n')
    assert reported(review_text(tmp_path, in_multiline_string)) == [(3, "py.shell-injection")]
    ours_in_string = 'import os\ndef ping(host):\n    os.system(f"ping {host} # secreview: ignore")\n'
    assert reported(review_text(tmp_path, ours_in_string)) == [(3, "py.shell-injection")]


def test_suppression_only_covers_its_own_statement(tmp_path: Path) -> None:
    text = ('import os\ndef ping(host):\n    os.system(f"ping -c 1 {host}")  # nosec\n'
            '    os.system(f"ping -c 2 {host}")\n')
    report = review_text(tmp_path, text)
    assert reported(report) == [(4, "py.shell-injection")]
    assert [(f.line, f.rule) for f in report.suppressed] == [(3, "py.shell-injection")]
    assert report.stats.suppressed == 1


def test_suppressions_work_with_cr_line_endings(tmp_path: Path) -> None:
    text = POPEN.format(comment="  # nosec B602").replace("\n", "\r")
    report = review_text(tmp_path, text)
    assert (reported(report), [(f.line, f.rule) for f in report.suppressed]) == ([], [(3, "py.shell-injection")])


def test_suppressed_are_counted_and_listed_never_lost(project: Path, cli: Cli) -> None:
    write(project, "a.py", SHELL.replace('{host}")', '{host}")  # nosec'))
    write(project, "b.py", POPEN.format(comment="  # secreview: ignore[py.shell-injection] trusted"))
    write(project, "c.py", SHELL)
    text = cli("review")
    assert text.exit_code == 1
    assert "2 finding(s) suppressed by inline comments (--show-suppressed lists them)." in text.stdout
    data = cli("review", "-f", "json", "--show-suppressed").json()
    assert data["stats"]["suppressed"] == 2
    assert [(f["path"], f["line"]) for f in data["findings"]] == [("c.py", 3)]
    assert [(f["path"], f["line"], f["suppressed_by"]) for f in data["suppressed"]] == [
        ("a.py", 3, "line 3: # nosec"),
        ("b.py", 3, "line 3: # secreview: ignore[py.shell-injection] trusted"),
    ]
    shown = cli("review", "--show-suppressed").stdout
    assert "  a.py:3 py.shell-injection - " in shown and "  b.py:3 py.shell-injection - " in shown


def test_all_suppressed_is_clean_but_says_so(project: Path, cli: Cli) -> None:
    write(project, "a.py", SHELL.replace('{host}")', '{host}")  # nosec'))
    run = cli("review")
    assert run.exit_code == 0
    assert run.stdout.splitlines()[0] == CLEAN_SUMMARY
    assert "1 finding(s) suppressed by inline comments" in run.stdout


def test_parse_comment() -> None:
    sup = parse_comment(7, " nosec B602, B607 because")
    assert sup is not None
    assert (sup.line, sup.rules, sup.bandit_ids) == (7, frozenset(), frozenset({"B602", "B607"}))
    ours = parse_comment(2, " secreview: ignore[py.a, py.b] why")
    assert ours is not None and ours.rules == frozenset({"py.a", "py.b"})
    assert parse_comment(1, " just a comment") is None
    assert parse_comment(1, " secreview: ignored") is None
