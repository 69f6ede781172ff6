"""Turn "what to review" (files and directories) into the list of Python files in scope.

Nothing is lost silently: a path that cannot be walked or read becomes a
`FileError`, so the review's verdict says `incomplete`. Directory symlinks are
followed once: a link back to a folder already walked is not walked again (its
files are in scope once), and a link that resolves to itself is reported.
"""

from __future__ import annotations

import errno
import fnmatch
import os
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Callable

from secreview.model import FileError

# Directories that never hold the project's own code.
DEFAULT_EXCLUDED_DIRS = frozenset(
    {".git", ".hg", ".svn", ".tox", ".nox", ".venv", "venv", ".eggs", "__pycache__",
     "node_modules", ".mypy_cache", ".pytest_cache", ".ruff_cache", "build", "dist",
     "site-packages"}
)


@dataclass(frozen=True)
class SourceFile:
    abspath: str  # resolved, for reading
    path: str  # relative to the review root, forward slashes (as reported)


@dataclass
class Discovery:
    files: list[SourceFile] = field(default_factory=list)
    errors: list[FileError] = field(default_factory=list)
    excluded: int = 0


def review_root(targets: list[str]) -> str:
    """The directory findings are reported relative to: the current directory
    when every target lies inside it, else the targets' common parent."""
    cwd = os.path.abspath(os.getcwd())
    absolute = [os.path.abspath(t) for t in targets] or [cwd]
    if all(_is_within(a, cwd) for a in absolute):
        return cwd
    parents = [a if os.path.isdir(a) else os.path.dirname(a) for a in absolute]
    return os.path.commonpath(parents)


def _is_within(path: str, root: str) -> bool:
    try:
        return os.path.commonpath([path, root]) == root
    except ValueError:  # different drives
        return False


def relative_path(abspath: str, root: str) -> str:
    """The path as reported: relative to `root`, forward slashes, and always
    valid Unicode (bytes of a file name that are not UTF-8 are shown as
    `\\xff`, since no report format can carry them)."""
    if os.sep == "/" and abspath.startswith(root) and abspath[len(root):len(root) + 1] == "/" and abspath.isascii():
        return abspath[len(root) + 1:]  # the common case, without the general machinery below
    rel = os.path.relpath(abspath, root) if _is_within(abspath, root) else abspath
    posix = PurePosixPath(Path(rel)).as_posix()
    return posix.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def is_excluded(rel: str, patterns: list[str]) -> bool:
    """Glob patterns match the relative path, or any of its parent folders."""
    parts = rel.split("/")
    candidates = {rel} | {"/".join(parts[: i + 1]) for i in range(len(parts))}
    for pattern in patterns:
        pat = pattern.rstrip("/")
        while pat.startswith("./"):
            pat = pat[2:]
        for cand in candidates:
            if fnmatch.fnmatchcase(cand, pat) or fnmatch.fnmatchcase(cand.rsplit("/", 1)[-1], pat):
                return True
    return False


def discover(targets: list[str], root: str, exclude: list[str] | None = None) -> Discovery:
    """Every `*.py` file under `targets` (files named explicitly are taken
    whatever their suffix), de-duplicated by real path, in a stable order."""
    exclude = exclude or []
    out = Discovery()
    seen_real: set[str] = set()

    def add_file(path: str, real: str | None = None) -> None:
        """`real`: the resolved path, when the caller knows it."""
        rel = relative_path(os.path.abspath(path), root)
        if exclude and is_excluded(rel, exclude):
            out.excluded += 1
            return
        if real is None:
            try:
                real = os.path.realpath(path, strict=True)
            except OSError as exc:
                out.errors.append(FileError(rel, _link_reason(path, exc)))
                return
        if real in seen_real:
            return
        seen_real.add(real)
        out.files.append(SourceFile(abspath=real, path=rel))

    for target in targets:
        if not os.path.lexists(target):
            out.errors.append(FileError(relative_path(os.path.abspath(target), root),
                                        "path does not exist"))
            continue
        if os.path.isdir(target):
            _walk(target, root, exclude, out, add_file)
        else:
            add_file(target)
    out.files.sort(key=lambda f: f.path)
    out.errors.sort(key=lambda e: e.path)
    return out


def _walk(top: str, root: str, exclude: list[str], out: Discovery,
          add_file: Callable[[str, str | None], None]) -> None:
    visited_dirs: set[str] = set()
    # (folder, its real path when known: a folder that is not a link is its
    # real parent's real path plus its name, with no path to resolve)
    stack: list[tuple[str, str | None]] = [(top, None)]
    while stack:
        current, real_dir = stack.pop()
        if real_dir is None:
            try:
                real_dir = os.path.realpath(current, strict=True)
            except OSError as exc:
                out.errors.append(FileError(relative_path(os.path.abspath(current), root),
                                            _link_reason(current, exc)))
                continue
        if real_dir in visited_dirs:
            # A link back to a folder already walked: its files are in scope once.
            continue
        visited_dirs.add(real_dir)
        try:
            entries = sorted(os.scandir(current), key=lambda e: e.name)
        except OSError as exc:
            out.errors.append(FileError(relative_path(os.path.abspath(current), root),
                                        f"folder cannot be read: {exc.strerror or exc}"))
            continue
        subdirs = []
        for entry in entries:
            try:
                is_dir = entry.is_dir(follow_symlinks=True)
            except OSError:
                is_dir = False
            link = entry.is_symlink()
            if link and not os.path.exists(entry.path):
                if entry.name.endswith(".py") or _link_loops(entry.path):
                    out.errors.append(FileError(relative_path(os.path.abspath(entry.path), root),
                                                _link_reason(entry.path, None)))
                continue
            if is_dir:
                if entry.name in DEFAULT_EXCLUDED_DIRS or entry.name.endswith(".egg-info"):
                    continue
                if exclude and is_excluded(relative_path(os.path.abspath(entry.path), root), exclude):
                    out.excluded += 1
                    continue
                subdirs.append((entry.path, None if link else os.path.join(real_dir, entry.name)))
            elif entry.name.endswith(".py"):
                # Not a link: its real path is its real folder's, plus its name.
                add_file(entry.path, None if link else os.path.join(real_dir, entry.name))
        stack.extend(reversed(subdirs))


def _link_loops(path: str) -> bool:
    try:
        os.stat(path)
    except OSError as exc:
        return exc.errno == errno.ELOOP
    return False


def _link_reason(path: str, exc: OSError | None) -> str:
    if exc is None:
        try:
            os.stat(path)
        except OSError as err:
            exc = err
    if exc is not None and exc.errno == errno.ELOOP:
        return "symbolic link loop: the link resolves to itself"
    if os.path.islink(path):
        return f"broken symbolic link (points to {os.readlink(path)!r}, which does not exist)"
    if exc is not None:
        return f"cannot be read: {exc.strerror or exc}"
    return "cannot be read"
