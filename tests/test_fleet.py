"""`secreview fleet` on three generated git repositories (two cloned through
file:// URLs, one reviewed in place) and one that does not exist, with one
local Ray instance for the module: a clone that fails once is run again by
Ray, the missing repository is recorded as failed while the others complete,
a second run resumes and --force redoes. No external cluster is used.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Iterator

import pytest
import ray
from click.testing import CliRunner

import secreview
from conftest import SAFE, SHELL, TLS, WEAK, write
from secreview.cli_fleet import fleet_command
from secreview.config import load_config
from secreview.engine import review
from secreview.executors import QUIET_RETRIES
from secreview.fleet import FleetResult, ManifestError, RepoRow, parse_manifest, run_fleet
from secreview.report import render

SOURCE_ROOT = str(Path(secreview.__file__).resolve().parents[1])
NONE_FOUND = {"critical": 0, "high": 0, "medium": 0, "low": 0}
REPORTS = ["alpha-v1.json", "alpha-v1.sarif", "flaky.json", "flaky.sarif", "gamma.json", "gamma.sarif"]

# Runs after every checkout the Ray workers' `git clone` makes: the first
# clone of "flaky" fails, as a dropped connection would; each is counted.
HOOK = """#!/bin/sh
case "$PWD" in
  */flaky)
    echo clone >> "{state}/flaky-clones"
    if [ ! -e "{state}/flaky-failed" ]; then
      touch "{state}/flaky-failed"
      echo "error: simulated network failure" >&2
      exit 1
    fi ;;
esac
"""


@pytest.fixture(scope="module")
def hook_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A local Ray instance whose workers' git runs HOOK; the hook's state
    is kept in the folder returned."""
    state = tmp_path_factory.mktemp("hook")
    hooks = state / "hooks"
    hooks.mkdir()
    (hooks / "post-checkout").write_text(HOOK.format(state=state), encoding="utf-8")
    (hooks / "post-checkout").chmod(0o755)
    (state / "gitconfig").write_text(f"[core]\n\thooksPath = {hooks}\n", encoding="utf-8")
    # A fresh temporary folder (short: Ray's sockets live in it) holds no
    # address of another Ray instance on this machine, so none is joined;
    # the Ray processes inherit the environment set here.
    temp = tempfile.mkdtemp(prefix="sr-ray-")
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("RAY_ADDRESS", raising=False)
        patch.setenv(QUIET_RETRIES, "0")  # as RayExecutor does
        patch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [SOURCE_ROOT, os.environ.get("PYTHONPATH")])))
        patch.setenv("GIT_CONFIG_GLOBAL", str(state / "gitconfig"))
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, _temp_dir=temp)
    yield state
    ray.shutdown()
    shutil.rmtree(temp, ignore_errors=True)


@pytest.fixture
def hook(hook_folder: Path) -> Path:
    """The hook's state, reset: the next clone of "flaky" fails."""
    for name in ("flaky-clones", "flaky-failed"):
        (hook_folder / name).unlink(missing_ok=True)
    return hook_folder


def git(folder: Path, *args: str) -> None:
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    subprocess.run(["git", "-c", "user.name=Test", "-c", "user.email=test@example.com", "-c", "init.defaultBranch=main",
                    *args], cwd=folder, env=env, check=True, capture_output=True)


def repository(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True)
    git(folder, "init", "-q")
    commit(folder, files)
    return folder


