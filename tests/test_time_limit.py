"""The time limit on one file's analysis (`--file-time-limit`): a file that
stalls the analysis is reported as not analysed, at the limit, and the
review goes on; wherever the file's work runs (here, a worker process, the
rules helper, the halves of a test file, a Ray worker); never cached.

A rule that stalls is made here by patching one rule's check to spin (in
Python, or in a regular expression that backtracks catastrophically) on
files that hold a marker. It spins for at most `SPIN_SECONDS`: a limit that
fails to stop it costs a test that long, then fails it, instead of hanging
the run."""

from __future__ import annotations

import json
import re
import signal
import threading
import time
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

import secreview.engine as engine_module
from conftest import APP, SHELL, TOOLS, WEAK, write
from secreview.cache import ResultCache
from secreview.config import Config, ConfigError, load_config
from secreview.engine import review
from secreview.report import render
from secreview.timelimit import TimeLimitExceeded, message, time_limit

STALL = "# stall here\n"
SPIN_SECONDS = 30
LIMIT = 1.0
STALLED = message(LIMIT)


def _spin(text: str) -> None:
    deadline = time.monotonic() + SPIN_SECONDS
    while time.monotonic() < deadline:
        pass


def _backtrack(text: str) -> None:
    # (a+)+$ against forty a's and a b: about 2**40 steps in the C matcher.
    re.match(r"(a+)+$", "a" * 40 + "b")


