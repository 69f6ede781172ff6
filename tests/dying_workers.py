"""Worker processes that die, for the executor tests (spawned workers import
this module by name: it sits beside the tests, on their path)."""

from __future__ import annotations

import os
import signal
import struct
from typing import Any

from secreview.engine import _worker_main

DIE_ONCE = "SECREVIEW_TEST_DIE_ONCE"  # a marker file: the first worker to see `die.py` creates it, then dies


def always_dies(pipe: Any, config: Any, taint: Any) -> None:
    """A worker that cannot even start (a broken environment)."""
    os._exit(3)


def dies_mid_send_once(pipe: Any, config: Any, taint: Any) -> None:
    """A normal worker, except that the first one given `die.py` starts
    sending a result and dies half-way through the message."""
    marker = os.environ[DIE_ONCE]

    class Watch:
        def recv(self) -> Any:
            batch = pipe.recv()
            if batch and any(source.path == "die.py" for source in batch) and not os.path.exists(marker):
                open(marker, "w").close()
                # The header promises a megabyte; a few bytes follow, then the end.
                os.write(pipe.fileno(), struct.pack("!i", 1 << 20) + b"\x80\x05partial")
                os._exit(9)
            return batch

        def send(self, value: Any) -> None:
            pipe.send(value)

    _worker_main(Watch(), config, taint)


def killed_on_oom_py(pipe: Any, config: Any, taint: Any) -> None:
    """A normal worker, except that `oom.py` always gets it killed (as the
    out-of-memory killer would)."""

    class Watch:
        def recv(self) -> Any:
            batch = pipe.recv()
            if batch and any(source.path == "oom.py" for source in batch):
                os.kill(os.getpid(), signal.SIGKILL)
            return batch

        def send(self, value: Any) -> None:
            pipe.send(value)

    _worker_main(Watch(), config, taint)


PID_FOLDER = "SECREVIEW_TEST_PID_FOLDER"  # each worker leaves a file named after its process id there


def records_its_pid(pipe: Any, config: Any, taint: Any) -> None:
    """A normal worker that says which process it is."""
    open(os.path.join(os.environ[PID_FOLDER], str(os.getpid())), "w").close()
    _worker_main(pipe, config, taint)


def review_then_get_killed(start_method: str, folder: str) -> None:
    """Run as a script: a pool of two workers on a few files; once the first
    results are in, this process is killed (the review's process is gone
    without a word to its workers)."""
    from secreview.config import Config
    from secreview.engine import TaintSetup, _pool_batches
    from secreview.targets.paths import SourceFile
    from secreview.taint import ProjectModules, load_models

    files = []
    for n in range(40):
        path = os.path.join(folder, f"m{n}.py")
        with open(path, "w") as handle:
            handle.write("import os\nos.system(input())\n")
        files.append(SourceFile(abspath=path, path=f"m{n}.py"))
    batches = _pool_batches(files, Config(), TaintSetup(load_models(()), ProjectModules(()), {}), 2,
                            target=records_its_pid, start_method=start_method)
    next(batches)
    os.kill(os.getpid(), signal.SIGKILL)


if __name__ == "__main__":
    import sys

    review_then_get_killed(sys.argv[1], sys.argv[2])
