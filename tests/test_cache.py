"""The incremental result cache: unchanged files are not analysed again, an
edit redoes only that file, and no failure of the cache (concurrent runs, a
killed run, damaged entries, a full disk, an unusable folder) changes a
review's outcome."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import SHELL, TLS, WEAK, run_process, secreview_command, write

import secreview.cache as cache_module
from secreview.cache import FILE_NAME, ResultCache
from secreview.config import Config
from secreview.engine import review

# A route in one file reaches a shell in another: the taint step combines
# cached and fresh summaries.
VIEWS = '''\
from flask import Flask, request

from app.jobs import run_job

app = Flask(__name__)


@app.route("/run")
def run():
    return run_job(request.args["cmd"])
'''
JOBS = 'import subprocess\n\n\ndef run_job(cmd):\n    return subprocess.run(cmd, shell=True)\n'
SAFE_JOBS = 'import subprocess\n\n\ndef run_job(cmd):\n    return subprocess.run(["echo", cmd])\n'


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    write(root, "app/__init__.py", "")
    write(root, "app/views.py", VIEWS)
    write(root, "app/jobs.py", JOBS)
    write(root, "tools/hash.py", WEAK)
    write(root, "tools/fetch.py", TLS)
    write(root, "tools/ping.py", SHELL)
    return root


def outcome(report: Any) -> dict[str, Any]:
    """The report without what may differ between two runs of the same review."""
    data = report.to_dict()
    data["stats"].pop("seconds")
    data["stats"].pop("files_cached")
    return data


def run_review(root: Path, cache: ResultCache | None, config: Config | None = None) -> Any:
    return review([str(root)], config or Config(), root=str(root), jobs=1, cache=cache)


def test_a_warm_review_analyses_nothing_and_reports_the_same(tree: Path, tmp_path: Path) -> None:
    cold = run_review(tree, ResultCache(str(tmp_path / "c")))
    warm = run_review(tree, ResultCache(str(tmp_path / "c")))
    assert outcome(warm) == outcome(cold) == outcome(run_review(tree, None))
    assert (cold.stats.files_cached, warm.stats.files_cached) == (0, 6)
    assert [(f.rule, f.path) for f in warm.findings] == [
        ("py.shell-injection", "app/jobs.py"), ("py.xss", "app/views.py"),
        ("py.tls-verification-disabled", "tools/fetch.py"), ("py.weak-hash", "tools/hash.py"),
        ("py.shell-injection", "tools/ping.py")]
    assert warm.findings[0].trace[0].path == "app/views.py"  # the cross-file flow, rebuilt from cached facts


def test_an_edit_redoes_that_file_only(tree: Path, tmp_path: Path) -> None:
    run_review(tree, ResultCache(str(tmp_path / "c")))
    write(tree, "app/jobs.py", SAFE_JOBS)
    cache = ResultCache(str(tmp_path / "c"))
    edited = run_review(tree, cache)
    assert (edited.stats.files_cached, cache.misses) == (5, 1)
    assert outcome(edited) == outcome(run_review(tree, None))
    assert "app/jobs.py" not in [f.path for f in edited.findings]


def test_the_taint_step_is_reused_while_no_file_with_facts_changes(tree: Path, tmp_path: Path) -> None:
    write(tree, "tests/test_jobs.py", "def test_job():\n    assert 1 + 1 == 3\n")
    first = ResultCache(str(tmp_path / "c"))
    run_review(tree, first)
    assert first.solutions_reused == 0
    warm = ResultCache(str(tmp_path / "c"))
    assert outcome(run_review(tree, warm)) == outcome(run_review(tree, None))
    assert warm.solutions_reused == 1
    # A test file without findings has no taint facts: editing it redoes that
    # file, and the taint step's stored result still holds.
    write(tree, "tests/test_jobs.py", "def test_job():\n    assert 1 + 1 == 2\n")
    after_test_edit = ResultCache(str(tmp_path / "c"))
    assert outcome(run_review(tree, after_test_edit)) == outcome(run_review(tree, None))
    assert (after_test_edit.misses, after_test_edit.solutions_reused) == (1, 1)
    # An edit to a file with facts solves again, from the other files' stored facts.
    write(tree, "app/jobs.py", SAFE_JOBS)
    after_edit = ResultCache(str(tmp_path / "c"))
    edited = run_review(tree, after_edit)
    assert outcome(edited) == outcome(run_review(tree, None))
    assert (after_edit.misses, after_edit.solutions_reused) == (1, 0)
    assert "app/jobs.py" not in [f.path for f in edited.findings]
    # Back to the first state: its stored solution is found again.
    write(tree, "app/jobs.py", JOBS)
    back = ResultCache(str(tmp_path / "c"))
    assert [f.rule for f in run_review(tree, back).findings][0] == "py.shell-injection"
    assert (back.misses, back.solutions_reused) == (0, 1)


def test_damaged_facts_and_solutions_are_recomputed(tree: Path, tmp_path: Path) -> None:
    folder = tmp_path / "c"
    expected = outcome(run_review(tree, ResultCache(str(folder))))
    with sqlite3.connect(folder / FILE_NAME) as db:
        db.execute("UPDATE files SET facts = x'80049500' WHERE facts IS NOT NULL")
        db.execute("UPDATE solutions SET value = x'80049500'")
        db.execute("UPDATE solver_values SET value = x'80049500'")
    cache = ResultCache(str(folder))
    assert outcome(run_review(tree, cache)) == expected
    assert (cache.solutions_reused, cache.solutions_resumed) == (0, 0)
    assert cache.discarded >= 3 and cache.warning is None
    again = ResultCache(str(folder))
    assert outcome(run_review(tree, again)) == expected
    assert again.solutions_reused == 1


def test_settings_and_new_modules_are_part_of_the_key(tree: Path, tmp_path: Path) -> None:
    run_review(tree, ResultCache(str(tmp_path / "c")))
    other = run_review(tree, ResultCache(str(tmp_path / "c")), Config(disable=("py.weak-hash",)))
    assert other.stats.files_cached == 0 and "py.weak-hash" not in [f.rule for f in other.findings]
    # A new module can change how every file's imports resolve.
    write(tree, "app/extra.py", "X = 1\n")
    assert run_review(tree, ResultCache(str(tmp_path / "c"))).stats.files_cached == 0


def test_another_interpreter_keeps_its_results_apart(tree: Path, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The interpreter's parser decides what parses and the trees' shape:
    another Python (here, the next micro release) sharing the cache folder
    neither reads this one's results nor replaces them."""
    folder = str(tmp_path / "c")
    run_review(tree, ResultCache(folder))
    monkeypatch.setattr(cache_module.sys, "hexversion", sys.hexversion + 1)
    cache_module.engine_fingerprint.cache_clear()
    try:
        other = run_review(tree, ResultCache(folder))
        assert other.stats.files_cached == 0
        assert outcome(other) == outcome(run_review(tree, None))
        assert run_review(tree, ResultCache(folder)).stats.files_cached == 6
    finally:
        monkeypatch.undo()
        cache_module.engine_fingerprint.cache_clear()
    assert run_review(tree, ResultCache(folder)).stats.files_cached == 6