def commit(folder: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        write(folder, name, text)
    git(folder, "add", "-A")
    git(folder, "commit", "-q", "-m", "change")


class Fleet:
    """alpha: a bare repository, reviewed at tag v1 (a later commit adds a
    finding that must not show); flaky: a clone that fails once; gamma: a
    folder reviewed in place, with its own configuration; missing: nothing."""

    def __init__(self, root: Path):
        work = repository(root / "work" / "alpha", {"app.py": SHELL})
        git(work, "tag", "v1")
        commit(work, {"tls.py": TLS})
        git(root, "clone", "-q", "--bare", str(work), "alpha.git")
        self.alpha = (root / "alpha.git").as_uri()
        self.flaky = repository(root / "flaky", {"safe.py": SAFE}).as_uri()
        self.gamma = repository(root / "gamma", {"util.py": WEAK, "safe.py": SAFE, "pyproject.toml":
                                                 '[tool.secreview]\ndisable = ["py.weak-hash"]\n'})
        self.missing = (root / "missing.git").as_uri()
        self.root = root
        self.out = root / "out"
        self.manifest = self.write_manifest("fleet.txt", [f"{self.alpha} v1   # the release", self.flaky, "gamma",
                                                          self.missing])

    def write_manifest(self, name: str, lines: list[str]) -> Path:
        return write(self.root, name, "# the fleet\n\n" + "\n".join(lines) + "\n")


@pytest.fixture
def fleet(tmp_path: Path) -> Fleet:
    return Fleet(tmp_path)


def rows(result: FleetResult) -> list[tuple[object, ...]]:
    return [(r.name, r.status, r.verdict, r.findings, r.files, r.error, r.reused) for r in result.rows]


def stamps(folder: Path) -> dict[str, tuple[int, int]]:
    return {name: ((folder / name).stat().st_ino, (folder / name).stat().st_mtime_ns) for name in REPORTS}


def without_seconds(text: str) -> dict[str, object]:
    data = json.loads(text)
    del data["stats"]["seconds"]
    return data


def test_the_fleet_reviews_each_repository_and_records_the_one_that_cannot_be(fleet: Fleet, hook: Path) -> None:
    seen: list[str] = []
    result = run_fleet(fleet.manifest, fleet.out, progress=lambda row: seen.append(row.name))
    missing_path = fleet.root / "missing.git"
    assert rows(result) == [
        ("alpha-v1", "ok", "defects", {**NONE_FOUND, "high": 1}, 1, None, False),
        ("flaky", "ok", "clean", NONE_FOUND, 1, None, False),
        ("gamma", "ok", "clean", NONE_FOUND, 2, None, False),
        ("missing", "failed", None, {}, 0, f"git clone of {fleet.missing} failed: fatal: '{missing_path}' does not "
                                            "appear to be a git repository (3 attempts)", False)]
    assert sorted(seen) == ["alpha-v1", "flaky", "gamma", "missing"]
    # The first clone of flaky failed; Ray ran its task again.
    assert (hook / "flaky-clones").read_text() == "clone\nclone\n"
    assert sorted(p.name for p in fleet.out.iterdir()) == sorted([*REPORTS, "summary.json", "summary.md"])

    alpha = json.loads((fleet.out / "alpha-v1.json").read_text())  # at v1: tls.py came later
    assert [(f["rule"], f["path"], f["line"]) for f in alpha["findings"]] == [("py.shell-injection", "app.py", 3)]
    sarif = json.loads((fleet.out / "alpha-v1.sarif").read_text())
    assert [r["ruleId"] for r in sarif["runs"][0]["results"]] == ["py.shell-injection"]
    # In place, with its own configuration: the report a local review gives.
    gamma = review([str(fleet.gamma)], load_config(str(fleet.gamma / "pyproject.toml")), root=str(fleet.gamma))
    assert without_seconds((fleet.out / "gamma.json").read_text()) == without_seconds(render(gamma, "json"))

    summary = json.loads((fleet.out / "summary.json").read_text())
    assert summary["repositories"] == [row.to_dict() for row in result.rows]
    assert [(r["source"], r["ref"]) for r in summary["repositories"]] == [
        (fleet.alpha, "v1"), (fleet.flaky, None), (str(fleet.gamma), None), (fleet.missing, None)]
    table = (fleet.out / "summary.md").read_text().splitlines()
    assert table[2] == "4 repositories: 3 reviewed, 1 failed; 1 with findings, 0 incomplete."
    assert table[-1] == (f"| missing | {fleet.missing} |  | failed |  |  |  |  |  |  |  | {result.rows[3].error} |")
    assert table[6].startswith(f"| [alpha-v1](alpha-v1.json) ([SARIF](alpha-v1.sarif)) | {fleet.alpha} | v1 | ok "
                               "| defects | 0 | 1 | 0 | 0 | 1 | ")


def test_a_second_run_resumes_and_force_reviews_again(fleet: Fleet, hook: Path) -> None:
    first = run_fleet(fleet.manifest, fleet.out)
    before = stamps(fleet.out)

    second = run_fleet(fleet.manifest, fleet.out)
    assert [(r.name, r.status, r.reused) for r in second.rows] == [
        ("alpha-v1", "ok", True), ("flaky", "ok", True), ("gamma", "ok", True), ("missing", "failed", False)]
    assert [r.seconds for r in second.rows[:3]] == [round(r.seconds, 3) for r in first.rows[:3]]
    assert stamps(fleet.out) == before
    assert (hook / "flaky-clones").read_text() == "clone\nclone\n"  # not cloned again
    assert second.summary == "4 repositories: 3 reviewed (3 reused from an earlier run), 1 failed; " \
                             "1 with findings, 0 incomplete."

    forced = run_fleet(fleet.manifest, fleet.out, force=True)
    assert [(r.name, r.status, r.reused) for r in forced.rows] == [
        ("alpha-v1", "ok", False), ("flaky", "ok", False), ("gamma", "ok", False), ("missing", "failed", False)]
    after = stamps(fleet.out)
    assert [name for name in REPORTS if after[name] == before[name]] == []
    assert (hook / "flaky-clones").read_text() == "clone\nclone\nclone\n"


def test_a_name_that_now_means_another_source_is_reviewed_again(fleet: Fleet, hook: Path) -> None:
    manifest = fleet.write_manifest("one.txt", ["gamma"])
    run_fleet(manifest, fleet.out)
    other = repository(fleet.root / "elsewhere" / "gamma", {"app.py": SHELL})
    moved = fleet.write_manifest("moved.txt", [str(other)])
    result = run_fleet(moved, fleet.out)
    assert rows(result) == [("gamma", "ok", "defects", {**NONE_FOUND, "high": 1}, 1, None, False)]
    assert json.loads((fleet.out / "gamma.json").read_text())["findings"][0]["path"] == "app.py"


def test_the_command_exits_on_the_worst_outcome(fleet: Fleet, hook: Path) -> None:
    def run(manifest: Path, *args: str) -> tuple[int, str, str]:
        done = CliRunner().invoke(fleet_command, [str(manifest), "--out", str(fleet.out), *args],
                                  catch_exceptions=False)
        return done.exit_code, done.stdout, done.stderr

    code, stdout, stderr = run(fleet.manifest)
    assert code == 2  # a repository could not be reviewed
    assert stdout == ("4 repositories: 3 reviewed, 1 failed; 1 with findings, 0 incomplete.\n"
                      f"Summary in {fleet.out / 'summary.md'}.\n")
    lines = sorted(stderr.splitlines())
    assert [re.sub(r" in \d+\.\d s$", " in N s", line) for line in lines] == [
        "alpha-v1: defects (1 high), 1 file(s) in N s", "flaky: clean, 1 file(s) in N s",
        "gamma: clean, 2 file(s) in N s",
        f"missing: failed: git clone of {fleet.missing} failed: fatal: '{fleet.root / 'missing.git'}' does not "
        "appear to be a git repository (3 attempts)"]

    found = fleet.write_manifest("found.txt", [f"{fleet.alpha} v1", fleet.flaky, "gamma"])
    assert run(found) == (1, "3 repositories: 3 reviewed (3 reused from an earlier run), 0 failed; 1 with findings, "
                             f"0 incomplete.\nSummary in {fleet.out / 'summary.md'}.\n",
                          "alpha-v1: defects (1 high), 1 file(s), reused\nflaky: clean, 1 file(s), reused\n"
                          "gamma: clean, 2 file(s), reused\n")
    clean = fleet.write_manifest("clean.txt", [fleet.flaky, "gamma"])
    assert run(clean, "--quiet")[:1] == (0,)
    repository(fleet.root / "broken", {"broken.py": "def broken(:\n    pass\n"})
    incomplete = fleet.write_manifest("incomplete.txt", ["gamma", "broken"])
    assert run(incomplete, "-q") == (2, "2 repositories: 2 reviewed (1 reused from an earlier run), 0 failed; "
                                        f"0 with findings, 1 incomplete.\nSummary in {fleet.out / 'summary.md'}.\n",
                                     "")


def test_the_command_reports_a_manifest_it_cannot_use(tmp_path: Path) -> None:
    manifest = write(tmp_path, "fleet.txt", "https://example.com/a.git v1 extra\n")
    done = CliRunner().invoke(fleet_command, [str(manifest), "--out", str(tmp_path / "out")])
    assert done.exit_code == 2
    assert done.stderr == (f"secreview: fleet: {manifest}:1: expected SOURCE [REF], got 3 words "
                           "(quote a path that holds spaces)\n")
    assert not (tmp_path / "out").exists()
    done = CliRunner().invoke(fleet_command, [str(tmp_path / "absent.txt"), "--out", str(tmp_path / "out")])
    assert done.exit_code == 2


def test_the_manifest_names_each_line_uniquely() -> None:
    text = """# repositories of the organisation
https://github.com/org/service.git v1.2   # the release
git@github.com:org/service.git
https://gitlab.example.com/team/service
"../checkouts/my app"                      # a folder with a space
/srv/git/summary.git
/srv/git/tools.git feature/new-parser
   # an indented comment
"""
    repos = parse_manifest(text, "/home/me/fleet", "fleet.txt")
    assert [(r.name, r.source, r.ref, r.line) for r in repos] == [
        ("service-v1.2", "https://github.com/org/service.git", "v1.2", 2),
        ("service", "git@github.com:org/service.git", None, 3),
        ("service-2", "https://gitlab.example.com/team/service", None, 4),
        ("my-app", "/home/me/checkouts/my app", None, 5),
        ("summary-2", "/srv/git/summary.git", None, 6),  # summary.json is the fleet's own
        ("tools-feature-new-parser", "/srv/git/tools.git", "feature/new-parser", 7)]


@pytest.mark.parametrize(("text", "message"), [
    ("# nothing\n\n", "fleet.txt: no repositories (one `SOURCE [REF]` per line)"),
    ("a b c\n", "fleet.txt:1: expected SOURCE [REF], got 3 words (quote a path that holds spaces)"),
    ('ok\n"unclosed\n', "fleet.txt:2: No closing quotation"),
])
def test_a_manifest_that_cannot_be_used_says_where(text: str, message: str) -> None:
    with pytest.raises(ManifestError) as err:
        parse_manifest(text, "/base", "fleet.txt")
    assert str(err.value) == message


def test_a_row_survives_the_summary_file() -> None:
    row = RepoRow("alpha", "file:///a.git", "v1", "ok", "defects", {**NONE_FOUND, "high": 2}, 3, 1.5, None)
    assert RepoRow.from_dict(row.to_dict()) == row
