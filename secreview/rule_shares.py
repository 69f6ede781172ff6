"""One file's rules shared between the review and its rules helper.

After a one-file edit the review forks a helper that runs the edited file's
rules, while the review extracts the file's taint facts and resumes the
project-wide taint step (`secreview.engine.RulesHelper`). On Nova's largest
module the helper's half was the longer: the review waited 80 ms to 160 ms
for its findings. So once its own work is done the review takes rules too.
The helper takes them from the front of the list, the review from the back,
one at a time, until they meet: each rule runs in exactly one process, and
the findings are put together in the rules' order, as one process gives
them.

The rules that need none of the index the others share (`Rule.stands_alone`)
are at the back, so the review, which has not built that index, starts
with them.

The two counts (rules taken from the front, from the back) are in a small
unlinked file, read and written under a POSIX record lock (`fcntl.lockf`).
A forked process does not inherit its parent's record locks, so the two
processes exclude each other, and a process's death releases its lock (the
helper may be killed at any time). Whatever goes wrong with the file, a rule
is then taken by neither process: the review sees that the shares do not
cover the list, and runs all the rules itself. Where there are no such
locks (Windows, which has no `fork` either), there are no shares.
"""

from __future__ import annotations

import os
import struct
import tempfile

from secreview.model import Finding
from secreview.python.context import FileContext
from secreview.rules import Rule

try:
    import fcntl
except ImportError:  # not POSIX: no record locks, and no helper to share with
    fcntl = None  # type: ignore[assignment]

# A rule's findings on one file, and its failure (None when it did not raise).
Outcome = tuple[list[Finding], str | None]

_COUNTS = struct.Struct("!ii")  # taken from the front, taken from the back


def rule_outcome(rule: Rule, ctx: FileContext) -> Outcome:
    """What `rule` finds in `ctx`; if it raises, what it found until then
    and the failure (a RecursionError is raised: the file is too deep)."""
    found: list[Finding] = []
    try:
        found.extend(rule.check(ctx))
    except RecursionError:
        raise
    except Exception as exc:  # a defect in one rule must not end the review
        return found, f"{rule.id} ({type(exc).__name__}: {exc})"
    return found, None


def queue(rules: list[Rule]) -> list[int]:
    """The indexes of `rules` in the order the processes share them: those
    that stand alone last (the review takes from the back)."""
    return sorted(range(len(rules)), key=lambda index: rules[index].stands_alone)


class RuleShares:
    """The counts of one file's rules taken by each process. Made before
    the helper is forked; both processes then use it."""

    def __init__(self) -> None:
        """Raises OSError (no temporary file to be had): see `made`."""
        self._file = tempfile.TemporaryFile()  # unlinked: nothing is left behind
        try:
            os.pwrite(self._file.fileno(), _COUNTS.pack(0, 0), 0)
        except OSError:
            self._file.close()
            raise

    @classmethod
    def made(cls) -> "RuleShares | None":
        """New shares; None when no temporary file can be made (a full or
        read-only temporary folder), or the system has no record locks:
        the helper then runs all the rules."""
        if fcntl is None or not hasattr(os, "pread"):
            return None
        try:
            return cls()
        except OSError:
            return None

    def _take(self, count: int, from_back: bool) -> int | None:
        """The next position of a list of `count` rules for this process;
        None when all are taken, or the counts cannot be read or written."""
        try:
            fd = self._file.fileno()  # ValueError once closed
            fcntl.lockf(fd, fcntl.LOCK_EX)
            try:
                front, back = _COUNTS.unpack(os.pread(fd, _COUNTS.size, 0))
                if front < 0 or back < 0 or front + back >= count:
                    return None
                if from_back:
                    back += 1
                    position = count - back
                else:
                    position, front = front, front + 1
                os.pwrite(fd, _COUNTS.pack(front, back), 0)
                return position
            finally:
                fcntl.lockf(fd, fcntl.LOCK_UN)
        except (OSError, ValueError, struct.error):
            return None

    def run(self, ctx: FileContext, rules: list[Rule], from_back: bool) -> dict[int, Outcome]:
        """This process's share of `rules` (the helper's from the front,
        the review's from the back): the outcome of each rule it took, by
        the rule's index in `rules`."""
        order = queue(rules)
        done: dict[int, Outcome] = {}
        while (position := self._take(len(rules), from_back)) is not None:
            done[order[position]] = rule_outcome(rules[order[position]], ctx)
        return done

    def close(self) -> None:
        self._file.close()


def in_order(outcomes: dict[int, Outcome]) -> list[Outcome]:
    return [outcomes[index] for index in sorted(outcomes)]


def merged(count: int, helper: dict[int, Outcome], review: dict[int, Outcome]) -> list[Outcome] | None:
    """The outcome of each of `count` rules, in their order, from the two
    shares; None when the shares do not cover them exactly once (a count
    that could not be read or written: the caller runs the rules itself)."""
    if helper.keys() & review.keys() or len(helper) + len(review) != count or \
            not all(0 <= index < count for index in (*helper, *review)):
        return None
    return in_order({**helper, **review})
