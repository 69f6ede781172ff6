"""The incremental cache: per-file results kept between reviews, in SQLite.

A file's result (findings, taint facts, counts) depends on its content and
on what the review knows about the rest of the project, so the key hashes:
secreview's own code and bundled models and the interpreter running them
(any change to these invalidates everything), the settings that change
per-file work (rules, include-tests, file size limit, extra model files),
the project's module names (the taint extractor resolves imports against
them), and the file's path, module name, import renames and content. An
unchanged file is then neither re-parsed nor re-summarised; an edited file
is redone, and the project-wide taint step combines old and new summaries
as usual.

A file's taint facts are stored beside its result, and read only when the
project-wide taint step must run again. That step's own result is kept
too, keyed by the review and the keys of every file with facts: when no
such file changed (nothing changed, or only files without facts, such as
most test code), the previous solution is reused as it is. The solver's
working state is kept as well (the latest few, one per project and
settings), so after an edit only what the edited files reach is solved
again (`secreview.taint.solve.resume`). A state is stored whole, as a new
generation, then each resumed solve stores only its changes as the next
step of that generation, until the steps would be more than `MAX_STEPS`
or hold more than `STEPS_SHARE` of the state's bytes; a step is stored
only on the generation and step it was made from, so concurrent runs
never mix states.
After an edit, the state's bytes are fetched by a thread while the review
parses the edited file (`fetch_state_ahead`): reading a blob does not hold
the interpreter's lock.

A file is known by its content, but reading and hashing every file of a
large project is most of a review with nothing changed. So the digest of
each file is remembered by its path with what the file system says of it
(`stat_signature`: device, inode, size, modification and change times), as
git's index does, and a file whose signature is unchanged is not read. The
change time (ctime) is set by the kernel on every write and cannot be set
back by a program; and a digest is remembered only for a file last changed
`RACY_SECONDS` or more before it was read, so a second write in the same
tick of the file system's clock cannot go unseen. The bundled taint models
are kept parsed too, by the engine's fingerprint (reading their TOML is most
of loading them); a user's model files are read on every review.

Nothing is kept for ever: a file's result that no review has read or
written for `FORGET_RESULTS_DAYS` is dropped when the next review writes
(each review notes the results it read in `file_uses`, on its first run of
the day: `touch`), and the solver states and taint-step results are kept
to the latest few.

The cache never decides a review's outcome: it survives concurrent runs
(SQLite in WAL mode, with a busy timeout), a killed run (transactions are
atomic; an entry that cannot be read back is discarded and recomputed) and
a full disk or an unwritable folder (the review completes without caching
and `warning` says why).
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sqlite3
import sys
import threading
import time
import uuid
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable

from secreview import __version__

if TYPE_CHECKING:
    from secreview.config import Config
    from secreview.engine import FileResult, TaintSetup
    from secreview.taint import ModuleFacts
    from secreview.taint.models import Models
    from secreview.taint.solve import SolverState, StateDelta, TaintResult
    from secreview.targets.paths import SourceFile

FILE_NAME = "results.sqlite"
# The stored format: bump when FileResult's pickled shape changes in a way
# the package hash would not catch (it catches every source change).
FORMAT = 2
KEEP_SOLUTIONS = 16  # taint-step results kept (each is one state of one project)
KEEP_STATES = 4  # taint-solver states kept (one per project and review settings)
KEEP_MODELS = 4  # parsed bundled models kept (one per secreview version in use)
# A resumed solve's change is stored as a step on the stored state, unless
# that would make more than this many steps, or the steps' bytes more than this share
# of the whole state's: reading the steps back then costs a fraction of
# reading the state, while storing the state whole (11 MB on Nova, 0.2 s
# of a review) comes once per that many bytes of changes, not once per
# eight edits whatever their size (20 edits of Nova's largest module).
MAX_STEPS = 64
STEPS_SHARE = 0.25
RACY_SECONDS = 2  # a file changed this recently is hashed again next time (see the module's docstring)
FORGET_DIGESTS_DAYS = 30  # a remembered digest not written again for this long is dropped (then hashed again)
# A file's result that no review has read or written for this long is
# dropped: the old versions of edited files, and every result of an older
# secreview (whose keys no longer match), would otherwise be kept for ever.
FORGET_RESULTS_DAYS = 14
DAY = 86400
_TABLES = (
    "CREATE TABLE IF NOT EXISTS files (key TEXT PRIMARY KEY, value BLOB NOT NULL, facts BLOB, used REAL NOT NULL)",
    "CREATE TABLE IF NOT EXISTS solutions (key TEXT PRIMARY KEY, value BLOB NOT NULL, used REAL NOT NULL)",
    # A solver state is stored whole (a new generation), then as steps on it.
    # Its head (the latest generation of a key, when last used) is a row
    # apart from its value: changing any column of a row rewrites all of it,
    # and a state is megabytes (updating `used` beside it took 24 ms).
    "CREATE TABLE IF NOT EXISTS solver_heads (key TEXT PRIMARY KEY, generation TEXT NOT NULL, used REAL NOT NULL)",
    "CREATE TABLE IF NOT EXISTS solver_values (generation TEXT PRIMARY KEY, value BLOB NOT NULL)",
    "CREATE TABLE IF NOT EXISTS solver_steps (key TEXT NOT NULL, generation TEXT NOT NULL, step INTEGER NOT NULL, "
    "value BLOB NOT NULL, PRIMARY KEY (key, generation, step))",
    # A file's content digest, by its path (bytes, as the file system has
    # it), with its stat signature when read.
    "CREATE TABLE IF NOT EXISTS digests (path BLOB PRIMARY KEY, stat TEXT NOT NULL, digest BLOB NOT NULL, "
    "written REAL NOT NULL)",
    # The bundled taint models, parsed, by the engine's fingerprint (which
    # covers their files): reading their TOML is most of loading them.
    "CREATE TABLE IF NOT EXISTS models (key TEXT PRIMARY KEY, value BLOB NOT NULL, used REAL NOT NULL)",
    # When each file's result was last read or written. Apart from `files`:
    # changing a column of a row rewrites all of it, facts included.
    "CREATE TABLE IF NOT EXISTS file_uses (key TEXT PRIMARY KEY, used REAL NOT NULL) WITHOUT ROWID",
    # The day a review (its key: the project, the settings, secreview) last
    # noted the results it read in `file_uses`: once a day is enough.
    "CREATE TABLE IF NOT EXISTS touches (scope TEXT PRIMARY KEY, day INTEGER NOT NULL)",
    "DROP TABLE IF EXISTS results",  # format 1
    "DROP TABLE IF EXISTS solver_states",  # a head and its value in one row
)


def open_database(path: str, *, threads: bool = False) -> sqlite3.Connection:
    """A cache database at `path` (its folder made private if new), in WAL
    mode so concurrent runs read and write it without corrupting it; raises
    OSError or sqlite3.Error. `threads`: shared by the caller's threads (the
    caller locks)."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), mode=0o700, exist_ok=True)
    db = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=not threads)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
    except sqlite3.Error:
        close_quietly(db)
        raise
    return db


