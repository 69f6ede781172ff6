"""Run secreview's work as Ray tasks, on this machine or on a Ray cluster.

`RayExecutor` is an `engine.Executor`: the per-file work of one review
(parsing, rules, taint facts) runs in batches of files as Ray tasks, and the
results come back in the order of the files, so the report is the one
`LocalExecutor` gives. `ray_map` and `ray_as_completed` run any picklable
module-level function over a list of items as Ray tasks (the fleet review
runs one repository per task with them).

Ray is an optional dependency (the `ray` extra): this module imports it only
when work is submitted, so the remote functions are made from plain
module-level functions at that moment rather than decorated at import time.
"""

from __future__ import annotations

import os
import socket
import threading
import urllib.parse
from dataclasses import KW_ONLY, dataclass
from typing import Any, Callable, Iterator, Sequence, TypeVar

from secreview.config import Config
from secreview.engine import (FileResult, ReviewError, TaintSetup, by_size, in_order, largest_first, review_file,
                              select_rules, without_cycle_collector)
from secreview.targets.paths import SourceFile

T = TypeVar("T")
R = TypeVar("R")

INSTALL_HINT = "install secreview's `ray` extra: pip install 'secreview[ray]'"
QUIET_RETRIES = "RAY_enable_output_error_log_if_still_retry"
TASKS_PER_CPU = 8  # tasks of about the same size, for the default split
CONNECT_SECONDS = 10  # to wait for a head node's port to answer


class ExecutorError(ReviewError):
    """The work cannot run where it was asked to: Ray is not installed, the
    cluster cannot be reached, or a task failed for good (after its retries)."""


def connect(address: str | None = None) -> Any:
    """The `ray` module, connected: attach to (or start) a Ray instance when
    this process is not connected yet; an existing connection is kept as it is.

    `address`: None starts a local instance, or attaches to one already
    running on this machine (or the one in RAY_ADDRESS); "auto" attaches to
    the cluster this machine is part of; "ray://HOST:10001" connects through
    Ray Client; "HOST:6379" attaches to a cluster's head node."""
    try:
        import ray
    except ImportError:
        raise ExecutorError(f"Ray is not installed: {INSTALL_HINT}") from None
    finish_release()
    if ray.is_initialized():
        return ray
    # Ray tries a head node that does not answer for minutes on end.
    refused = _unreachable(address)
    if refused is not None:
        raise ExecutorError(f"cannot reach the Ray cluster at {address}: {refused}")
    # Ray prints every retry of a failed task on this process's standard
    # output, where it would mix with a report; the outcome is reported instead.
    os.environ.setdefault(QUIET_RETRIES, "0")
    # A dashboard is of no use to a review; Ray Client accepts no such option.
    options: dict[str, Any] = {"include_dashboard": False} if address is None else {}
    try:
        ray.init(address=address, ignore_reinit_error=True, log_to_driver=False, **options)
    except (ConnectionError, RuntimeError, ValueError, TimeoutError, ray.exceptions.RayError) as exc:
        # RayError: an AuthenticationError above all (a token asked for and not found)
        where = "start a local Ray instance" if address is None else f"reach the Ray cluster at {address}"
        hint = "" if address is None or os.environ.get("RAY_AUTH_MODE") else (
            " (a cluster with token authentication, which `ray start` turns on since Ray 2.59 when a token "
            "exists, needs RAY_AUTH_MODE=token here, and its token in RAY_AUTH_TOKEN or ~/.ray/auth_token)")
        raise ExecutorError(f"cannot {where}: {_first_line(exc)}{hint}") from None
    _connection.made_here = True
    return ray


class _Connection:
    """Whether this module made the process's Ray connection, and its
    disconnection under way (`release`)."""

    made_here: bool = False
    closing: threading.Thread | None = None


_connection = _Connection()


def release() -> None:
    """Disconnect from Ray in the background, if `connect` made the
    connection (one made by the program embedding secreview is its own).
    `ray.shutdown()` mostly waits on the cluster (0.3 s to 0.7 s here),
    time a review spends on its project-wide step meanwhile; and a process
    whose Ray threads are gone can end without the interpreter's teardown.
    `connect` and `finish_release` wait for it to end."""
    if not _connection.made_here or _connection.closing is not None:
        return
    import ray

    _connection.made_here = False
    _connection.closing = threading.Thread(target=_shutdown, args=(ray,), name="secreview-ray-release")
    _connection.closing.start()


def finish_release() -> None:
    """Wait for a disconnection under way (`release`) to end."""
    closing, _connection.closing = _connection.closing, None
    if closing is not None:
        closing.join()


def _shutdown(ray: Any) -> None:
    try:
        ray.shutdown()
    except Exception:  # noqa: BLE001 - the work is done; Ray's own exit handler tries again
        pass


