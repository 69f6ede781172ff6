"""Review a change: analyse the project as a whole on both sides of the change
and report only the findings the change introduces.

The new side is a folder on disk (the working tree, or the files a code host
returned). The old side is built beside it in a temporary folder: the same
Python files, with the changed ones put back as they were. Both sides go
through the same `review`, so a flow that the change makes possible without
touching its lines (a removed sanitiser or check) is reported, and old code
that only moved is not. An old finding is reported again when the change
rewrote a line of it (its sink, source or a step now reads differently).
Never prints, never exits.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any

from secreview.config import Config
from secreview.engine import ProgressCallback, review
from secreview.model import FileError, Finding, Report, squash_code
from secreview.targets.diff import ChangeSet, DiffError, FileChange
from secreview.targets.paths import discover, relative_path
from secreview.triage.introduced import introduced


@dataclass
class ChangeScope:
    """What a change review covered, for the report."""

    description: str
    files_changed: int = 0
    python_files: list[str] = field(default_factory=list)
    # New-side findings the old side already had (not reported).
    preexisting: list[Finding] = field(default_factory=list)
    # Old-side files that could not be analysed: their findings count as new.
    base_errors: list[FileError] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # changed files not reviewed, and why
    # False when only the change's own files were at hand (a code host's API):
    # flows through the rest of the project were not followed.
    whole_project: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {
            "description": self.description,
            "files_changed": self.files_changed,
            "python_files": list(self.python_files),
            "preexisting_findings": len(self.preexisting),
            "base_errors": [e.to_dict() for e in self.base_errors],
            "skipped": list(self.skipped),
            "whole_project": self.whole_project,
        }


def review_change(targets: list[str], change: ChangeSet, old_contents: dict[str, bytes], config: Config | None = None,
                  *, root: str, jobs: int | None = None, progress: ProgressCallback | None = None,
                  whole_project: bool = True, cache: Any = None, executor: Any = None) -> Report:
    """The new side's review, keeping only the findings `change` introduces.

    `targets` and `root` name the new side on disk; `old_contents` holds the
    old side of each changed Python file that existed before (by old path).
    `report.change` says what was compared; findings the old side already had
    are counted there, not listed. `whole_project` false says that the new
    side holds only the change's files (a code host's API), so the report
    does not claim the rest of the project was analysed."""
    config = config or Config()
    started = time.perf_counter()
    root = os.path.abspath(root)
    python = change.python_files()
    scope = ChangeScope(change.description, files_changed=len(change.files),
                        python_files=sorted(f.path for f in python), whole_project=whole_project)
    scope.skipped = [f"{f.path}: binary file" for f in change.files if f.binary]
    if not python:
        # Nothing a Python review could see changed: say so instead of analysing.
        report = Report(root=root)
        report.change = scope
        return report
    with contextlib.ExitStack() as stack:
        if cache is None:
            # No cache to keep: one for this review only, so the old side
            # still reuses the new side's results (without it, a change
            # review costs two whole reviews).
            from secreview.cache import ResultCache

            cache = stack.enter_context(contextlib.closing(
                ResultCache(stack.enter_context(tempfile.TemporaryDirectory(prefix="secreview-cache-")))))
        new = review(targets, config, root=root, jobs=jobs, progress=progress, cache=cache, executor=executor)
        base_root = stack.enter_context(tempfile.TemporaryDirectory(prefix="secreview-base-"))
        _build_old_side(targets, root, base_root, change, old_contents, config)
        old_targets = [os.path.join(base_root, relative_path(os.path.abspath(t), root)) for t in targets]
        old_targets = [t for t in old_targets if os.path.exists(t)] or [base_root]
        # The old side's unchanged files have the new side's paths and
        # contents: the cache (`secreview.cache.ResultCache`) answers for them.
        # Their digests are not remembered: the folder goes at the end.
        remembering, cache.remember_digests = cache.remember_digests, False
        try:
            old = review(old_targets, config, root=base_root, jobs=jobs, cache=cache, executor=executor)
        finally:
            cache.remember_digests = remembering
    scope.base_errors = [e for e in old.errors if not e.reason.startswith("no Python files")]
    unreadable_old = {e.path for e in scope.base_errors}
    comparable = [f for f in old.findings + old.suppressed if f.path not in unreadable_old]
    fresh, kept = introduced(new.findings, comparable, change.renames())
    fresh, kept = _retouched(fresh, kept, change, root, old_contents)
    fresh_suppressed, _ = introduced(new.suppressed, comparable, change.renames())
    _explain_enabled_flows(fresh, change)
    new.findings = sorted(fresh, key=Finding.sort_key)
    new.suppressed = fresh_suppressed
    new.stats.suppressed = len(fresh_suppressed)
    scope.preexisting = kept
    new.change = scope
    new.stats.seconds = time.perf_counter() - started  # both sides
    return new


def review_files(new_files: dict[str, bytes], change: ChangeSet, old_contents: dict[str, bytes],
                 config: Config | None = None, *, jobs: int | None = None, what: str = "change") -> Report:
    """Review a change known only by its files, as a code host's API gives
    them: `new_files` (relative path -> bytes, the new side of the changed
    files) are written to a temporary folder and reviewed there against
    `old_contents`. Flows through the rest of the project are not followed,
    and the report says so. `what` names the source in error messages."""
    with tempfile.TemporaryDirectory(prefix="secreview-change-") as folder:
        root = os.path.realpath(folder)
        write_files(root, new_files, what)
        report = review_change([root], change, old_contents, config, root=root, jobs=jobs, whole_project=False)
    report.root = "."
    return report


def write_files(root: str, files: dict[str, bytes], what: str = "change") -> None:
    """Write `files` (relative path -> bytes) under `root`; a path that would
    leave it, or cannot be written, is a DiffError naming `what`."""
    base = os.path.abspath(root)
    for path, data in files.items():
        target = _inside(base, path, what)
        try:
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "wb") as handle:
                handle.write(data)
        except OSError as exc:
            raise DiffError(f"{what}: {path} cannot be written to a temporary folder "
                            f"({exc.strerror or exc})") from None


def _inside(base: str, rel: str, what: str | None = None) -> str:
    target = os.path.normpath(os.path.join(base, rel))
    if os.path.commonpath([target, base]) != base:
        raise DiffError(f"{what + ': ' if what else ''}path {rel!r} leaves the project")
    return target


def _build_old_side(targets: list[str], root: str, base_root: str, change: ChangeSet,
                    old_contents: dict[str, bytes], config: Config) -> None:
    """Copy the new side's Python files under `base_root`, then undo the change."""
    base_root = os.path.abspath(base_root)
    found = discover(targets, root, list(config.exclude))
    for source in found.files:
        if os.path.isabs(source.path):
            continue  # outside the review root: not part of the project's layout
        destination = _inside(base_root, source.path)
        os.makedirs(os.path.dirname(destination), exist_ok=True)
        try:
            shutil.copyfile(source.abspath, destination)
        except OSError:
            continue  # the new side's review reports an unreadable file
    for item in change.python_files():
        if item.new_path is not None:
            target = _inside(base_root, item.new_path)
            if os.path.isfile(target):
                os.remove(target)
    write_files(base_root, {item.old_path: old_contents[item.old_path] for item in change.python_files()
                            if item.old_path is not None and item.old_path in old_contents}, "old side")