class _StateFetch:
    """The generation and bytes of the solver state under `key`, read by a
    thread of its own with a connection of its own, in one read
    transaction (so the two agree, whatever concurrent runs write)."""

    def __init__(self, path: str, key: str) -> None:
        self.key = key
        self._row: tuple[str, bytes] | None | object = _UNREAD
        self._thread = threading.Thread(target=self._read, args=(path,), name="secreview-state-fetch", daemon=True)
        self._thread.start()

    def _read(self, path: str) -> None:
        try:
            db = sqlite3.connect(path, timeout=30, isolation_level=None)
            try:
                db.execute("BEGIN")
                found = db.execute("SELECT h.generation, v.rowid FROM solver_heads h JOIN solver_values v "
                                   "ON v.generation = h.generation WHERE h.key = ?", (self.key,)).fetchone()
                if found is None:
                    self._row = None
                else:
                    with db.blobopen("solver_values", "value", found[1], readonly=True) as blob:
                        self._row = (found[0], blob.read())
                db.execute("COMMIT")
            finally:
                db.close()
        except Exception:  # noqa: BLE001 - `get_state` reads it again itself, and meets the error there
            self._row = _UNREAD

    def wait(self) -> None:
        """The thread ended, and gone from the system's list of this
        process's threads, which is what tells the review whether it may
        fork (`engine._start_method`): a joined thread is still listed for
        a moment (right after the join, in three of four tries here)."""
        self._thread.join()
        task = f"/proc/self/task/{self._thread.native_id}"
        deadline = time.monotonic() + 0.1
        while os.path.exists(task) and time.monotonic() < deadline:
            time.sleep(0.0001)

    def row(self) -> "tuple[str, bytes] | None | object":
        """(generation, value), None when there is no state, or `_UNREAD`
        when the fetch failed."""
        self._thread.join()
        return self._row


