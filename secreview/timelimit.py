"""A time limit on the analysis of one file.

A file can make an analysis stall: text crafted against a regular
expression, a shape that some pass handles in quadratic time. Such a file
must cost the review a bounded time and be reported as not analysed, not
hold up every CI run until the job's own timeout kills it with no report.

The limit is a one-shot `SIGALRM` timer, armed around a file's work and
disarmed after it. Its handler raises `TimeLimitExceeded` between two
bytecodes of whatever runs, and the regular expression engine checks for
signals as it matches, so a catastrophic backtrack is stopped too. A single
call into C that never checks for signals (`ast.parse` of one file, bounded
by the size limit) finishes first.

Signals reach only the main thread: in another thread (a review run from a
library caller's thread), or where something else has set a `SIGALRM`
handler or timer (the caller's own use of the alarm is left alone), no
limit is armed. The review's worker processes, its forked helpers and Ray's
workers run files in their main thread.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from typing import Any, Iterator

# The default limit, in seconds: Nova's largest file takes about 0.5 s.
DEFAULT_SECONDS = 120.0


class TimeLimitExceeded(BaseException):
    """The file's time is up. Not an `Exception`: the engine and the rules
    catch those to go on past a defect, and must not go on past this."""


_armed = False


def _expired(signum: int, frame: Any) -> None:
    global _armed
    if _armed:
        _armed = False  # one raise per limit, even if the alarm comes late
        raise TimeLimitExceeded()


@contextlib.contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """Raise `TimeLimitExceeded` in the block if it runs longer than
    `seconds` (no limit: None or 0, or where none can be armed: see the
    module's docstring). Limits do not nest: an inner one is not armed."""
    global _armed
    if not seconds or _armed or threading.current_thread() is not threading.main_thread() \
            or not hasattr(signal, "setitimer"):
        yield
        return
    previous = signal.getsignal(signal.SIGALRM)
    if previous not in (signal.SIG_DFL, signal.SIG_IGN, _expired) or signal.getitimer(signal.ITIMER_REAL)[0]:
        yield  # the alarm is someone else's
        return
    signal.signal(signal.SIGALRM, _expired)
    _armed = True
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        # An alarm that comes after the block (before the timer is
        # disarmed) does nothing: `_armed` is cleared first.
        _armed = False
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def message(seconds: float) -> str:
    """The reason given for a file whose time ran out."""
    return (f"analysis stopped at the time limit of {seconds:g} s per file (--file-time-limit); not analysed "
            "(a file crafted to stall the analysis, or a defect: please report it)")
