"""A large module split in two texts that two processes can parse at once.

A module is cut at the start of a definition (a `def`, `class` or the
decorators before one) near its middle: at the top level, or in the body
of a top-level class (test files are mostly one or two huge classes). The
first text is the module up to the cut; the second is the rest, after as
many blank lines as the first has lines, so that its tree gives every node
the line it has in the whole file. Cut inside a class, the second text
opens with a class statement of its own (`class _:`) on the first text's
last line, which carries the rest of the body as the whole file's class
does.

When both texts parse, the whole does, and its statements are those of the
two trees (but the second's class statement, when there is one): the
tokenizer reads the same characters in the same state from the cut on. The
cut must be between statements of the same block, which parsing tells:
a cut inside a string, a bracket, or a statement that goes on (a decorator
without its definition, a `try` without its `except`) leaves the first text
unparseable or the second starting with what no statement starts with; a
cut in a class body must be at that body's indentation, which the caller
checks on the first text's tree and lines (`Halves.fits`). The parser's
grammar is the same for any block's statements. The one thing that changes
how the parser reads what follows it, `from __future__ import
barry_as_FLUFL` (the `<>` operator), is not split around.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

# A definition's first line: indentation, then `def`, `async def`, `class`
# or a decorator.
_DEFINITION = re.compile(r"^([ \t]*)(?:@|(?:async[ \t]+)?def\b|class\b)", re.M)
# The cut is sought from the middle on, no further than this share of the text.
_LATEST = 0.8


@dataclass(frozen=True)
class Halves:
    first: str  # the module up to the cut
    second: str  # the rest, after blank lines (and `class _:`, cut in a class)
    indent: str  # the indentation of the line cut at: empty at the top level

    def fits(self, first_tree: ast.Module, first_lines: list[str]) -> bool:
        """The cut is between two statements of one block, given the first
        text's tree and lines: at the top level, or at the indentation of
        the body of the top-level class the first text ends in."""
        if not self.indent:
            return True
        last = first_tree.body[-1] if first_tree.body else None
        if not isinstance(last, ast.ClassDef):
            return False
        body = last.body[-1]
        return 1 <= body.lineno <= len(first_lines) and first_lines[body.lineno - 1].startswith(self.indent) and \
            body.col_offset == len(self.indent.encode())


def split(text: str) -> Halves | None:
    """The module's text cut in two (see the module's docstring); None when
    no cut is near its middle, or it may not be cut."""
    if "\r" in text or "barry_as_FLUFL" in text:  # line counts by "\n" alone; the one grammar switch
        return None
    middle, latest = len(text) // 2, int(len(text) * _LATEST)
    body_indent = None  # of the top-level class the cut would be in
    for match in _DEFINITION.finditer(text, middle, latest):
        start = match.start()
        if start == 0:
            continue
        indent = match.group(1)
        if indent:
            if body_indent is None:
                body_indent = _class_body_indent(text, middle)
            if indent != body_indent:
                continue  # deeper: in a method
        before = text.rfind("\n", 0, start - 1) + 1
        if text.startswith(f"{indent}@", before):
            continue  # a definition's decorators start it
        lines = text.count("\n", 0, start)
        if not indent:
            return Halves(text[:start], "\n" * lines + text[start:], "")
        return Halves(text[:start], "\n" * (lines - 1) + "class _:\n" + text[start:], indent)
    return None


_INDENTED_DEFINITION = re.compile(r"^([ \t]+)(?:@|(?:async[ \t]+)?def\b|class\b)", re.M)


def _class_body_indent(text: str, position: int) -> str:
    """The indentation of the first definition in the last top-level class
    before `position` (read from the text: `Halves.fits` checks it on the
    tree); empty when there is none."""
    start = text.rfind("\nclass", 0, position)
    if start < 0 and not text.startswith("class"):
        return ""
    match = _INDENTED_DEFINITION.search(text, start + 1, position)
    return match.group(1) if match else ""
