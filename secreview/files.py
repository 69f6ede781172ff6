"""Writing the files secreview produces (reports, fleet summaries)."""

from __future__ import annotations

import contextlib
import os
import stat


def write_whole(path: str | os.PathLike[str], text: str) -> None:
    """Write the file at `path` whole or not at all (a stopped run leaves no
    half report), through a symbolic link to its target. What is not a
    regular file (`-o /dev/null`, a named pipe) is written as it is: never
    replaced by a file."""
    path = os.fspath(path)
    try:
        mode: int | None = os.stat(path).st_mode  # of the link's target
    except FileNotFoundError:
        mode = None
    if mode is not None and not stat.S_ISREG(mode):
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
        return
    target = os.path.realpath(path) if os.path.islink(path) else path
    tmp = f"{target}.tmp-{os.getpid()}"
    try:
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise
