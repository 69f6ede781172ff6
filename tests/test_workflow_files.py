"""The workflow files shipped for users (pre-commit manifest, tox example,
GitHub Actions workflow) are valid, and the secreview commands they run do
what the docs say on a real git repository."""

from __future__ import annotations

import configparser
import json
import shlex
import subprocess
from pathlib import Path

import pytest
import yaml

from conftest import run_process, write
from test_diff import APP, commit, edit, git

REPO = Path(__file__).resolve().parents[1]
FLOW = ('db.execute("SELECT * FROM users WHERE name = ?", (name,))',
        'db.execute("SELECT * FROM users WHERE name = \'%s\'" % name)')


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    folder = tmp_path / "repo"
    folder.mkdir()
    git(folder, "init", "-q", "-b", "main")
    git(folder, "config", "user.email", "dev@example.org")
    git(folder, "config", "user.name", "Dev")
    write(folder, "app.py", APP)
    commit(folder, "first")
    return folder


def secreview_args(command: str) -> list[str]:
    words = shlex.split(command)
    assert words[0] == "secreview", command
    return words[1:]


def test_pre_commit_manifest_is_valid_for_pre_commit() -> None:
    done = subprocess.run(["pre-commit", "validate-manifest", str(REPO / ".pre-commit-hooks.yaml")],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    hooks = {h["id"]: h for h in yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))}
    assert set(hooks) == {"secreview", "secreview-files"}
    assert hooks["secreview"]["pass_filenames"] is False


def test_pre_commit_hook_reports_the_staged_flow_and_not_an_untracked_file(repo: Path) -> None:
    hooks = {h["id"]: h for h in yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))}
    entry = secreview_args(hooks["secreview"]["entry"])
    edit(repo, "app.py", *FLOW)
    git(repo, "add", "app.py")
    write(repo, "scratch.py", "import os\n\ndef run(cmd):\n    os.system(cmd)\n")  # not staged, not committed
    run = run_process(*entry, "-f", "json", cwd=repo)
    assert run.exit_code == 1, run.stderr
    assert [(f["rule"], f["path"], f["line"]) for f in run.json()["findings"]] == [("py.sql-injection", "app.py", 20)]
    git(repo, "commit", "-qm", "flow")
    clean = run_process(*entry, cwd=repo)
    assert clean.exit_code == 0, clean.stdout + clean.stderr
    assert clean.stdout.startswith("No security defects are detected in the code.")


def test_tox_example_runs_the_change_review(repo: Path) -> None:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(REPO / "docs" / "examples" / "tox.ini", encoding="utf-8")
    env = parser["testenv:secreview"]
    assert env["deps"].strip() == "secreview"
    [command] = [line for line in env["commands"].splitlines() if line.strip()]
    command = command.replace("{posargs:HEAD~1}", "HEAD~1")
    edit(repo, "app.py", *FLOW)
    commit(repo, "the change under review")
    run = run_process(*secreview_args(command), "-f", "json", cwd=repo)
    assert run.exit_code == 1, run.stderr
    assert [(f["rule"], f["line"]) for f in run.json()["findings"]] == [("py.sql-injection", 20)]


def test_github_workflow_uploads_sarif_from_the_review_it_runs(repo: Path) -> None:
    workflow = yaml.safe_load((REPO / "docs" / "examples" / "github-workflow.yml").read_text(encoding="utf-8"))
    steps = workflow["jobs"]["code-scanning"]["steps"]
    assert workflow["jobs"]["code-scanning"]["permissions"]["security-events"] == "write"
    [upload] = [s for s in steps if s.get("uses", "").startswith("github/codeql-action/upload-sarif@")]
    [review] = [s for s in steps if s.get("name") == "Review"]
    [line] = [ln.strip() for ln in review["run"].splitlines() if ln.strip().startswith("secreview ")]
    args = secreview_args(line.split(" || ")[0])
    run = run_process(*args, cwd=repo)
    assert run.exit_code == 1  # the old shell injection in APP
    sarif = json.loads((repo / upload["with"]["sarif_file"]).read_text(encoding="utf-8"))
    [result] = sarif["runs"][0]["results"]
    assert result["ruleId"] == "py.shell-injection"
    assert result["locations"][0]["physicalLocation"]["artifactLocation"] == {"uri": "app.py", "uriBaseId": "%SRCROOT%"}
    assert set(result["partialFingerprints"]) == {"secreview/v1"}
    # The pull-request job calls the github command with options that exist.
    pr_steps = workflow["jobs"]["pull-request-review"]["steps"]
    [comment] = [s for s in pr_steps if "secreview github" in s.get("run", "")]
    assert comment["env"]["GITHUB_TOKEN"] == "${{ secrets.GITHUB_TOKEN }}"
    assert "--post" in comment["run"]