@dataclass
class RayExecutor:
    """Per-file review work as Ray tasks; a task lost with its worker or
    node is run again up to `retries` times. By default the files are split
    by size into `TASKS_PER_CPU` tasks per CPU of the cluster (each task
    costs Ray's scheduling and a round trip through its object store: on
    Nova, 16 such tasks on 2 CPUs finished sooner than 189 tasks of 8 files);
    `batch` gives that many files to each task instead."""

    address: str | None = None
    _: KW_ONLY
    batch: int | None = None
    retries: int = 2
    # Disconnect (`release`) once a review's files are done, for a caller
    # that asks nothing more of Ray (no second review, no model calls).
    release: bool = False

    def __post_init__(self) -> None:
        if self.batch is not None and self.batch < 1:
            raise ValueError(f"batch must be at least 1, not {self.batch}")
        if self.retries < 0:
            raise ValueError(f"retries must not be negative, not {self.retries}")

    def review_files(self, files: list[SourceFile], config: Config, taint: TaintSetup) -> Iterator[FileResult]:
        if not files:
            return
        ray = connect(self.address)
        shared = ray.put((config, taint))  # once, not once per task
        task = _remote(ray, _review_batch, self.retries, retry_exceptions=False)
        if self.batch is None:
            cpus = int(ray.cluster_resources().get("CPU", 1)) or 1
            batches = by_size(files, cpus * TASKS_PER_CPU)
        else:
            batches = largest_first(files, self.batch)
        pending = {task.remote(shared, [files[i] for i in batch]): batch for batch in batches}

        def finished() -> Iterator[tuple[list[int], list[FileResult]]]:
            while pending:
                done, _ = ray.wait(list(pending), num_returns=1)
                for ref in done:
                    with without_cycle_collector():  # as the local executor reads its workers' results
                        results = _get(ray, ref)
                    yield pending.pop(ref), results

        yield from in_order(finished())
        if self.release:
            release()


def _review_batch(shared: tuple[Config, TaintSetup], files: list[SourceFile]) -> list[FileResult]:
    """One Ray task: review a batch of files (`shared` is resolved by Ray
    from the object store)."""
    config, taint = shared
    rules = select_rules(config)
    return [review_file(source, rules, config, taint) for source in files]


def ray_map(fn: Callable[[T], R], items: Sequence[T], *, retries: int = 2, retry_exceptions: bool = True,
            address: str | None = None) -> list[R]:
    """`[fn(item) for item in items]`, each call a Ray task, results in the
    order of `items`. A task that raises is run again up to `retries` times
    (also when it raised, unless `retry_exceptions` is false); if it still
    fails, its exception is raised here. `fn` must be a module-level function
    of a module the Ray workers can import."""
    ray = connect(address)
    task = _remote(ray, fn, retries, retry_exceptions)
    return [_get(ray, ref) for ref in [task.remote(item) for item in items]]


def ray_as_completed(fn: Callable[[T], R], items: Sequence[T], *, retries: int = 2, retry_exceptions: bool = True,
                     address: str | None = None) -> Iterator[tuple[int, R | Exception]]:
    """`(index, fn(items[index]))` for each item as its Ray task finishes,
    retried as in `ray_map`; a task that still fails gives
    `(index, exception)` (the task's own exception, or Ray's reason when the
    task was lost) and the others go on."""
    ray = connect(address)
    task = _remote(ray, fn, retries, retry_exceptions)
    pending = {task.remote(item): index for index, item in enumerate(items)}
    while pending:
        done, _ = ray.wait(list(pending), num_returns=1)
        for ref in done:
            index = pending.pop(ref)
            try:
                result: R | Exception = ray.get(ref)
            except ray.exceptions.RayTaskError as exc:
                result = exc.cause if isinstance(exc.cause, Exception) else exc
            except ray.exceptions.RayError as exc:
                result = exc
            yield index, result


def _remote(ray: Any, fn: Callable[..., Any], retries: int, retry_exceptions: bool) -> Any:
    return ray.remote(max_retries=retries, retry_exceptions=retry_exceptions)(fn)


def _get(ray: Any, ref: Any) -> Any:
    """The task's result; a task that failed for good raises its own
    exception when it raised one, else `ExecutorError`."""
    try:
        return ray.get(ref)
    except ray.exceptions.RayTaskError as exc:
        if isinstance(exc.cause, Exception):
            raise exc.cause from None
        raise ExecutorError(f"a Ray task failed: {_first_line(exc)}") from None
    except ray.exceptions.RayError as exc:
        raise ExecutorError(f"a Ray task failed: {_first_line(exc)}") from None


def _unreachable(address: str | None) -> str | None:
    """Why nothing can answer at `address` ("HOST:PORT", "ray://HOST:PORT"):
    a connection to its port is refused or not answered within
    `CONNECT_SECONDS`. None when one is made, or the address names no port
    ("auto", a local instance: Ray finds those)."""
    if not address or address in ("auto", "local"):
        return None
    try:
        parts = urllib.parse.urlsplit("//" + (address.partition("://")[2] or address))  # the scheme left out
        host, port = parts.hostname, parts.port
    except ValueError:
        return None
    if not host or port is None:
        return None
    try:
        with socket.create_connection((host, port), timeout=CONNECT_SECONDS):
            return None
    except OSError as exc:
        reason = exc.strerror or str(exc) or "no answer"
        where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"  # an IPv6 address in brackets
        return f"nothing answers at {where} ({reason})"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
