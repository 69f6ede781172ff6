"""Change review on real git repositories: `secreview review --diff` and
`--diff-file` report what a change introduces, and nothing it only moves."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from secreview.changes import review_change
from secreview.targets.diff import DiffError, change_from_patch, parse_diff
from conftest import CLEAN_SUMMARY, write

APP = '''\
import sqlite3
import subprocess

from flask import Flask, request

app = Flask(__name__)


@app.route("/ping")
def ping():
    host = request.args["host"]
    subprocess.run("ping -c 1 " + host, shell=True, check=False)
    return "ok"


@app.route("/user")
def user():
    name = request.args["name"]
    db = sqlite3.connect("app.db")
    db.execute("SELECT * FROM users WHERE name = ?", (name,))
    return "ok"
'''
PING_LINE = 12  # the old defect: py.shell-injection


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True)
    return done.stdout


@pytest.fixture
def repo(project: Path) -> Path:
    git(project, "init", "-q", "-b", "main")
    git(project, "config", "user.email", "dev@example.org")
    git(project, "config", "user.name", "Dev")
    git(project, "config", "commit.gpgsign", "false")
    write(project, "app.py", APP)
    git(project, "add", "-A")
    git(project, "commit", "-qm", "first")
    return project


def commit(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", message)


def edit(repo: Path, name: str, old: str, new: str) -> None:
    path = repo / name
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def findings(run) -> list[tuple[str, str, int, list[int]]]:
    return [(f["rule"], f["path"], f["line"], f["cwe"]) for f in run.json()["findings"]]


def test_a_commit_that_adds_a_flow_is_reported_and_old_defects_are_not(repo: Path, cli) -> None:
    edit(repo, "app.py", 'db.execute("SELECT * FROM users WHERE name = ?", (name,))',
         'db.execute("SELECT * FROM users WHERE name = \'%s\'" % name)')
    commit(repo, "add a flow")
    run = cli("review", "--diff", "-f", "json", "-q")
    assert run.exit_code == 1
    assert findings(run) == [("py.sql-injection", "app.py", 20, [89])]
    change = run.json()["change"]
    assert change["python_files"] == ["app.py"]
    assert change["preexisting_findings"] == 1  # the shell injection on line 12, untouched
    assert change["description"].startswith("HEAD~1") or len(change["description"].split()[0]) == 12
    # The whole-tree review still sees both.
    whole = cli("review", "-f", "json", "-q")
    assert {(f["rule"], f["line"]) for f in whole.json()["findings"]} == {
        ("py.shell-injection", PING_LINE), ("py.sql-injection", 20)}


def test_a_commit_that_only_moves_old_code_is_not_reported(repo: Path, cli) -> None:
    text = (repo / "app.py").read_text(encoding="utf-8")
    start, end = text.index('@app.route("/ping")'), text.index('@app.route("/user")')
    (repo / "app.py").write_text(text[:start] + text[end:], encoding="utf-8")
    write(repo, "views.py", "import subprocess\n\nfrom flask import request\n\nfrom app import app\n\n\n"
          + text[start:end].rstrip() + "\n")
    commit(repo, "move the ping view to its own module")
    run = cli("review", "--diff", "-f", "json", "-q")
    assert run.exit_code == 0, run.stdout
    assert run.json()["verdict"] == "clean"
    assert run.json()["findings"] == []
    assert run.json()["change"]["preexisting_findings"] == 1
    # ... while the moved defect is still there for a whole-tree review.
    whole = cli("review", "-f", "json", "-q")
    assert findings(whole) == [("py.shell-injection", "views.py", 11, [78])]


def test_reindenting_and_moving_code_down_the_file_is_not_reported(repo: Path, cli) -> None:
    edit(repo, "app.py", "app = Flask(__name__)\n", "app = Flask(__name__)\nTIMEOUT = 5\n\n\n")
    edit(repo, "app.py", 'subprocess.run("ping -c 1 " + host, shell=True, check=False)',
         'subprocess.run("ping -c 1 " + host,  shell=True,\n                   check=False)')
    run = cli("review", "--diff", "HEAD", "-f", "json", "-q")
    assert run.exit_code == 0, run.stdout
    assert run.json()["findings"] == []


def test_a_copy_of_an_old_defect_is_new(repo: Path, cli) -> None:
    write(repo, "admin.py", "import subprocess\n\nfrom flask import request\n\nfrom app import app\n\n\n"
          '@app.route("/trace")\ndef ping():\n    host = request.args["host"]\n'
          '    subprocess.run("ping -c 1 " + host, shell=True, check=False)\n    return "ok"\n')
    run = cli("review", "--diff", "HEAD", "-f", "json", "-q")
    assert findings(run) == [("py.shell-injection", "admin.py", 11, [78])]


def test_removing_a_sanitiser_is_reported_though_the_flow_lines_did_not_change(repo: Path, cli) -> None:
    write(repo, "tools.py", "import shlex\nimport subprocess\n\n\ndef clean(value):\n    return shlex.quote(value)\n"
          "\n\ndef run(value):\n    subprocess.run(\"ping -c 1 \" + value, shell=True, check=False)\n")
    write(repo, "api.py", "from flask import request\n\nfrom app import app\nfrom tools import clean, run\n\n\n"
          '@app.route("/p")\ndef ping2():\n    run(clean(request.args["h"]))\n    return "ok"\n')
    commit(repo, "tools")
    assert cli("review", "--diff", "HEAD~1", "-f", "json", "-q").json()["findings"] == []
    edit(repo, "tools.py", "    return shlex.quote(value)", "    return value")
    run = cli("review", "--diff", "HEAD", "-f", "json", "-q")
    assert run.exit_code == 1
    assert findings(run) == [("py.shell-injection", "tools.py", 10, [78])]
    explanation = run.json()["findings"][0]["explanation"]
    assert "made it possible by removing or altering code on the way (lines removed before tools.py:6)" in explanation


def test_rewriting_a_step_of_an_old_flow_reports_it_again(repo: Path, cli) -> None:
    write(repo, "jobs.py", "import subprocess\n\nfrom flask import request\n\nfrom app import app\n\n\n"
          '@app.route("/job")\ndef job():\n    name = request.args["name"]\n    cmd = "run-job " + name\n'
          "    subprocess.run(cmd, shell=True, check=False)\n    return \"ok\"\n")
    commit(repo, "jobs")
    edit(repo, "jobs.py", 'cmd = "run-job " + name', 'cmd = "run-job --verbose " + name')
    run = cli("review", "--diff", "HEAD", "-f", "json", "-q")
    assert findings(run) == [("py.shell-injection", "jobs.py", 12, [78])]
    assert [s["line"] for s in run.json()["findings"][0]["trace"]] == [10, 11, 12]
    # Spacing that step differently (the same code) is not a rewrite.
    git(repo, "checkout", "jobs.py")
    edit(repo, "jobs.py", 'cmd = "run-job " + name', 'cmd  =  "run-job "  +  name')
    run = cli("review", "--diff", "HEAD", "-f", "json", "-q")
    assert (run.json()["findings"], run.json()["change"]["preexisting_findings"]) == ([], 2)


def test_rename_with_an_edit_reports_only_the_new_defect(repo: Path, cli) -> None:
    git(repo, "mv", "app.py", "service.py")
    edit(repo, "service.py", 'db.execute("SELECT * FROM users WHERE name = ?", (name,))',
         'db.execute(f"SELECT * FROM users WHERE name = \'{name}\'")')
    run = cli("review", "--diff", "HEAD", "-f", "json", "-q")
    assert findings(run) == [("py.sql-injection", "service.py", 20, [89])]
    assert run.json()["change"]["python_files"] == ["service.py"]


def test_a_change_without_python_files_reviews_nothing_and_says_so(repo: Path, cli) -> None:
    write(repo, "README.md", "# app\n")
    write(repo, "logo.png", b"\x89PNG\r\n\x1a\n\x00\x00")
    git(repo, "add", "-A")
    run = cli("review", "--diff", "HEAD", "-q")
    assert run.exit_code == 0
    assert run.stdout.startswith(CLEAN_SUMMARY)
    assert "2 file(s) changed, none of them Python source, so there was nothing to review." in run.stdout
    assert "Skipped logo.png: binary file." in run.stdout


def test_default_base_is_the_merge_base_with_upstream(repo: Path, tmp_path: Path, cli, monkeypatch) -> None:
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(repo), str(clone)], check=True)
    monkeypatch.chdir(clone)
    git(clone, "config", "user.email", "dev@example.org")
    git(clone, "config", "user.name", "Dev")
    git(clone, "checkout", "-q", "-b", "feature", "--track", "origin/main")
    edit(clone, "app.py", 'db.execute("SELECT * FROM users WHERE name = ?", (name,))',
         'db.execute("SELECT * FROM users WHERE name = " + name)')
    commit(clone, "one")
    write(clone, "notes.txt", "two\n")
    commit(clone, "two")  # HEAD~1 alone would miss the first commit's flow
    run = cli("review", "--diff", "-f", "json", "-q")
    assert findings(run) == [("py.sql-injection", "app.py", 20, [89])]


def test_no_base_is_a_clear_error(repo: Path, cli) -> None:
    run = cli("review", "--diff")
    assert run.exit_code == 2
    assert "no base to compare with: the branch has no upstream and HEAD has no parent" in run.stderr
    run = cli("review", "--diff", "no-such-branch")
    assert run.exit_code == 2
    assert "unknown revision 'no-such-branch'" in run.stderr
    run = cli("review", "--diff", "--output=x")
    assert run.exit_code == 2


def test_outside_a_repository_is_a_clear_error(project: Path, cli) -> None:
    write(project, "a.py", "x = 1\n")
    run = cli("review", "--diff", "HEAD")
    assert run.exit_code == 2
    assert run.stderr == (f"secreview: diff: {project} is not inside a git repository "
                          "(use --diff-file PATCH for a diff from elsewhere)\n")


def test_diff_file_matches_diff_mode(repo: Path, cli, tmp_path: Path) -> None:
    edit(repo, "app.py", 'db.execute("SELECT * FROM users WHERE name = ?", (name,))',
         'db.execute("SELECT * FROM users WHERE name = \'%s\'" % name)')
    patch = tmp_path / "change.patch"
    patch.write_text(git(repo, "diff"), encoding="utf-8")
    from_git = cli("review", "--diff", "HEAD", "-f", "json", "-q")
    from_file = cli("review", "--diff-file", str(patch), "-f", "json", "-q")
    assert findings(from_file) == findings(from_git) == [("py.sql-injection", "app.py", 20, [89])]
    assert from_file.json()["change"]["preexisting_findings"] == 1
    # A plain `diff -u` style patch without a/ b/ prefixes works too.
    plain = git(repo, "diff", "--no-prefix")
    patch.write_text(plain, encoding="utf-8")
    assert findings(cli("review", "--diff-file", str(patch), "-f", "json", "-q")) == findings(from_git)


def test_diff_file_that_does_not_match_the_tree_is_refused(repo: Path, cli, tmp_path: Path) -> None:
    patch = tmp_path / "other.patch"
    patch.write_text("--- a/app.py\n+++ b/app.py\n@@ -1,2 +1,2 @@\n-import os\n+import sys\n import subprocess\n",
                     encoding="utf-8")
    run = cli("review", "--diff-file", str(patch))
    assert run.exit_code == 2
    assert "app.py:1: the patch does not match the file (expected 'import sys')" in run.stderr
    assert run.stdout == ""


@pytest.mark.parametrize(("patch", "message"), [
    ("--- a/../etc/x.py\n+++ b/../etc/x.py\n@@ -1 +1 @@\n-a\n+b\n", "leaves the project (it contains '..')"),
    ("--- /etc/x.py\n+++ /etc/x.py\n@@ -1 +1 @@\n-a\n+b\n", "is absolute"),
    ("--- a/x.py\n+++ b/x.py\n@@ -1 +1 @@\n-a\x00\n+b\n", "contains NUL bytes"),
    ("--- a/x.py\n+++ b/x.py\n@@ -1,1 +1,99999999 @@\n-a\n+b\n", "a hunk claims 99999999 lines"),
    ("--- a/x.py\n+++ b/x.py\n@@ -1,3 +1,3 @@\n-a\n+b\n", "malformed unified diff"),
    ("--- a/x.py\n+++ b/x.py\n@@ nonsense @@\n-a\n+b\n", "malformed hunk header"),
    ("this is not a diff at all\n", "no file changes found"),
])
def test_hostile_or_broken_patches_are_refused(repo: Path, cli, tmp_path: Path, patch: str, message: str) -> None:
    path = tmp_path / "bad.patch"
    path.write_bytes(patch.encode("utf-8"))
    run = cli("review", "--diff-file", str(path), "-f", "json")
    assert run.exit_code == 2
    assert message in run.stderr
    assert run.stdout == ""
    assert not (repo.parent / "etc").exists()


def test_parse_diff_keeps_renames_deletions_binaries_and_mode_changes() -> None:
    text = (
        "diff --git a/run.sh b/run.sh\nold mode 100644\nnew mode 100755\n"
        "diff --git a/gone.py b/gone.py\ndeleted file mode 100644\nindex 1..0\n--- a/gone.py\n+++ /dev/null\n"
        "@@ -1,2 +0,0 @@\n-import os\n-os.system('x')\n"
        "diff --git a/old.py b/new.py\nsimilarity index 100%\nrename from old.py\nrename to new.py\n"
        "diff --git a/img.png b/img.png\nindex 1..2 100644\nBinary files a/img.png and b/img.png differ\n"
        "diff --git a/m.py b/m.py\nindex 1..2 100644\n--- a/m.py\n+++ b/m.py\n@@ -1,3 +1,4 @@\n a = 1\n-b = 2\n"
        "+B = 2\n c = 3\n+d = 4\n"
    )
    change = parse_diff(text)
    got = {(f.old_path, f.new_path, f.status, f.binary, tuple(sorted(f.added)), tuple(sorted(f.removed_at)))
           for f in change.files}
    assert got == {
        ("run.sh", "run.sh", "modified", False, (), ()),
        ("gone.py", None, "deleted", False, (), (1,)),
        ("old.py", "new.py", "renamed", False, (), ()),
        ("img.png", "img.png", "modified", True, (), ()),
        ("m.py", "m.py", "modified", False, (2, 4), (2,)),
    }
    assert change.renames() == {"old.py": "new.py"}
    assert sorted(f.path for f in change.python_files()) == ["gone.py", "m.py", "new.py"]
    assert change.by_new_path()["m.py"].commentable == frozenset({1, 2, 3, 4})


def test_old_side_is_rebuilt_from_the_new_side_and_the_patch(tmp_path: Path) -> None:
    write(tmp_path, "m.py", "a = 1\nB = 2\nc = 3\nd = 4\n")
    change, old = change_from_patch(
        "--- a/m.py\n+++ b/m.py\n@@ -1,3 +1,4 @@\n a = 1\n-b = 2\n+B = 2\n c = 3\n+d = 4\n"
        "--- a/gone.py\n+++ /dev/null\n@@ -1,2 +0,0 @@\n-import os\n-os.system('x')\n", str(tmp_path))
    assert old == {"m.py": b"a = 1\nb = 2\nc = 3\n", "gone.py": b"import os\nos.system('x')\n"}
    with pytest.raises(DiffError, match="the patch must already be applied"):
        change_from_patch("--- a/n.py\n+++ b/n.py\n@@ -1 +1 @@\n-a\n+b\n", str(tmp_path))


def test_deleting_a_file_introduces_nothing(repo: Path) -> None:
    (repo / "app.py").unlink()
    write(repo, "other.py", "x = 1\n")
    change, old = change_from_patch(git(repo, "diff"), str(repo))
    report = review_change(["."], change, old, root=str(repo))
    assert report.findings == []
    assert report.errors == []
    assert report.change.preexisting == []


# Baselines ------------------------------------------------------------------------------------------

def test_baseline_hides_recorded_findings_counts_copies_and_reports_stale(repo: Path, cli) -> None:
    made = cli("baseline", "create", "-o", "baseline.json")
    assert made.exit_code == 0
    assert "Recorded 1 finding(s) as 1 entry in baseline.json." in made.stderr
    data = json.loads((repo / "baseline.json").read_text(encoding="utf-8"))
    assert data["format"] == "secreview-baseline" and data["findings"] == 1
    [entry] = data["entries"]
    assert (entry["rule"], entry["path"], entry["scope"], entry["count"]) == ("py.shell-injection", "app.py", "ping", 1)
    assert "line" not in entry

    run = cli("review", "--baseline", "baseline.json", "-f", "json", "-q")
    assert run.exit_code == 0
    assert run.json()["verdict"] == "clean"
    assert run.json()["baseline"] == {"file": "baseline.json", "hidden": 1, "stale": []}

    # Lines added above move the finding: still hidden. A second copy in the same function shows.
    edit(repo, "app.py", "import sqlite3\n", "import sqlite3\nimport os\n\n# a comment\n")
    edit(repo, "app.py", '    return "ok"\n\n\n@app.route("/user")',
         '    subprocess.run("ping -c 1 " + host, shell=True, check=False)\n    return "ok"\n\n\n'
         '@app.route("/user")')
    run = cli("review", "--baseline", "baseline.json", "-f", "json", "-q")
    assert run.exit_code == 1
    assert findings(run) == [("py.shell-injection", "app.py", 16, [78])]
    assert run.json()["baseline"]["hidden"] == 1

    # Fix both: the entry is stale, and the text review says so.
    edit(repo, "app.py", '"ping -c 1 " + host, shell=True, check=False)', '["ping", "-c", "1", host], check=False)')
    run = cli("review", "--baseline", "baseline.json", "-q")
    assert run.exit_code == 0
    assert "1 baseline entry matched nothing and can be removed" in run.stdout
    assert "stale: app.py py.shell-injection in ping:" in run.stdout


def test_a_bad_baseline_file_is_a_clear_error(repo: Path, cli) -> None:
    write(repo, "b.json", "{not json")
    run = cli("review", "--baseline", "b.json")
    assert (run.exit_code, run.stdout) == (2, "")
    assert "secreview: baseline: b.json: not JSON" in run.stderr
    write(repo, "b.json", json.dumps({"format": "secreview-baseline", "version": 1, "entries": [{"key": "k"}]}))
    run = cli("review", "--baseline", "b.json")
    assert "entry 1 is malformed" in run.stderr and run.exit_code == 2
    run = cli("review", "--baseline", "missing.json")
    assert "missing.json: cannot be read" in run.stderr and run.exit_code == 2


def test_no_baseline_from_an_incomplete_review(repo: Path, cli) -> None:
    write(repo, "broken.py", "def f(:\n")
    run = cli("baseline", "create")
    assert run.exit_code == 2
    assert "the review is incomplete, so no baseline was written" in run.stderr
    assert not (repo / ".secreview-baseline.json").exists()


def test_baseline_and_diff_together(repo: Path, cli) -> None:
    assert cli("baseline", "create", "-o", "b.json").exit_code == 0
    edit(repo, "app.py", 'db.execute("SELECT * FROM users WHERE name = ?", (name,))',
         'db.execute("SELECT * FROM users WHERE name = " + name)')
    run = cli("review", "--diff", "HEAD", "--baseline", "b.json", "-f", "json", "-q")
    assert findings(run) == [("py.sql-injection", "app.py", 20, [89])]
    # The recorded defect is neither new nor shown, so the baseline entry is not stale.
    assert run.json()["baseline"]["stale"] == []


def test_no_newline_markers_are_not_lines(tmp_path: Path) -> None:
    patch = ("--- a/m.py\n+++ b/m.py\n@@ -1,2 +1,2 @@\n a = 1\n-b = 2\n\\ No newline at end of file\n"
             "+b = 3\n\\ No newline at end of file\n")
    (tmp_path / "m.py").write_text("a = 1\nb = 3", encoding="utf-8")
    change, old = change_from_patch(patch, str(tmp_path))
    [item] = change.files
    assert (item.added, item.commentable, item.removed_at) == ({2}, {1, 2}, {2})
    assert old == {"m.py": b"a = 1\nb = 2\n"}


def test_without_a_cache_the_old_side_still_reuses_the_new_sides_results(repo: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """A change review given no cache (`--no-cache`) analyses the unchanged
    files once, not once per side: a cache for this review only is shared by
    its two sides, and the report is the one a kept cache gives."""
    from secreview import cache as cache_module
    from secreview import engine
    from secreview.cache import ResultCache

    for index in range(6):
        write(repo, f"util{index}.py", f"def add{index}(a, b):\n    return a + b\n")
    commit(repo, "utilities")
    edit(repo, "app.py", 'db.execute("SELECT * FROM users WHERE name = ?", (name,))',
         'db.execute("SELECT * FROM users WHERE name = \'%s\'" % name)')
    change, old = change_from_patch(git(repo, "diff"), str(repo))
    reviewed: list[str] = []
    real = engine.review_file

    def counting(source, *args, **kwargs):
        reviewed.append(source.path)
        return real(source, *args, **kwargs)

    monkeypatch.setattr(engine, "review_file", counting)
    report = review_change(["."], change, old, root=str(repo), jobs=1)
    # The new side's 7 files, then the old side's one changed file only.
    assert sorted(reviewed) == sorted(["app.py", "app.py"] + [f"util{i}.py" for i in range(6)])
    assert [(f.rule, f.path, f.line) for f in report.findings] == [("py.sql-injection", "app.py", 20)]
    assert [(f.rule, f.path) for f in report.change.preexisting] == [("py.shell-injection", "app.py")]
    monkeypatch.setattr(cache_module, "RACY_SECONDS", 0)  # remember the digests of files written just now
    kept = ResultCache(str(repo.parent / "kept-cache"))
    try:
        with_cache = review_change(["."], change, old, root=str(repo), jobs=1, cache=kept)
        remembered = [os.fsdecode(path) for (path,) in kept._db.execute("SELECT path FROM digests")]
    finally:
        kept.close()
    assert [f.to_dict() for f in with_cache.findings] == [f.to_dict() for f in report.findings]
    # The old side's folder goes with the review: its files' digests are not kept.
    assert len(remembered) == 7 and all(path.startswith(str(repo) + os.sep) for path in remembered)
