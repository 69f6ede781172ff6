"""The code a review is about: whole files, or the two sides of a diff.

A `CodeUnit` is one file as the reviewer saw it. For a diff, `shown` holds
the lines the diff shows on that side (a reviewer of a change sees only
those); for a whole file it is every line.
"""

from __future__ import annotations

import ast
import functools
import os
from dataclasses import dataclass, field

from secreview.model import squash_code
from secreview.python.source import source_lines
from secreview.targets.diff import DiffError, change_from_patch
from secreview.targets.paths import relative_path
from secreview.triage.testcode import is_test_path


@dataclass
class CodeUnit:
    path: str  # as reported: relative to the audit root, forward slashes
    text: str
    side: str = "new"  # "new" or "old" (the old side of a diff)
    # Lines the reviewer was shown; None: the whole file.
    shown: frozenset[int] | None = None
    lines: list[str] = field(init=False)
    # Where each test function or test class starts and ends (first, last line, name).
    _test_spans: list[tuple[int, int, str]] | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        # Numbered as Python numbers them: a form feed or \u2028 in the text
        # does not start a line (str.splitlines would shift every later one).
        self.lines = source_lines(self.text)

    @property
    def is_test(self) -> bool:
        return is_test_path(self.path)

    @functools.cached_property
    def squashed_lines(self) -> list[str]:
        """Each line without white space, for quotes compared that way."""
        return [squash_code(line) for line in self.lines]

    def line(self, number: int) -> str:
        return self.lines[number - 1] if 0 < number <= len(self.lines) else ""

    def test_scope(self, number: int) -> str | None:
        """The test class or test function holding line `number`, if any."""
        if self._test_spans is None:
            self._test_spans = _test_spans(self.text)
        inside = [span for span in self._test_spans if span[0] <= number <= span[1]]
        return inside[-1][2] if inside else None


def _test_spans(text: str) -> list[tuple[int, int, str]]:
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return []
    spans = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            bases = [ast.unparse(b) for b in node.bases]
            if node.name.startswith("Test") or node.name.endswith(("Test", "Tests", "TestCase")) or any(
                    "Test" in b for b in bases):
                spans.append((node.lineno, node.end_lineno or node.lineno, f"test class {node.name}"))
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test"):
            spans.append((node.lineno, node.end_lineno or node.lineno, f"test function {node.name}"))
    spans.sort(key=lambda s: (s[0], -s[1]))
    return spans


class UnitError(Exception):
    """A code file or diff given to the audit cannot be read."""


def load_units(code_paths: list[str], root: str, patch: str | None = None) -> list[CodeUnit]:
    """The files under `code_paths` (files, or folders walked for `*.py`);
    with a unified diff `patch` (already applied to those files), the new
    and old side of each changed Python file, showing only the diff's lines."""
    files: dict[str, str] = {}
    root = os.path.abspath(root)
    for target in code_paths:
        if os.path.isdir(target):
            for folder, dirs, names in os.walk(target):
                dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "__pycache__")
                for name in sorted(names):
                    if name.endswith(".py"):
                        _read(os.path.join(folder, name), root, files)
        elif os.path.isfile(target):
            _read(target, root, files)
        else:
            raise UnitError(f"{target}: no such file or folder")
    if patch is None:
        return [CodeUnit(path, text) for path, text in files.items()]
    try:
        change, old = change_from_patch(patch, root, description="--diff")
    except DiffError as exc:
        raise UnitError(str(exc)) from None
    units: list[CodeUnit] = []
    for item in change.python_files():
        if item.new_path is not None:
            text = files.get(item.new_path)
            if text is None:
                raise UnitError(f"--diff names {item.new_path}, which is not among the --code files")
            units.append(CodeUnit(item.new_path, text, "new", item.commentable))
        if item.old_path is not None and item.old_path in old:
            units.append(CodeUnit(item.old_path, old[item.old_path].decode("utf-8", "replace"), "old",
                                  item.old_shown))
    return units


def _read(path: str, root: str, files: dict[str, str]) -> None:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            files[relative_path(os.path.abspath(path), root)] = handle.read()
    except OSError as exc:
        raise UnitError(f"{path}: cannot be read ({exc.strerror or exc})") from None
