"""Split a Python file into chunks a language model can review, and render
them numbered by line.

A file of at most `max_lines` lines is one chunk. A larger file is cut
between top-level statements, never inside a function: a class too large for
one chunk is cut between its members (its header travels along as context),
a function is kept whole unless it is longer than four chunks, and then it is
cut between the statements of its body (its signature travels along).
Decorators and the comments directly above a statement stay with it. Every
chunk after the first also shows the module's imports and the simple module
constants it uses, so the model sees where its identifiers come from.

Statements are found by a scanner, not a parser: strings, comments, brackets
and indentation are enough to know where statements start. It reads any
Python 3 syntax, takes about half the time `ast.parse` does, and still splits
a file with a syntax error (an unclosed bracket is forgotten at the next line
that starts with `def` or `class`). On real code it cuts exactly where `ast`
says statements start.

Line numbers are the file's own, never renumbered: `render` marks the lines to
review with `|`, context lines with `:`, and each hidden stretch between shown
lines with one "... (lines A-B not shown)" line.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from secreview.python.source import source_lines

# A function is cut only when it is longer than this many chunks.
FUNCTION_CUT_FACTOR = 4
# At most this many lines of module constants are shown as context per chunk.
MAX_CONSTANT_LINES = 20

# The tokens that decide where a logical line ends: strings (any prefix,
# triple or single quoted), comments, brackets, backslash continuations, line ends.
_STRING = (r"[rRbBuUfFtT]{0,2}(?:"
           r'"""(?:[^"\\]|\\.|"(?!""))*"""'
           r"|'''(?:[^'\\]|\\.|'(?!''))*'''"
           r'|"(?:[^"\\\n]|\\.)*"'
           r"|'(?:[^'\\\n]|\\.)*')")
_TOKEN = re.compile(r"(" + _STRING + r")|(?:#[^\n]*)|([(\[{])|([)\]}])|(\\\n)|(\n)", re.DOTALL)
_STRING_GROUP, _OPEN, _CLOSE, _CONTINUATION, _NEWLINE = range(1, 6)  # a comment matches no group
# No bracket of valid code stays open across a line starting with `def` or `class`.
_RESYNC = re.compile(r"[ \t]*(?:async[ \t]+def|def|class)\b")
_CLASS = re.compile(r"class\b")
_DEF = re.compile(r"(?:async[ \t]+)?def\b")
_CLAUSE = re.compile(r"(?:else|elif|except|finally)\b")
_IMPORT = re.compile(r"(?:import|from)\b")
_CONSTANT = re.compile(r"([^\W\d]\w*)[ \t]*=(?!=)")
_IDENTIFIER = re.compile(r"[^\W\d]\w*")


@dataclass(frozen=True)
class Chunk:
    """Lines `focus` (first, last; 1-based, inclusive) of `path` to review,
    with `context` lines outside the focus shown for grounding."""

    path: str
    focus: tuple[int, int]
    context: tuple[int, ...] = ()

    @property
    def shown(self) -> frozenset[int]:
        return frozenset(range(self.focus[0], self.focus[1] + 1)) | frozenset(self.context)

    def render(self, lines: Sequence[str]) -> str:
        """The shown lines of the file (`lines[N - 1]` is line N, as
        `source_lines` gives them), numbered, focus marked `|`, context `:`."""
        shown = sorted(self.shown)
        if shown[-1] > len(lines):
            raise ValueError(f"chunk shows line {shown[-1]} of a {len(lines)}-line file")
        width = len(str(len(lines)))
        first, last = self.focus
        out: list[str] = []
        previous = 0
        for number in shown:
            if previous and number > previous + 1:
                out.append(_gap(previous + 1, number - 1))
            mark = "|" if first <= number <= last else ":"
            out.append(f"{number:>{width}} {mark} {lines[number - 1]}")
            previous = number
        return "\n".join(out)


def _gap(first: int, last: int) -> str:
    if first == last:
        return f"... (line {first} not shown)"
    return f"... (lines {first}-{last} not shown)"


def split_file(path: str, text: str, *, max_lines: int = 300,
               changed: Iterable[int] | None = None) -> list[Chunk]:
    """The file's chunks in order; together their focus covers every line
    once. With `changed` (line numbers a diff added or modified), only the
    chunks whose focus holds one of them. An empty file has no chunk."""
    if max_lines < 1:
        raise ValueError("max_lines must be at least 1")
    lines = source_lines(text)
    if not lines:
        return []
    if len(lines) <= max_lines:
        chunks = [Chunk(path, (1, len(lines)))]
    else:
        chunks = _split_large(path, _Layout.scan(text, lines), max_lines)
    if changed is None:
        return chunks
    wanted = set(changed)
    return [c for c in chunks if any(c.focus[0] <= n <= c.focus[1] for n in wanted)]


# --- the scanned file ---

@dataclass(frozen=True)
class _Layout:
    lines: list[str]
    logical: list[tuple[int, int]]  # (first, last) physical line of each logical line of code

    @classmethod
    def scan(cls, text: str, lines: list[str]) -> _Layout:
        ends = _logical_ends(text.replace("\r\n", "\n").replace("\r", "\n"))
        logical: list[tuple[int, int]] = []
        first = 0
        for number, line in enumerate(lines, start=1):
            if not first and line.lstrip()[:1] not in ("", "#"):
                first = number
            if first and number in ends:
                logical.append((first, number))
                first = 0
        if first:
            logical.append((first, len(lines)))
        return cls(lines, logical)

    def code(self, number: int) -> str:
        return self.lines[number - 1]


def _logical_ends(text: str) -> set[int]:
    """Numbers of the lines whose line end also ends a logical line."""
    ends: set[int] = set()
    depth, line = 0, 1
    for match in _TOKEN.finditer(text):
        kind = match.lastindex
        if kind == _NEWLINE:
            if depth and _RESYNC.match(text, match.end()):
                depth = 0
            if not depth:
                ends.add(line)
            line += 1
        elif kind == _OPEN:
            depth += 1
        elif kind == _CLOSE:
            depth = max(depth - 1, 0)
        elif kind == _STRING_GROUP:
            line += match.group().count("\n")
        elif kind == _CONTINUATION:
            line += 1
    return ends


def _is_code(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith("#")


def _is_comment(line: str) -> bool:
    return line.lstrip().startswith("#")


def _indent(line: str) -> str:
    return line[:len(line) - len(line.lstrip(" \t\f"))]


@dataclass(frozen=True)
class _Statement:
    start: int  # first line, decorators included
    floor: int  # last line of the code before it: comments above it stop here
    header: tuple[int, int]  # its first logical line (after the decorators)
    kind: str  # "class", "def" or ""


def _statements(layout: _Layout, first: int, last: int, indent: str) -> list[_Statement]:
    """The statements starting at `indent` within lines first..last, each
    with its decorators; `else`/`except`/... clauses belong to theirs."""
    statements: list[_Statement] = []
    decorated: tuple[int, int] | None = None  # start and floor of a decorator run
    index = bisect_left(layout.logical, (first, 0))
    while index < len(layout.logical) and layout.logical[index][0] <= last:
        begin, end = layout.logical[index]
        floor = layout.logical[index - 1][1] if index else 0
        index += 1
        line = layout.code(begin)
        if (not line.startswith(indent) or line[len(indent)] in " \t\f"
                or _CLAUSE.match(line, len(indent))):
            continue
        if line.startswith("@", len(indent)):
            decorated = decorated or (begin, floor)
            continue
        start, floor = decorated or (begin, floor)
        decorated = None
        statements.append(_Statement(start, floor, (begin, end), _kind(line[len(indent):])))
    if decorated:  # a decorator with nothing after it
        statements.append(_Statement(decorated[0], decorated[1], (decorated[0], decorated[0]), ""))
    return statements


def _kind(code: str) -> str:
    if _CLASS.match(code):
        return "class"
    return "def" if _DEF.match(code) else ""


def _body(layout: _Layout, statement: _Statement, last: int) -> list[_Statement]:
    """The statements of a `def`/`class` body ending at line `last`."""
    index = bisect_left(layout.logical, statement.header) + 1
    if index >= len(layout.logical) or layout.logical[index][0] > last:
        return []  # a one-line definition
    begin = layout.logical[index][0]
    return _statements(layout, begin, last, _indent(layout.code(begin)))


def _header_lines(layout: _Layout, statement: _Statement) -> frozenset[int]:
    """The decorator lines and the `def`/`class` line(s) up to the colon."""
    return frozenset(n for n in range(statement.start, statement.header[1] + 1)
                     if _is_code(layout.code(n)))


# --- blocks and pieces ---

@dataclass(frozen=True)
class _Block:
    """Lines first..last: one statement with the comments directly above it
    and whatever follows it up to the next statement."""

    first: int
    last: int
    statement: _Statement | None = None

    @property
    def size(self) -> int:
        return self.last - self.first + 1


@dataclass(frozen=True)
class _Piece:
    """Lines first..last with the context they need; a chunk before the
    module's imports and constants are added."""

    first: int
    last: int
    context: frozenset[int]


def _blocks(layout: _Layout, statements: list[_Statement], first: int, last: int) -> list[_Block]:
    """Consecutive blocks covering first..last, one per statement."""
    if not statements:
        return [_Block(first, last)]
    starts = [first] + [_with_comments(layout, s) for s in statements[1:]]
    ends = [start - 1 for start in starts[1:]] + [last]
    return [_Block(s, e, statement) for s, e, statement in zip(starts, ends, statements)]


def _with_comments(layout: _Layout, statement: _Statement) -> int:
    start = statement.start
    while start - 1 > statement.floor and _is_comment(layout.code(start - 1)):
        start -= 1
    return start


def _units(layout: _Layout, blocks: list[_Block], max_lines: int,
           context: frozenset[int]) -> Iterator[_Piece]:
    """The blocks as units never to be cut, in order: a block larger than
    max_lines yields its inner blocks when it may be cut (`_inner`), with
    its header added to their context."""
    for block in blocks:
        inner = _inner(layout, block, max_lines) if block.size > max_lines else None
        if inner is None:
            yield _Piece(block.first, block.last, context)
        else:
            header, parts = inner
            yield from _units(layout, parts, max_lines, context | header)


def _inner(layout: _Layout, block: _Block,
           max_lines: int) -> tuple[frozenset[int], list[_Block]] | None:
    """The header lines and body blocks of a class, or of a function longer
    than FUNCTION_CUT_FACTOR chunks; None for anything else."""
    statement = block.statement
    if statement is None or not (statement.kind == "class" or (
            statement.kind == "def"
            and _code_end(layout, block) - statement.start + 1 > FUNCTION_CUT_FACTOR * max_lines)):
        return None
    body = _body(layout, statement, block.last)
    if not body:
        return None
    return _header_lines(layout, statement), _blocks(layout, body, block.first, block.last)


def _pack(units: Iterable[_Piece], max_lines: int) -> list[_Piece]:
    """Consecutive units grouped greedily into pieces of at most max_lines
    (a larger unit is a piece of its own), each with its units' context."""
    pieces: list[_Piece] = []
    current: _Piece | None = None
    for unit in units:
        if current and unit.last - current.first + 1 <= max_lines:
            current = _Piece(current.first, unit.last, current.context | unit.context)
        else:
            if current:
                pieces.append(current)
            current = unit
    if current:
        pieces.append(current)
    return pieces


def _code_end(layout: _Layout, block: _Block) -> int:
    """The block's last line that is not blank or a comment."""
    last = block.last
    while last > block.first and not _is_code(layout.code(last)):
        last -= 1
    return last


# --- the chunks, with the module's imports and constants as context ---

_Constant = tuple[str, int, int]  # name, first line, last line


def _split_large(path: str, layout: _Layout, max_lines: int) -> list[Chunk]:
    top = _statements(layout, 1, len(layout.lines), "")
    imports, constants = _module_context(layout, top)
    blocks = _blocks(layout, top, 1, len(layout.lines))
    pieces = _pack(_units(layout, blocks, max_lines, frozenset()), max_lines)
    chunks: list[Chunk] = []
    for index, piece in enumerate(pieces):
        context = set(piece.context)
        if index:
            used = set(_IDENTIFIER.findall("\n".join(layout.lines[piece.first - 1:piece.last])))
            context |= imports | _constants_used(constants, used, piece)
        focus = range(piece.first, piece.last + 1)
        chunks.append(Chunk(path, (piece.first, piece.last),
                            tuple(sorted(n for n in context if n not in focus))))
    return chunks


def _module_context(layout: _Layout, top: list[_Statement]) -> tuple[set[int], list[_Constant]]:
    """Lines of the top-level imports, and the top-level `NAME = ...` statements."""
    imports: set[int] = set()
    constants: list[_Constant] = []
    for statement in top:
        first, last = statement.header
        line = layout.code(first)
        constant = _CONSTANT.match(line)
        if constant:
            constants.append((constant.group(1), first, last))
        elif _IMPORT.match(line):
            imports.update(range(first, last + 1))
    return imports, constants


def _constants_used(constants: list[_Constant], used: set[str], piece: _Piece) -> set[int]:
    """Lines of the constants the piece uses and does not hold, in file
    order, whole assignments only, at most MAX_CONSTANT_LINES lines."""
    chosen: set[int] = set()
    for name, first, last in constants:
        inside = piece.first <= first and last <= piece.last
        if name not in used or inside or len(chosen) + last - first + 1 > MAX_CONSTANT_LINES:
            continue
        chosen.update(range(first, last + 1))
    return chosen