_UNREAD = object()


def _nothing() -> None:
    pass


def close_quietly(db: sqlite3.Connection | None) -> None:
    if db is not None:
        try:
            db.close()
        except sqlite3.Error:
            pass


def default_folder() -> str:
    explicit = os.environ.get("SECREVIEW_CACHE_DIR")
    if explicit:
        return explicit
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "secreview")


@lru_cache(maxsize=1)
def engine_fingerprint() -> str:
    """A hash of secreview's own source and data files, and of the
    interpreter running them: its parser decides which files parse and the
    shape of their trees (a file of PEP 701 f-strings needs the fallback
    parser on 3.11, not on 3.12; 3.12.5 parses code 3.12.4 rejects), so two
    interpreters sharing a cache folder do not share results."""
    root = os.path.dirname(os.path.realpath(__file__))
    interpreter = f"{sys.implementation.name}\0{sys.hexversion}"
    digest = hashlib.sha256(f"{__version__}\0{FORMAT}\0{interpreter}".encode())
    # `os.walk`, not `Path.rglob`: half the time, on every review with a cache.
    found: list[str] = []
    for folder, subfolders, names in os.walk(root):
        subfolders[:] = [name for name in subfolders if name != "__pycache__"]
        found.extend(os.path.relpath(os.path.join(folder, name), root) for name in names
                     if name.endswith((".py", ".toml")))
    for relative in sorted(found):
        digest.update(_utf8(relative) + b"\0")
        with open(os.path.join(root, relative), "rb") as handle:
            digest.update(handle.read())
    return digest.hexdigest()


def review_fingerprint(config: "Config", taint: "TaintSetup") -> str:
    """What every file's result in one review depends on, besides the file."""
    digest = hashlib.sha256(engine_fingerprint().encode())
    digest.update(repr((sorted(config.disable), config.include_tests, config.max_file_size)).encode())
    for model in config.models:
        digest.update(_utf8(model) + b"\0")
        try:
            digest.update(Path(model).read_bytes())
        except OSError:
            digest.update(b"<unreadable>")
    digest.update(_utf8("\0".join(sorted(taint.project.names))))
    digest.update(_utf8("\0".join(sorted(taint.project.folders))))
    return digest.hexdigest()


def solution_key(review: str, files: "Iterable[tuple[str, str]]", include_tests: bool) -> str:
    """The key of the taint step's result: the review's, and the (path, key)
    of every file whose facts it combines, in order."""
    digest = hashlib.sha256(f"{review}\0solution\0{include_tests}".encode())
    for path, key in files:
        digest.update(_utf8(path) + b"\0" + key.encode() + b"\0")
    return digest.hexdigest()


def state_key(review: str, include_tests: bool) -> str:
    """The key of the taint solver's latest state for one project (the
    review's key names the project's modules) and settings."""
    return hashlib.sha256(f"{review}\0state\0{include_tests}".encode()).hexdigest()


def _utf8(text: str) -> bytes:
    """Paths may hold undecodable bytes (surrogate escapes): hash them as they are."""
    return text.encode("utf-8", "surrogatepass")