@pytest.fixture(params=[_spin, _backtrack], ids=["python loop", "regex backtracking"])
def stalling(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """`py.weak-hash` stalls on files holding `STALL` (in forked processes
    too); fork is forced, whatever threads other tests left."""
    how = request.param
    rule = type(next(r for r in engine_module.select_rules(Config()) if r.id == "py.weak-hash"))
    check, may_report = rule.check, rule.may_report

    def stalls(self: Any, ctx: Any) -> Any:
        if STALL in ctx.module.text:
            how(ctx.module.text)
        return check(self, ctx)

    monkeypatch.setattr(rule, "check", stalls)
    monkeypatch.setattr(rule, "may_report", lambda self, text: STALL in text or may_report(self, text))
    monkeypatch.setattr(engine_module, "_start_method", lambda: "fork")
    return how.__name__


def _project(folder: Path, stalled: str = "app.py") -> Path:
    write(folder, "app.py", APP)
    write(folder, "tools.py", TOOLS)
    write(folder, "util.py", WEAK)
    write(folder, "shell.py", SHELL)
    path = folder / stalled
    path.write_text(STALL + path.read_text())
    return folder


def _review(folder: Path, jobs: int, limit: float = LIMIT, cache: ResultCache | None = None) -> dict[str, Any]:
    started = time.monotonic()
    report = review([str(folder)], Config(file_time_limit=limit), root=str(folder), jobs=jobs, cache=cache)
    assert time.monotonic() - started < SPIN_SECONDS / 2, "the limit did not stop the file"
    data = json.loads(render(report, "json"))
    del data["stats"]["seconds"]
    return data


def _found(data: dict[str, Any]) -> list[tuple[str, int, str, str]]:
    return [(f["path"], f["line"], f["rule"], f["confidence"]) for f in data["findings"]]


def test_a_file_that_stalls_the_rules_is_not_analysed_and_the_review_goes_on(tmp_path: Path, stalling: str) -> None:
    data = _review(_project(tmp_path / "p"), jobs=1)
    assert [(e["path"], e["reason"]) for e in data["errors"]] == [("app.py", STALLED)]
    assert data["verdict"] == "incomplete"
    # app.py's facts are gone with it: the shell call is reported for its parameter alone.
    assert _found(data) == [("shell.py", 3, "py.shell-injection", "medium"),
                            ("tools.py", 5, "py.shell-injection", "medium"),
                            ("util.py", 3, "py.weak-hash", "high")]
    assert (data["stats"]["files_analyzed"], data["stats"]["files_skipped"]) == (3, 1)
    assert signal.getsignal(signal.SIGALRM) is signal.SIG_DFL
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_the_rules_helper_stops_at_the_limit_as_one_process_does(tmp_path: Path, stalling: str) -> None:
    """Two jobs, a few files: the rules of app.py run in the forked helper,
    which stops at the limit; the review drops the facts it extracted from
    app.py (and takes the taint step again), as one process reports it."""
    folder = _project(tmp_path / "p")
    assert _review(folder, jobs=2) == _review(folder, jobs=1)


def test_a_worker_process_stops_at_the_limit(tmp_path: Path, stalling: str) -> None:
    folder = _project(tmp_path / "p")
    for n in range(engine_module.PARALLEL_MIN_FILES):
        write(folder, f"pkg/m{n}.py", f"VALUE_{n} = {n}\n")
    pool = _review(folder, jobs=2)
    assert [(e["path"], e["reason"]) for e in pool["errors"]] == [("app.py", STALLED)]
    assert pool == _review(folder, jobs=1)


def test_a_stalled_file_is_not_cached(tmp_path: Path, stalling: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The next review may have the time: it analyses the file again."""
    folder = _project(tmp_path / "p", stalled="util.py")
    cache_dir = str(tmp_path / "cache")
    first = _review(folder, jobs=1, cache=ResultCache(cache_dir))
    assert [(e["path"], e["reason"]) for e in first["errors"]] == [("util.py", STALLED)]
    monkeypatch.undo()  # the rule stalls no more
    cache = ResultCache(cache_dir)
    later = _review(folder, jobs=1, cache=cache)
    assert later["errors"] == [] and ("util.py", 4, "py.weak-hash", "high") in _found(later)
    assert later["stats"]["files_cached"] == 3  # all but util.py


def test_a_large_test_file_in_halves_stops_at_the_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A test file large enough to be parsed in two halves (after an edit,
    two jobs): the half that stalls stops at the limit, in either process."""
    rule = type(next(r for r in engine_module.select_rules(Config()) if r.id == "py.reviewer-injection"))
    check = rule.check

    def stalls(self: Any, ctx: Any) -> Any:
        if STALL in ctx.module.text:
            _spin(ctx.module.text)
        return check(self, ctx)

    monkeypatch.setattr(rule, "check", stalls)
    monkeypatch.setattr(engine_module, "_start_method", lambda: "fork")
    body = "".join(f"def test_{n}():\n    assert {n} == {n}\n\n\n" for n in range(12000))
    assert len(body) > engine_module.HALVES_MIN_BYTES
    for half, text in (("first", STALL + body), ("second", body + STALL)):
        folder = tmp_path / half
        write(folder, "tests/test_big.py", text)
        halves: list[Any] = []
        in_halves = engine_module._in_halves
        monkeypatch.setattr(engine_module, "_in_halves", lambda *args: halves.append(in_halves(*args)) or halves[-1])
        data = _review(folder, jobs=2)
        assert [(e["path"], e["reason"]) for e in data["errors"]] == [("tests/test_big.py", STALLED)], half
        assert len(halves) == 1 and halves[0] is not None and halves[0].timed_out  # the halves stopped it
        monkeypatch.setattr(engine_module, "_in_halves", in_halves)
        assert _review(folder, jobs=1) == data


def test_without_a_limit_nothing_is_armed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    armed: list[float] = []
    monkeypatch.setattr(signal, "setitimer", lambda which, seconds, *rest: armed.append(seconds) or (0.0, 0.0))
    folder = tmp_path / "p"
    write(folder, "util.py", WEAK)
    assert _found(_review(folder, jobs=1, limit=0)) == [("util.py", 3, "py.weak-hash", "high")]
    assert armed == []
    _review(folder, jobs=1)
    assert armed == [LIMIT, 0]


def _busy(seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        pass


def test_the_limit_stops_the_block_and_puts_the_alarm_back() -> None:
    started = time.monotonic()
    with pytest.raises(TimeLimitExceeded):
        with time_limit(0.2):
            _busy(SPIN_SECONDS)
    assert time.monotonic() - started < SPIN_SECONDS / 2
    assert signal.getsignal(signal.SIGALRM) is signal.SIG_DFL and signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    with time_limit(5):  # done in time: nothing raised, nothing left armed
        _busy(0.05)
    assert signal.getsignal(signal.SIGALRM) is signal.SIG_DFL and signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_an_alarm_someone_else_set_is_left_alone() -> None:
    """A caller's own SIGALRM handler, or its timer: no limit is armed over
    them, and they are as they were after the block."""
    rang: list[int] = []

    def theirs(signum: int, frame: Any) -> None:
        rang.append(signum)

    previous = signal.signal(signal.SIGALRM, theirs)
    try:
        with time_limit(0.1):
            _busy(0.3)
        assert signal.getsignal(signal.SIGALRM) is theirs and rang == []
        signal.setitimer(signal.ITIMER_REAL, 0.5)
        signal.signal(signal.SIGALRM, signal.SIG_IGN)
        with time_limit(0.1):
            _busy(0.2)
        assert signal.getsignal(signal.SIGALRM) is signal.SIG_IGN and signal.getitimer(signal.ITIMER_REAL)[0] > 0
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_limits_do_not_nest_and_other_threads_have_none() -> None:
    with pytest.raises(TimeLimitExceeded):
        with time_limit(0.3):
            with time_limit(SPIN_SECONDS):  # not armed: the outer limit holds
                _busy(SPIN_SECONDS)
    outcome: list[str] = []

    def in_a_thread() -> None:
        try:
            with time_limit(0.1):
                _busy(0.3)
            outcome.append("ran to its end")
        except TimeLimitExceeded:
            outcome.append("stopped")

    thread = threading.Thread(target=in_a_thread)
    thread.start()
    thread.join()
    assert outcome == ["ran to its end"]


@pytest.mark.parametrize(("value", "error"), [
    ('"a minute"', "`file-time-limit` must be a number of seconds, 0 or more (0: no limit)"),
    ("-1", "`file-time-limit` must be a number of seconds, 0 or more (0: no limit)"),
    ("true", "`file-time-limit` must be a number of seconds, 0 or more (0: no limit)"),
    ("inf", "`file-time-limit` must be a number of seconds, 0 or more (0: no limit)"),
])
def test_a_time_limit_that_is_not_a_number_of_seconds_is_a_configuration_error(
        tmp_path: Path, value: str, error: str) -> None:
    path = write(tmp_path, "pyproject.toml", f"[tool.secreview]\nfile-time-limit = {value}\n")
    with pytest.raises(ConfigError) as raised:
        load_config(str(path))
    assert str(raised.value) == f"{path}: {error}"


def test_the_limit_from_the_configuration_and_the_flag(project: Path, cli: Callable[..., Any],
                                                       stalling: str) -> None:
    write(project, "pyproject.toml", "[tool.secreview]\nfile-time-limit = 0.5\n")
    assert load_config(str(project / "pyproject.toml")).file_time_limit == 0.5
    _project(project, stalled="util.py")
    run = cli("review", "--format", "json", "--no-cache")
    assert run.exit_code == 1
    assert [(e["path"], e["reason"]) for e in run.json()["errors"]] == [("util.py", message(0.5))]
    run = cli("review", "--format", "json", "--no-cache", "--file-time-limit", "1")
    assert [(e["path"], e["reason"]) for e in run.json()["errors"]] == [("util.py", message(1))]
    assert cli("review", "--file-time-limit", "-1").exit_code == 2
