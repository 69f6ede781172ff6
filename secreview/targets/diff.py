"""What a change touches: files, added lines, and the old side of each file.

A `ChangeSet` is built from a unified diff (`parse_diff`, with the maintained
`unidiff` parser) or directly by a code host's client (Gerrit's diff format is
not a unified diff). Paths are relative to the review root, with forward
slashes; a path that could escape the root (absolute, `..`, NUL bytes) is a
`DiffError`, never a file that gets read or written.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from unidiff import PatchedFile, PatchSet
from unidiff.constants import LINE_TYPE_NO_NEWLINE
from unidiff.errors import UnidiffParseError

# A diff larger than this is refused rather than parsed into memory.
MAX_DIFF_BYTES = 64 * 1024 * 1024
# A hunk claiming more lines than this is hostile or broken.
MAX_HUNK_LINES = 1_000_000


class DiffError(Exception):
    """The diff cannot be used: malformed, hostile, or not matching the tree."""


@dataclass(frozen=True)
class FileChange:
    """One file of a change.

    `added` holds the new-side line numbers that the change adds or rewrites;
    `commentable` the new-side lines the diff shows (added and context lines),
    which is where code hosts accept line comments; `removed_at` the new-side
    line numbers just after each run of removed lines (where a deletion sits in
    the new file)."""

    old_path: str | None  # None: the file is added
    new_path: str | None  # None: the file is deleted
    added: frozenset[int] = frozenset()
    commentable: frozenset[int] = frozenset()
    removed_at: frozenset[int] = frozenset()
    binary: bool = False
    # The old-side lines the diff shows (context and removed lines).
    old_shown: frozenset[int] = frozenset()

    @property
    def path(self) -> str:
        """The path that names the file in a report: the new one, else the old."""
        return self.new_path or self.old_path or ""

    @property
    def status(self) -> str:
        if self.old_path is None:
            return "added"
        if self.new_path is None:
            return "deleted"
        if self.old_path != self.new_path:
            return "renamed"
        return "modified"

    @property
    def is_python(self) -> bool:
        return not self.binary and any(p is not None and p.endswith(".py") for p in (self.old_path, self.new_path))


@dataclass
class ChangeSet:
    """The files of one change, and a description of where it came from."""

    files: list[FileChange] = field(default_factory=list)
    description: str = ""
    # The change's commit message(s) or pull request text, when known (the
    # LLM reviewer shows it to the model, as data).
    message: str = ""

    def by_new_path(self) -> dict[str, FileChange]:
        return {f.new_path: f for f in self.files if f.new_path is not None}

    def renames(self) -> dict[str, str]:
        """old path -> new path, for files renamed by the change."""
        return {f.old_path: f.new_path for f in self.files
                if f.old_path is not None and f.new_path is not None and f.old_path != f.new_path}

    def python_files(self) -> list[FileChange]:
        return [f for f in self.files if f.is_python]


def safe_relative_path(path: str, what: str = "diff") -> str:
    """`path` if it is a plain relative path inside the review root, else DiffError."""
    if "\x00" in path:
        raise DiffError(f"{what}: a path contains a NUL byte")
    if not path or path.startswith(("/", "\\")) or (len(path) > 1 and path[1] == ":"):
        raise DiffError(f"{what}: path {path!r} is absolute; only paths inside the project are accepted")
    parts = PurePosixPath(path.replace("\\", "/")).parts
    if ".." in parts:
        raise DiffError(f"{what}: path {path!r} leaves the project (it contains '..')")
    return "/".join(p for p in parts if p != ".")


def _strip_prefix(path: str | None) -> str | None:
    if path is None or path == "/dev/null":
        return None
    for prefix in ("a/", "b/"):
        if path.startswith(prefix):
            return path[len(prefix):]
    return path


def parse_diff(text: str | bytes, description: str = "diff") -> ChangeSet:
    """Every file of a unified (git-style or plain) diff.

    Renames, copies, deletions, binary files and mode-only changes are kept
    as `FileChange`s; a diff that is malformed or hostile raises DiffError."""
    return ChangeSet([change for change, _ in parse_patch(text, description)], description)


def parse_patch(text: str | bytes, description: str = "diff") -> list[tuple[FileChange, PatchedFile]]:
    """`parse_diff`, keeping each file's unidiff `PatchedFile` beside its
    FileChange (its hunks rebuild the old side: `old_text`)."""
    if isinstance(text, bytes):
        if len(text) > MAX_DIFF_BYTES:
            raise DiffError(f"{description}: {len(text)} bytes is larger than the {MAX_DIFF_BYTES} accepted")
        if b"\x00" in text:
            raise DiffError(f"{description}: contains NUL bytes (not a text diff)")
        text = text.decode("utf-8", "surrogateescape")
    if len(text) > MAX_DIFF_BYTES:
        raise DiffError(f"{description}: {len(text)} characters is larger than the {MAX_DIFF_BYTES} accepted")
    if "\x00" in text:
        raise DiffError(f"{description}: contains NUL bytes (not a text diff)")
    for line in text.splitlines():
        if line.startswith("@@"):
            _check_hunk_header(line, description)
    try:
        patch = PatchSet(text)
    except UnidiffParseError as exc:
        raise DiffError(f"{description}: malformed unified diff ({exc})") from None
    if not patch and text.strip():
        raise DiffError(f"{description}: no file changes found (is this a unified diff?)")
    pairs: list[tuple[FileChange, PatchedFile]] = []
    seen: set[str] = set()
    for patched in patch:
        change = _file_change(patched, description)
        if change.path in seen:
            raise DiffError(f"{description}: {change.path} appears twice")
        seen.add(change.path)
        pairs.append((change, patched))
    return pairs


_HUNK_HEADER = re.compile(r"@@ -\d+(?:,(\d+))? \+\d+(?:,(\d+))? @@")


def _check_hunk_header(line: str, description: str) -> None:
    match = _HUNK_HEADER.match(line)
    if match is None:
        raise DiffError(f"{description}: malformed hunk header {line[:80]!r}")
    for count in match.groups():
        if count is not None and int(count) > MAX_HUNK_LINES:
            raise DiffError(f"{description}: a hunk claims {int(count)} lines (more than {MAX_HUNK_LINES})")


def _file_change(patched: PatchedFile, description: str) -> FileChange:
    old = _strip_prefix(patched.source_file)
    new = _strip_prefix(patched.target_file)
    if patched.is_added_file:
        old = None
    if patched.is_removed_file:
        new = None
    if old is None and new is None:
        raise DiffError(f"{description}: a file entry names no path")
    old = safe_relative_path(old, description) if old is not None else None
    new = safe_relative_path(new, description) if new is not None else None
    added: set[int] = set()
    commentable: set[int] = set()
    removed_at: set[int] = set()
    old_shown: set[int] = set()
    for hunk in patched:
        previous_removed = False
        next_target = hunk.target_start
        for line in hunk:
            if line.line_type == LINE_TYPE_NO_NEWLINE:
                continue
            if line.source_line_no is not None:
                old_shown.add(line.source_line_no)
            if line.is_added:
                added.add(line.target_line_no)
                commentable.add(line.target_line_no)
                next_target = line.target_line_no + 1
            elif line.is_context:
                commentable.add(line.target_line_no)
                next_target = line.target_line_no + 1
            elif line.is_removed:
                if not previous_removed:
                    removed_at.add(max(1, next_target))
            previous_removed = line.is_removed
    return FileChange(old, new, frozenset(added), frozenset(commentable), frozenset(removed_at),
                      binary=bool(patched.is_binary_file), old_shown=frozenset(old_shown))


def old_text(new_text: str, patched: PatchedFile, path: str) -> str:
    """The old side of one file, rebuilt from its new side and its hunks.

    The hunks' context and added lines must match `new_text`, else the
    patch does not describe this file and DiffError says where."""
    new_lines = new_text.splitlines(keepends=True)
    out: list[str] = []
    cursor = 0  # index into new_lines
    for hunk in patched:
        start = max(hunk.target_start - 1, 0) if hunk.target_length else hunk.target_start
        if start < cursor or start > len(new_lines):
            raise DiffError(f"{path}: hunk at new line {hunk.target_start} is outside the file")
        out.extend(new_lines[cursor:start])
        cursor = start
        for line in hunk:
            if line.line_type == LINE_TYPE_NO_NEWLINE:
                continue
            if line.is_removed:
                out.append(line.value)
            else:
                if cursor >= len(new_lines) or new_lines[cursor].rstrip("\r\n") != line.value.rstrip("\r\n"):
                    raise DiffError(f"{path}:{cursor + 1}: the patch does not match the file "
                                    f"(expected {line.value.rstrip()[:60]!r})")
                if line.is_context:
                    out.append(new_lines[cursor])
                cursor += 1
    out.extend(new_lines[cursor:])
    return "".join(out)


def change_from_patch(text: str | bytes, root: str, description: str = "patch") -> tuple[ChangeSet, dict[str, bytes]]:
    """A patch already applied to the files under `root`: its change set and
    the old contents of its Python files, rebuilt from the new ones.

    Paths in the patch are relative to `root` (`a/` and `b/` prefixes are
    dropped). A patch that does not match the files is a DiffError."""
    pairs = parse_patch(text, description)
    change = ChangeSet([item for item, _ in pairs], description)
    by_path = {item.path: patched for item, patched in pairs}
    old: dict[str, bytes] = {}
    root = os.path.abspath(root)
    for item in change.python_files():
        if item.old_path is None:
            continue
        new_text = ""
        if item.new_path is not None:
            location = os.path.normpath(os.path.join(root, item.new_path))
            try:
                with open(location, encoding="utf-8", errors="surrogateescape", newline="") as handle:
                    new_text = handle.read()
            except OSError as exc:
                raise DiffError(f"{description}: {item.new_path} cannot be read ({exc.strerror or exc}); "
                                "the patch must already be applied to the files under review") from None
        rebuilt = old_text(new_text, by_path[item.path], item.path)
        old[item.old_path] = rebuilt.encode("utf-8", "surrogateescape")
    return change, old