def file_key(review: str, source: "SourceFile", digest: bytes, taint: "TaintSetup") -> str:
    """A file's key from its content's `content_digest`."""
    name = taint.modules.get(source.path)
    aliases = sorted((taint.aliases.get(source.path) or {}).items())
    head = _utf8(repr((review, source.path, name, aliases)))
    return hashlib.sha256(head + b"\0" + digest).hexdigest()


def content_digest(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def stat_signature(status: os.stat_result) -> str:
    """What tells that a file may have changed without reading it."""
    return f"{status.st_dev}:{status.st_ino}:{status.st_size}:{status.st_mtime_ns}:{status.st_ctime_ns}"


class ResultCache:
    """Per-file results by key. Every failure is a `warning`, never an error."""

    def __init__(self, folder: str | None = None, *, max_bytes: int | None = None) -> None:
        self.folder = folder or default_folder()
        self.path = os.path.join(self.folder, FILE_NAME)
        self.warning: str | None = None
        self.hits = self.misses = self.discarded = 0
        self.solutions_reused = 0  # the taint step's result taken as stored
        self.solutions_resumed = 0  # the taint step resumed from a stored solver state
        self._db: sqlite3.Connection | None = None
        self._pending: list[tuple[str, bytes, bytes | None, float]] = []
        self._pending_solution: tuple[str, bytes, float] | None = None
        self._pending_state: tuple[str, tuple[str, int] | None, bytes] | None = None
        self._ahead: tuple[str, Any] | None = None  # (key, state) read ahead of `get_state`
        self._fetched: _StateFetch | None = None  # a state's bytes being read ahead of `get_state`
        self._facts_kept: "dict[str, ModuleFacts]" = {}  # key -> facts `previous_facts` read
        self._facts_pickled: dict[str, tuple[Any, bytes]] = {}  # key -> (facts, pickled): `pickle_facts_ahead`
        self._pending_digests: list[tuple[bytes, str, bytes, float]] = []
        self._pending_models: tuple[str, bytes, float] | None = None
        self._pending_touch: tuple[str, int, list[str]] | None = None
        # Off for files that will not be there next time (a change review's
        # old side, in a temporary folder).
        self.remember_digests = True
        try:
            engine_fingerprint()  # secreview's own files must be readable to key anything
            self._db = open_database(self.path)
            if max_bytes is not None:
                page = self._db.execute("PRAGMA page_size").fetchone()[0]
                self._db.execute(f"PRAGMA max_page_count={max(2, max_bytes // page)}")
            for statement in _TABLES:
                self._db.execute(statement)
            if self._db.execute("PRAGMA user_version").fetchone()[0] < 1:
                # Results stored before their uses were noted: used now.
                with self._db:
                    self._db.execute("BEGIN IMMEDIATE")
                    self._db.execute("INSERT OR IGNORE INTO file_uses SELECT key, ? FROM files", (time.time(),))
                    self._db.execute("PRAGMA user_version = 1")
        except (OSError, sqlite3.Error) as exc:
            self._fail("cannot be opened", exc)

    @property
    def active(self) -> bool:
        return self._db is not None

    def present(self, keys: Iterable[str]) -> set[str]:
        """The keys among `keys` that have a stored result, found without
        reading the results (`get_many` reads them, and may yet miss one
        that another run deleted meanwhile, or that is damaged); the others
        are counted as misses."""
        wanted = list(dict.fromkeys(keys))
        if self._db is None or not wanted:
            self.misses += len(wanted)
            return set()
        try:
            found = {key for key, in self._select_in("SELECT key FROM files WHERE key IN ({})", wanted)}
        except sqlite3.Error as exc:
            self._fail("cannot be read", exc)
            found = set()
        self.misses += len(wanted) - len(found)
        return found

    def get_many(self, keys: Iterable[str]) -> dict[str, "FileResult"]:
        """The stored results among `keys`, without their taint facts
        (`facts_many`); an entry that cannot be read back (a damaged file,
        an older format) is deleted and left out."""
        wanted = list(dict.fromkeys(keys))
        found = self._load("SELECT key, value FROM files WHERE key IN ({})", wanted)
        self.hits += len(found)
        self.misses += len(wanted) - len(found)
        return found

    def touch(self, scope: str, keys: Iterable[str]) -> None:
        """Note that the review `scope` read the results under `keys`, so
        they are kept (`flush` drops results unused for
        `FORGET_RESULTS_DAYS`); written on the first review of the day of
        each scope only."""
        if self._db is None:
            return
        day = int(time.time() // DAY)
        try:
            noted = self._db.execute("SELECT day FROM touches WHERE scope = ?", (scope,)).fetchone()
        except sqlite3.Error as exc:
            self._fail("cannot be read", exc)
            return
        if noted is None or noted[0] != day:
            self._pending_touch = (scope, day, list(keys))

    def known_digests(self, paths: list[str]) -> dict[str, tuple[str, bytes]]:
        """The remembered (stat signature, content digest) of each of
        `paths` that has one; a damaged entry is left out."""
        if self._db is None or not paths:
            return {}
        by_name = {os.fsencode(path): path for path in paths}
        found: dict[str, tuple[str, bytes]] = {}
        try:
            for name, signature, digest in self._select_in("SELECT path, stat, digest FROM digests WHERE path IN ({})",
                                                           list(by_name)):
                if isinstance(signature, str) and isinstance(digest, bytes) and len(digest) == 32:
                    found[by_name[name]] = (signature, digest)
        except sqlite3.Error as exc:
            self._fail("cannot be read", exc)
            return {}
        return found

    def remember_digest(self, path: str, status: os.stat_result, digest: bytes, read_at_ns: int) -> None:
        """Remember the digest of the file at `path`, read (after `status`
        was taken) from `read_at_ns` on; not if it changed too recently."""
        if self._db is None or not self.remember_digests or status.st_ctime_ns > read_at_ns - RACY_SECONDS * 10**9:
            return
        self._pending_digests.append((os.fsencode(path), stat_signature(status), digest, time.time()))

    def bundled_models(self) -> "Models | None":
        """The bundled taint models as this version of secreview parsed them
        last; None when not kept or damaged (the review parses them, and
        stages them to replace it)."""
        from secreview.taint.models import Models

        key = engine_fingerprint()
        found = self._load("SELECT key, value FROM models WHERE key IN ({})", [key], table="models").get(key)
        return found if isinstance(found, Models) else None

    def stage_bundled_models(self, models: "Models") -> None:
        value = self._pickled(models)
        if value is not None:
            self._pending_models = (engine_fingerprint(), value, time.time())

    def facts_many(self, keys: Iterable[str]) -> dict[str, "ModuleFacts"]:
        """The stored taint facts among `keys` (damaged ones deleted, with
        their results, and left out)."""
        wanted = list(dict.fromkeys(keys))
        kept = {key: self._facts_kept[key] for key in wanted if key in self._facts_kept}
        if len(kept) == len(wanted):
            return kept
        found = self._load("SELECT key, facts FROM files WHERE facts IS NOT NULL AND key IN ({})",
                           [key for key in wanted if key not in kept])
        found.update(kept)
        return found

    def previous_facts(self, key: str, path: str) -> "ModuleFacts | None":
        """The taint facts the file at `path` had when the solver state under
        `key` was stored, if that state was read ahead (`read_state_ahead`).
        They are kept for `facts_many`: resuming the state asks for them
        again."""
        ahead = self._ahead
        if ahead is None or ahead[0] != key or ahead[1] is None:
            return None
        old = ahead[1][0].get(path)
        if old is None:
            return None
        found = self.facts_many([old]).get(old)
        if found is not None:
            self._facts_kept[old] = found
        return found

    def get_solution(self, key: str) -> "TaintResult | None":
        found = self._load("SELECT key, value FROM solutions WHERE key IN ({})", [key], table="solutions").get(key)
        self.solutions_reused += found is not None
        return found

    def fetch_state_ahead(self, key: str) -> Callable[[], None]:
        """Start reading the bytes of the solver state under `key` in a
        thread of its own, for the next `get_state` of that key; returns
        the function that waits for the thread, which the caller must call
        before this process forks (a forked child would hold a copy of a
        half-done read). A blob is read without holding the interpreter's
        lock, so the review goes on meanwhile (it parses an edited file):
        on Nova, that takes the 11 MB read, 14 ms to 25 ms, off its wait."""
        if self._db is None:
            return _nothing
        fetch = _StateFetch(self.path, key)
        self._fetched = fetch
        return fetch.wait

    def read_state_ahead(self, key: str) -> None:
        """Read the solver state under `key` now, for the next `get_state`
        of that key (which then does not read it again)."""
        self._ahead = (key, self.get_state(key))

    def get_state(self, key: str) -> "tuple[dict[str, str], SolverState, tuple[str, int, int, int]] | None":
        """The solver state stored under `key`: the (path -> file key) of the
        facts it was made from, the state, and where it stands (its
        generation, how many stored steps it includes, their bytes and the
        bytes of the state stored whole). None if absent
        or damaged (a damaged step is deleted, and the review solves in
        full)."""
        from secreview.taint.solve import SolverState, StateDelta, apply_delta

        ahead, self._ahead = self._ahead, None
        if ahead is not None and ahead[0] == key:
            return ahead[1]
        fetched, self._fetched = self._fetched, None
        if self._db is None:
            return None
        try:
            row = fetched.row() if fetched is not None else _UNREAD  # waited for in any case
            if fetched is not None and fetched.key != key:
                row = _UNREAD
            if row is _UNREAD:  # not fetched ahead, or the fetch failed (then the error is met again here)
                row = self._db.execute("SELECT h.generation, v.value FROM solver_heads h JOIN solver_values v "
                                       "ON v.generation = h.generation WHERE h.key = ?", (key,)).fetchone()
            if row is None:
                return None
            generation, value = row
            whole, stepped = len(value), 0
            try:
                files, state = pickle.loads(value)
                if not isinstance(state, SolverState):
                    raise ValueError("not a solver state")
            except Exception:  # noqa: BLE001 - any damage means: solve in full
                self.discarded += 1
                self._db.execute("DELETE FROM solver_heads WHERE key = ?", (key,))
                self._db.execute("DELETE FROM solver_values WHERE generation = ?", (generation,))
                return None
            step = 0
            # Only the steps of this generation: another run may have stored
            # a new one since the row above was read.
            for number, value in self._db.execute(
                    "SELECT step, value FROM solver_steps WHERE key = ? AND generation = ? ORDER BY step",
                    (key, generation)).fetchall():
                try:
                    files, delta = pickle.loads(value)
                    if number != step + 1 or not isinstance(delta, StateDelta):
                        raise ValueError(f"step {number} after {step}")
                    apply_delta(state, delta)
                    stepped += len(value)
                except Exception:  # noqa: BLE001 - any damage means: solve in full
                    self.discarded += 1
                    self._db.execute("DELETE FROM solver_steps WHERE key = ? AND generation = ? AND step >= ?",
                                     (key, generation, number))
                    return None
                step = number
        except sqlite3.Error as exc:
            self._fail("cannot be read", exc)
            return None
        return files, state, (generation, step, stepped, whole)

    def _load(self, query: str, keys: list[str], table: str = "files") -> dict:
        if self._db is None or not keys:
            return {}
        found: dict = {}
        bad: list[str] = []
        try:
            for key, value in self._select_in(query, keys):
                try:
                    found[key] = pickle.loads(value)
                except Exception:  # noqa: BLE001 - any damage means: recompute
                    bad.append(key)
            if bad:
                self._db.executemany(f"DELETE FROM {table} WHERE key = ?", [(k,) for k in bad])
        except sqlite3.Error as exc:
            self._fail("cannot be read", exc)
            return {}
        self.discarded += len(bad)
        return found

    def _select_in(self, query: str, keys: list[Any]) -> list[tuple]:
        """The rows of `query` (its `IN ({})` filled with placeholders) for
        `keys`, asked in batches under SQLite's limit on parameters; raises
        sqlite3.Error."""
        assert self._db is not None
        rows: list[tuple] = []
        for start in range(0, len(keys), 500):
            batch = keys[start:start + 500]
            rows.extend(self._db.execute(query.format(",".join("?" * len(batch))), batch).fetchall())
        return rows

    def stage(self, key: str, result: "FileResult") -> None:
        """Remember `result` as it is now (the review changes findings later:
        severity overrides, repeat numbers); `flush` writes what was staged.
        Its taint facts are stored apart, to be read only when needed."""
        if self._db is None:
            return
        facts, result.taint = result.taint, None
        ahead = self._facts_pickled.pop(key, None)
        try:
            value = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
            if facts is None:
                stored = None
            elif ahead is not None and ahead[0] is facts:  # pickled while the review waited
                stored = ahead[1]
            else:
                stored = pickle.dumps(facts, protocol=pickle.HIGHEST_PROTOCOL)
        except (pickle.PicklingError, TypeError, AttributeError, RecursionError) as exc:
            self._fail("cannot store a result", exc)
            return
        finally:
            result.taint = facts
        self._pending.append((key, value, stored, time.time()))

    def pickle_facts_ahead(self, key: str, result: "FileResult") -> None:
        """Pickle `result`'s taint facts now, for its `stage` under `key`
        (which uses them if the result still holds the same facts): the
        review does it while it would otherwise wait."""
        if self._db is None or result.taint is None:
            return
        try:
            self._facts_pickled[key] = (result.taint, pickle.dumps(result.taint, protocol=pickle.HIGHEST_PROTOCOL))
        except (pickle.PicklingError, TypeError, AttributeError, RecursionError):
            pass  # `stage` meets it again, and says so

    def stage_solution(self, key: str, result: "TaintResult") -> None:
        value = self._pickled(result)
        if value is not None:
            self._pending_solution = (key, value, time.time())

    def stage_state(self, key: str, files: dict[str, str], state: "SolverState",
                    delta: "tuple[tuple[str, int, int, int], StateDelta] | None" = None) -> None:
        """Remember the solver's state after a solve of the facts `files`
        names. With `delta` (where the state it resumed from stood, as
        `get_state` gives it, and what it changed), only the change is stored
        as the next step, unless the steps would then be too many or too
        large (`MAX_STEPS`, `STEPS_SHARE`): then the state is stored whole,
        as a new generation. If another run stored a step or a new
        generation meanwhile, a step is not stored (the stored state stays
        valid for the files it names)."""
        if delta is not None:
            (generation, step, stepped, whole), change = delta
            value = self._pickled((files, change))
            if value is None:
                return
            if step + 1 <= MAX_STEPS and stepped + len(value) <= STEPS_SHARE * whole:
                self._pending_state = (key, (generation, step), value)
                return
        value = self._pickled((files, state))
        if value is not None:
            self._pending_state = (key, None, value)

    def _pickled(self, value: Any) -> bytes | None:
        """`value` pickled to be stored; None without a database, or when it
        cannot be pickled (the cache is then given up, with a warning)."""
        if self._db is None:
            return None
        try:
            return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        except (pickle.PicklingError, TypeError, AttributeError, RecursionError) as exc:
            self._fail("cannot store a result", exc)
            return None

    def flush(self) -> None:
        """Write what was staged in one transaction: all of it or, on
        failure (a full disk), none."""
        rows, self._pending = self._pending, []
        self._facts_pickled.clear()
        solution, self._pending_solution = self._pending_solution, None
        state, self._pending_state = self._pending_state, None
        digests, self._pending_digests = self._pending_digests, []
        models, self._pending_models = self._pending_models, None
        touch, self._pending_touch = self._pending_touch, None
        if self._db is None or not (rows or solution or state or digests or models or touch):
            return
        now = time.time()
        try:
            with self._db:
                self._db.execute("BEGIN IMMEDIATE")  # the write lock now: the state's steps are read first
                self._db.executemany("INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?)", rows)
                self._db.executemany("INSERT OR REPLACE INTO file_uses VALUES (?, ?)", [(row[0], now) for row in rows])
                if touch is not None:
                    scope, day, keys = touch
                    self._db.executemany("INSERT OR REPLACE INTO file_uses VALUES (?, ?)", [(k, now) for k in keys])
                    self._db.execute("INSERT OR REPLACE INTO touches VALUES (?, ?)", (scope, day))
                self._forget_unused(now)
                if solution is not None:
                    self._db.execute("INSERT OR REPLACE INTO solutions VALUES (?, ?, ?)", solution)
                    # One per state of a project's code: keep the latest few.
                    self._keep_latest("solutions", KEEP_SOLUTIONS)
                if state is not None:
                    self._write_state(*state)
                if models is not None:
                    self._db.execute("INSERT OR REPLACE INTO models VALUES (?, ?, ?)", models)
                    self._keep_latest("models", KEEP_MODELS)
                if digests:
                    self._db.executemany("INSERT OR REPLACE INTO digests VALUES (?, ?, ?, ?)", digests)
                    self._db.execute("DELETE FROM digests WHERE written < ?",
                                     (time.time() - FORGET_DIGESTS_DAYS * DAY,))
        except sqlite3.Error as exc:
            self._fail("cannot be written", exc)

    def _forget_unused(self, now: float) -> None:
        """Drop the results no review has used for `FORGET_RESULTS_DAYS`."""
        assert self._db is not None
        cutoff = now - FORGET_RESULTS_DAYS * DAY
        self._db.execute("DELETE FROM files WHERE key IN (SELECT key FROM file_uses WHERE used < ?)", (cutoff,))
        self._db.execute("DELETE FROM file_uses WHERE used < ?", (cutoff,))
        self._db.execute("DELETE FROM touches WHERE day < ?", (int(cutoff // DAY),))

    def _write_state(self, key: str, base: tuple[str, int] | None, value: bytes) -> None:
        assert self._db is not None
        if base is None:
            generation = uuid.uuid4().hex
            self._db.execute("INSERT INTO solver_values VALUES (?, ?)", (generation, value))
            self._db.execute("INSERT OR REPLACE INTO solver_heads VALUES (?, ?, ?)", (key, generation, time.time()))
            self._keep_latest("solver_heads", KEEP_STATES)
            self._db.execute("DELETE FROM solver_values WHERE generation NOT IN (SELECT generation FROM solver_heads)")
            self._db.execute("DELETE FROM solver_steps WHERE NOT EXISTS (SELECT 1 FROM solver_heads h WHERE "
                             "h.key = solver_steps.key AND h.generation = solver_steps.generation)")
            return
        generation, step = base
        current = self._db.execute("SELECT generation FROM solver_heads WHERE key = ?", (key,)).fetchone()
        stored = self._db.execute("SELECT COUNT(*) FROM solver_steps WHERE key = ? AND generation = ?",
                                  (key, generation)).fetchone()[0]
        if current == (generation,) and stored == step:
            self._db.execute("INSERT INTO solver_steps VALUES (?, ?, ?, ?)", (key, generation, step + 1, value))
            self._db.execute("UPDATE solver_heads SET used = ? WHERE key = ?", (time.time(), key))

    def _keep_latest(self, table: str, count: int) -> None:
        """Only the `count` rows of `table` used last (by its `used` column)."""
        assert self._db is not None
        self._db.execute(f"DELETE FROM {table} WHERE key NOT IN (SELECT key FROM {table} ORDER BY used DESC LIMIT ?)",
                         (count,))

    def close(self) -> None:
        close_quietly(self._db)
        self._db = None

    def _fail(self, what: str, exc: Exception) -> None:
        self.warning = f"the result cache {self.path} {what} ({exc}); the review went on without it"
        self.close()
