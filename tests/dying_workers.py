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