def _retouched(fresh: list[Finding], kept: list[Finding], change: ChangeSet, root: str,
               old_contents: dict[str, bytes]) -> tuple[list[Finding], list[Finding]]:
    """Old findings whose sink, source or a step now sits on a line with new
    text are reported too: the change rewrote part of the flow, and its
    reviewer should look again. A line the change only moved, re-indented or
    re-wrapped is not new text: with white space removed, it still occurs in
    the old side of the changed files."""
    by_path = change.by_new_path()
    old_blob = "\x00".join(squash_code(data.decode("utf-8", "replace")) for data in old_contents.values())
    new_lines: dict[str, list[str]] = {}

    def rewritten(path: str, line: int) -> bool:
        item = by_path.get(path)
        if item is None or line not in item.added:
            return False
        if path not in new_lines:
            try:
                with open(_inside(root, path), "rb") as handle:
                    new_lines[path] = handle.read().decode("utf-8", "replace").splitlines()
            except (OSError, DiffError):
                new_lines[path] = []
        lines = new_lines[path]
        text = squash_code(lines[line - 1]) if 0 < line <= len(lines) else ""
        return len(text) > 3 and text not in old_blob

    again = [f for f in kept if any(rewritten(p, ln) for p, ln in _spots(f))]
    if not again:
        return fresh, kept
    chosen = {id(f) for f in again}
    return ([*fresh, *again], [f for f in kept if id(f) not in chosen])


def _spots(finding: Finding) -> list[tuple[str, int]]:
    spots = [(finding.path, line) for line in range(finding.line, finding.end_line + 1)]
    return spots + [(step.path, step.line) for step in finding.trace]


def _touches(finding: Finding, by_path: dict[str, FileChange]) -> bool:
    return any(line in by_path[path].added for path, line in _spots(finding) if path in by_path)


def _explain_enabled_flows(findings: list[Finding], change: ChangeSet) -> None:
    """A new finding on unchanged lines: say which removal made it possible."""
    by_path = change.by_new_path()
    for finding in findings:
        if _touches(finding, by_path):
            continue
        paths = [finding.path] + [step.path for step in finding.trace]
        places = []
        for path in dict.fromkeys(paths):
            item = by_path.get(path)
            if item is not None and item.removed_at:
                places.extend(f"{path}:{line}" for line in sorted(item.removed_at))
        where = f" (lines removed before {', '.join(places[:3])})" if places else ""
        finding.explanation = (f"{finding.explanation} The finding's own lines and evidence did not change: "
                               f"the change made it possible by removing or altering code on the way{where}."
                               ).strip()