def test_the_engine_s_key_covers_its_code_and_data_files_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Any of secreview's own `.py` and `.toml` files, at any depth, is part
    of every result's key; compiled files and other files are not."""
    import shutil

    copy = tmp_path / "secreview"
    shutil.copytree(Path(cache_module.__file__).parent, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(cache_module, "__file__", str(copy / "cache.py"))

    def key() -> str:
        cache_module.engine_fingerprint.cache_clear()
        return cache_module.engine_fingerprint()

    try:
        first = key()
        assert key() == first
        (copy / "taint" / "__pycache__").mkdir(exist_ok=True)
        (copy / "taint" / "__pycache__" / "extract.cpython-311.pyc").write_bytes(b"compiled")
        (copy / "notes.txt").write_text("not code")
        assert key() == first
        [model] = sorted((copy / "models").rglob("*.toml"))[:1]
        model.write_text(model.read_text() + "\n# changed\n")
        second = key()
        assert second != first
        rule = copy / "rules" / "weak_hash.py"
        rule.write_text(rule.read_text() + "\n")
        assert key() not in (first, second)
    finally:
        monkeypatch.undo()
        cache_module.engine_fingerprint.cache_clear()


def _digests(folder: Path) -> dict[str, str]:
    with sqlite3.connect(folder / FILE_NAME) as db:
        return {os.fsdecode(path): stat for path, stat in db.execute("SELECT path, stat FROM digests")}


def test_a_file_not_changed_since_is_not_read_again(tree: Path, tmp_path: Path, monkeypatch) -> None:
    """Its remembered digest answers while what the file system says of it
    (stat) is unchanged, as git's index does; each file is read once."""
    import secreview.engine as engine

    monkeypatch.setattr(cache_module, "RACY_SECONDS", 0)  # the files were written just now
    folder = tmp_path / "c"
    expected = outcome(run_review(tree, ResultCache(str(folder))))
    assert sorted(_digests(folder)) == sorted(str(p) for p in tree.rglob("*.py"))
    opened: list[str] = []
    monkeypatch.setattr(engine, "open", lambda path, *a, **k: opened.append(path) or open(path, *a, **k),
                        raising=False)
    warm = run_review(tree, ResultCache(str(folder)))
    assert outcome(warm) == expected and warm.stats.files_cached == 6 and opened == []


def test_a_file_rewritten_with_its_size_and_times_kept_is_read_again(tree: Path, tmp_path: Path,
                                                                   monkeypatch) -> None:
    """The kernel sets a file's change time (ctime) on every write, and no
    program can set it back: a rewrite that keeps the size and puts the
    modification time back is still seen."""
    monkeypatch.setattr(cache_module, "RACY_SECONDS", 0)
    folder = tmp_path / "c"
    run_review(tree, ResultCache(str(folder)))
    jobs = tree / "app" / "jobs.py"
    before = jobs.stat()
    time.sleep(0.05)  # past the file system clock's tick
    jobs.write_text(JOBS.replace("shell=True", "check=True"))  # no shell now, and the same size
    os.utime(jobs, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert (jobs.stat().st_size, jobs.stat().st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    cache = ResultCache(str(folder))
    edited = run_review(tree, cache)
    assert cache.misses == 1 and outcome(edited) == outcome(run_review(tree, None))
    assert "app/jobs.py" not in [f.path for f in edited.findings]


def test_a_digest_is_remembered_only_for_a_file_changed_a_while_before(tree: Path, tmp_path: Path) -> None:
    """A file changed in the last RACY_SECONDS could change again within
    the same tick of the file system's clock, unseen: it is hashed again
    next time. The same for a damaged entry."""
    folder = tmp_path / "c"
    old = time.time() - 3600
    for path in tree.rglob("*.py"):
        if path.name != "jobs.py":
            os.utime(path, (old, old))  # the change time stays: now
    run_review(tree, ResultCache(str(folder)))
    assert _digests(folder) == {}
    with sqlite3.connect(folder / FILE_NAME) as db:
        db.execute("INSERT INTO digests VALUES (?, ?, ?, ?)",
                   (os.fsencode(tree / "app" / "jobs.py"), "0:0:0:0:0", b"short", time.time()))
    assert ResultCache(str(folder)).known_digests([str(tree / "app" / "jobs.py")]) == {}


def test_an_unreadable_or_outdated_digest_costs_a_read(tree: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(cache_module, "RACY_SECONDS", 0)
    folder = tmp_path / "c"
    expected = outcome(run_review(tree, ResultCache(str(folder))))
    with sqlite3.connect(folder / FILE_NAME) as db:
        db.execute("UPDATE digests SET digest = x'00'")
    cache = ResultCache(str(folder))
    assert outcome(run_review(tree, cache)) == expected and cache.hits == 6
    assert len(_digests(folder)) == 6  # remembered again
    with sqlite3.connect(folder / FILE_NAME) as db:
        db.execute("UPDATE digests SET written = 0")
    run_review(tree, ResultCache(str(folder)))  # nothing hashed: nothing written, nothing dropped
    assert len(_digests(folder)) == 6
    write(tree, "app/jobs.py", SAFE_JOBS)
    cache = ResultCache(str(folder))
    assert outcome(run_review(tree, cache)) == outcome(run_review(tree, None)) and cache.misses == 1
    assert sorted(_digests(folder)) == [str(tree / "app" / "jobs.py")]  # the old ones dropped


def test_the_bundled_models_are_parsed_once_and_kept(tree: Path, tmp_path: Path, monkeypatch) -> None:
    """Their TOML is most of loading them: a warm review takes them from the
    cache; a damaged entry is parsed again and replaced."""
    import secreview.engine as engine

    parsed: list[int] = []
    real = engine.bundled_models
    monkeypatch.setattr(engine, "bundled_models", lambda: parsed.append(1) or real())
    folder = tmp_path / "c"
    expected = outcome(run_review(tree, ResultCache(str(folder))))
    assert parsed == [1]
    assert outcome(run_review(tree, ResultCache(str(folder)))) == expected and parsed == [1]
    with sqlite3.connect(folder / FILE_NAME) as db:
        db.execute("UPDATE models SET value = x'80049500'")
    assert outcome(run_review(tree, ResultCache(str(folder)))) == expected and parsed == [1, 1]
    assert outcome(run_review(tree, ResultCache(str(folder)))) == expected and parsed == [1, 1]


def test_a_users_model_file_is_read_afresh_beside_the_kept_models(tmp_path: Path) -> None:
    root = tmp_path / "project"
    write(root, "app.py", "from flask import request\nimport acme.jobs\n\n\ndef submit():\n"
                          "    acme.jobs.run_script(request.form['script'])\n")
    model = ('[library]\nname = "acme"\n[[sinks]]\ncall = ["acme.jobs.run_script"]\nargs = [0]\nkind = "code"\n'
             'note = "runs the text as a Python script"\n')
    write(root, "acme_models.toml", model)
    config = Config(models=(str(root / "acme_models.toml"),))
    folder = tmp_path / "c"
    run_review(root, ResultCache(str(folder)))  # the bundled models kept
    assert [(f.rule, f.line) for f in run_review(root, ResultCache(str(folder)), config).findings] == [
        ("py.code-eval", 6)]
    write(root, "acme_models.toml", model.replace("run_script", "run_other"))
    assert run_review(root, ResultCache(str(folder)), config).findings == []


def test_damaged_entries_are_discarded_and_recomputed(tree: Path, tmp_path: Path) -> None:
    folder = tmp_path / "c"
    expected = outcome(run_review(tree, ResultCache(str(folder))))
    with sqlite3.connect(folder / FILE_NAME) as db:
        db.execute("UPDATE files SET value = x'80049500' WHERE rowid IN (SELECT rowid FROM files LIMIT 2)")
    cache = ResultCache(str(folder))
    again = run_review(tree, cache)
    assert outcome(again) == expected and (cache.discarded, again.stats.files_cached) == (2, 4)
    assert cache.warning is None
    assert run_review(tree, ResultCache(str(folder))).stats.files_cached == 6  # recomputed and stored again


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_result_deleted_between_finding_and_reading_it_is_recomputed(tree: Path, tmp_path: Path, monkeypatch,
                                                                       jobs: int) -> None:
    """The review finds which results are stored, starts on the other
    files, and reads the stored ones only then: another run may have
    deleted one meanwhile (or it is damaged). That file is reviewed after
    all, and its result stored again."""
    import secreview.engine as engine

    folder = tmp_path / "c"
    run_review(tree, ResultCache(str(folder)))
    write(tree, "app/jobs.py", SAFE_JOBS)
    monkeypatch.setattr(engine, "_start_method", lambda: "fork")  # whatever threads other tests left
    get_many = ResultCache.get_many
    gone: list[str] = []

    def another_run_cleans_up(self: ResultCache, keys: Any) -> Any:
        keys = list(keys)
        assert self._db is not None
        victim = self._db.execute("SELECT key, value FROM files WHERE key IN ({})".format(
            ",".join("?" * len(keys))), keys).fetchall()
        [(key, value)] = [row for row in victim if b"tools/ping.py" in row[1]]
        self._db.execute("DELETE FROM files WHERE key = ?", (key,))
        gone.append(key)
        return get_many(self, keys)

    monkeypatch.setattr(ResultCache, "get_many", another_run_cleans_up)
    cache = ResultCache(str(folder))
    edited = review([str(tree)], Config(), root=str(tree), jobs=jobs, cache=cache)
    assert len(gone) == 1 and (cache.misses, edited.stats.files_cached) == (2, 4)
    assert outcome(edited) == outcome(run_review(tree, None))
    assert [(f.rule, f.line) for f in edited.findings if f.path == "tools/ping.py"] == [("py.shell-injection", 3)]
    monkeypatch.setattr(ResultCache, "get_many", get_many)
    again = ResultCache(str(folder))
    assert run_review(tree, again).stats.files_cached == 6 and again.misses == 0  # stored again

def test_a_cache_file_that_is_not_a_database_is_bypassed(tree: Path, tmp_path: Path) -> None:
    folder = tmp_path / "c"
    write(folder, FILE_NAME, b"\x00garbage" * 1000)
    cache = ResultCache(str(folder))
    report = run_review(tree, cache)
    assert outcome(report) == outcome(run_review(tree, None))
    assert cache.warning is not None and "the review went on without it" in cache.warning


def test_a_full_disk_leaves_the_review_complete(tree: Path, tmp_path: Path) -> None:
    # SQLite's page limit fails a write exactly as a full disk does (SQLITE_FULL).
    cache = ResultCache(str(tmp_path / "c"), max_bytes=8192)
    report = run_review(tree, cache)
    assert outcome(report) == outcome(run_review(tree, None))
    assert cache.warning is not None and "database or disk is full" in cache.warning
    assert ResultCache(str(tmp_path / "c")).get_many(["x"]) == {}  # nothing half-written


def test_concurrent_runs_share_one_cache(tree: Path, tmp_path: Path) -> None:
    env = {**os.environ, "SECREVIEW_CACHE_DIR": str(tmp_path / "shared")}
    command = [*secreview_command(), "review", "-f", "json", "--jobs", "1", str(tree)]
    runs = [subprocess.Popen(command, cwd=tree, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(4)]
    outputs = [run.communicate(timeout=300) for run in runs]
    assert [run.returncode for run in runs] == [1] * 4
    assert all(err == "" for _, err in outputs), [err for _, err in outputs]
    reports = [json.loads(out) for out, _ in outputs]
    for data in reports:
        data["stats"].pop("seconds")
        data["stats"].pop("files_cached")
    assert [data for data in reports[1:] if data != reports[0]] == [], reports[0]  # shows the reports that differ


def test_a_killed_run_leaves_a_usable_cache(tmp_path: Path) -> None:
    root = tmp_path / "big"
    for n in range(120):
        write(root, f"pkg/mod{n:03d}.py", SHELL + f"\n\ndef helper_{n}(value):\n    return value * {n}\n")
    env = {**os.environ, "SECREVIEW_CACHE_DIR": str(tmp_path / "c")}
    command = [*secreview_command(), "review", "-q", "-f", "json", "--jobs", "2", str(root)]
    for delay in (0.8, 1.6, 2.4):
        process = subprocess.Popen(command, cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                   start_new_session=True)
        time.sleep(delay)
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=60)
    after = run_process("review", "-f", "json", "--cache-dir", str(tmp_path / "c"), str(root), cwd=root, timeout=300)
    fresh = run_process("review", "-f", "json", "--no-cache", str(root), cwd=root, timeout=300)
    assert after.stderr == "" and after.exit_code == fresh.exit_code == 1
    cached, uncached = after.json(), fresh.json()
    assert len(cached["findings"]) == 120
    for data in (cached, uncached):
        data["stats"].pop("seconds")
        data["stats"].pop("files_cached")
    assert cached == uncached


def test_cli_cache_options(tree: Path, tmp_path: Path) -> None:
    folder = tmp_path / "mine"
    first = run_process("review", "-f", "json", "--cache-dir", str(folder), str(tree), cwd=tree)
    second = run_process("review", "-f", "json", "--cache-dir", str(folder), str(tree), cwd=tree)
    assert (folder / FILE_NAME).is_file()
    assert (first.json()["stats"]["files_cached"], second.json()["stats"]["files_cached"]) == (0, 6)
    off = run_process("review", "-f", "json", "--no-cache", "--cache-dir", str(tmp_path / "unused"), str(tree),
                      cwd=tree)
    assert off.json()["stats"]["files_cached"] == 0 and not (tmp_path / "unused").exists()
    blocked = write(tmp_path, "a-file", "not a folder")
    warned = run_process("review", "-f", "json", "--cache-dir", str(blocked / "sub"), str(tree), cwd=tree)
    assert warned.exit_code == 1 and warned.json()["findings"] == first.json()["findings"]
    assert warned.stderr.startswith("secreview: warning: the result cache ") and "went on without it" in warned.stderr


def _stored(folder: Path) -> set[str]:
    with sqlite3.connect(folder / FILE_NAME) as db:
        return {key for (key,) in db.execute("SELECT key FROM files")}


def _uses(folder: Path) -> dict[str, float]:
    with sqlite3.connect(folder / FILE_NAME) as db:
        return dict(db.execute("SELECT key, used FROM file_uses").fetchall())


def _age(folder: Path, days: int) -> None:
    """Every use of the cache moved `days` into the past."""
    with sqlite3.connect(folder / FILE_NAME) as db:
        db.execute("UPDATE file_uses SET used = used - ?", (days * 86400,))
        db.execute("UPDATE touches SET day = day - ?", (days,))


def test_results_no_review_reads_for_two_weeks_are_dropped(tree: Path, tmp_path: Path) -> None:
    """The old version of an edited file is read by no review: dropped once
    unused for `FORGET_RESULTS_DAYS`, while what the project is now stays."""
    folder = tmp_path / "c"
    run_review(tree, ResultCache(str(folder)))
    before = _stored(folder)
    write(tree, "app/jobs.py", SAFE_JOBS)
    run_review(tree, ResultCache(str(folder)))
    both = _stored(folder)
    assert len(before) == 6 and len(both) == 7
    _age(folder, cache_module.FORGET_RESULTS_DAYS - 1)
    assert run_review(tree, ResultCache(str(folder))).stats.files_cached == 6
    assert _stored(folder) == both  # not yet
    _age(folder, 2)  # the review above noted its reads as of today: only the old version is this old
    cache = ResultCache(str(folder))
    again = run_review(tree, cache)
    assert again.stats.files_cached == 6 and cache.misses == 0
    after = _stored(folder)
    assert len(after) == 6 and after < both and (both - after) < before  # the old app/jobs.py only
    assert set(_uses(folder)) == after
    assert outcome(again) == outcome(run_review(tree, None))


def test_a_review_notes_its_reads_once_a_day(tree: Path, tmp_path: Path) -> None:
    folder = tmp_path / "c"
    run_review(tree, ResultCache(str(folder)))
    _age(folder, 1)
    written: list[list[str]] = []
    for _ in range(2):
        cache = ResultCache(str(folder))
        assert cache._db is not None
        written.append([])
        cache._db.set_trace_callback(lambda statement: written[-1].append(statement.split(" VALUES")[0])
                                     if statement.startswith(("INSERT", "UPDATE", "DELETE", "BEGIN")) else None)
        assert run_review(tree, cache).stats.files_cached == 6
    first, second = written
    assert first.count("INSERT OR REPLACE INTO file_uses") == 6
    assert first.count("INSERT OR REPLACE INTO touches") == 1
    assert second == []  # the second review of the day writes nothing
    assert all(used > time.time() - 600 for used in _uses(folder).values())


def test_each_project_notes_its_own_reads(tree: Path, tmp_path: Path) -> None:
    """Two projects in one cache: the first review of the day of one does
    not count for the other."""
    other = tmp_path / "other"
    write(other, "tools/hash.py", WEAK + "\n# another project\n")
    folder = tmp_path / "c"
    for root in (tree, other):
        run_review(root, ResultCache(str(folder)))
    _age(folder, 1)
    for root in (tree, other):  # the day's first review of each
        assert run_review(root, ResultCache(str(folder))).stats.files_cached in (6, 1)
    uses = _uses(folder)
    assert len(uses) == len(_stored(folder)) == 7
    assert all(used > time.time() - 600 for used in uses.values())


def test_results_stored_before_their_uses_were_noted_count_as_used_now(tree: Path, tmp_path: Path) -> None:
    folder = tmp_path / "c"
    run_review(tree, ResultCache(str(folder)))
    with sqlite3.connect(folder / FILE_NAME) as db:
        db.execute("DELETE FROM file_uses")
        db.execute("PRAGMA user_version = 0")
    ResultCache(str(folder)).close()
    uses = _uses(folder)
    assert set(uses) == _stored(folder) and len(uses) == 6
    assert all(used > time.time() - 600 for used in uses.values())
