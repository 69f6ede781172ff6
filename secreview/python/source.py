"""Read and parse one Python file, never importing or executing it.

Every way a file can be unusable (not a regular file, too large, binary, an
undecodable encoding, syntax no Python 3 accepts, nesting too deep for the
parser) raises `SourceError` with a reason a person can act on.
"""

from __future__ import annotations

import ast
import bisect
import io
import os
import re
import stat
import sys
import tokenize
from dataclasses import dataclass, field

DEFAULT_MAX_FILE_SIZE = 2 * 1024 * 1024  # bytes


class SourceError(Exception):
    """The file cannot be analysed; `reason` says why."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass
class ParsedModule:
    path: str  # as reported (relative to the review root)
    text: str
    tree: ast.Module
    used_fallback: bool = False
    lines: list[str] = field(default_factory=list)
    _comments: dict[int, str] | None = field(default=None, repr=False)

    @property
    def comments(self) -> dict[int, str]:
        """Line number -> comment text; read on first use only (most files
        have no finding, so their comments are never needed)."""
        if self._comments is None:
            if self.used_fallback:  # a tree from the fallback parser: ask the tokenizer
                self._comments = _comments(self.text, self.lines)
            else:
                found = comments_from_tree(self.tree, self.lines)
                self._comments = _comments(self.text, self.lines) if found is None else found
        return self._comments

    def line(self, number: int) -> str:
        if 1 <= number <= len(self.lines):
            return self.lines[number - 1]
        return ""

    def segment(self, first: int, last: int) -> str:
        return "\n".join(self.lines[first - 1:last])


def read_source(abspath: str, max_size: int = DEFAULT_MAX_FILE_SIZE) -> str:
    """The file's text, decoded as PEP 263 and the BOM say (UTF-8 by default)."""
    try:
        info = os.stat(abspath)
    except OSError as exc:
        raise SourceError(f"cannot be read: {exc.strerror or exc}") from None
    if not stat.S_ISREG(info.st_mode):
        raise SourceError("not a regular file")
    if info.st_size > max_size:
        raise SourceError(
            f"file is {_size(info.st_size)}, over the {_size(max_size)} limit "
            "(raise max-file-size to review it)"
        )
    try:
        with open(abspath, "rb") as handle:
            data = handle.read(max_size + 1)
    except OSError as exc:
        raise SourceError(f"cannot be read: {exc.strerror or exc}") from None
    if len(data) > max_size:  # grew since stat
        raise SourceError(f"file is over the {_size(max_size)} limit")
    return decode_source(data)


def decode_source(data: bytes) -> str:
    if b"\x00" in data:
        raise SourceError("binary file (contains NUL bytes), not Python source")
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        raise SourceError(f"invalid encoding declaration: {exc.msg}") from None
    try:
        text = data.decode(encoding)
    except LookupError:  # e.g. `# coding: rot13`, a codec that does not yield text
        raise SourceError(f"invalid encoding declaration: {encoding!r} is not a text encoding") from None
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        byte = data[exc.start: exc.start + 1].hex()
        raise SourceError(
            f"not valid {encoding} text (byte 0x{byte} at line {line}); "
            "declare the file's encoding with a PEP 263 coding line"
        ) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    return text


def _size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.1f} MiB"
    if n >= 1024:
        return f"{n / 1024:.1f} KiB"
    return f"{n} bytes"


# Limits of CPython's parser, not syntax errors: no other parser helps.
_PARSER_LIMITS = ("too many nested parentheses", "too many levels of indentation", "too complex")
_NESTING_TOO_DEEP = "nesting too deep to parse (the expression exceeds the parser's recursion limit)"
# Python ends a source line at \r\n, \r or \n only; str.splitlines() also splits
# at form feeds, \x1c-\x1e, \x85, \u2028 and \u2029, which would shift every
# later line away from the line numbers in the tree.
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def source_lines(text: str) -> list[str]:
    """The file's lines as Python numbers them (line N is `lines[N - 1]`)."""
    lines = text.split("\n") if "\r" not in text else _LINE_BREAK.split(text)
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def parse_source(text: str, path: str) -> ParsedModule:
    """Parse with `ast` (fast path); syntax newer than this interpreter goes
    to the fallback parser, which yields the same tree shape."""
    used_fallback = False
    try:
        tree = ast.parse(text, filename=path)
    except SyntaxError as exc:
        if exc.msg in _PARSER_LIMITS:
            raise SourceError(f"nesting too deep to parse at line {exc.lineno} ({exc.msg})") from None
        tree = _parse_fallback(text, path, exc)
        used_fallback = True
    except (RecursionError, MemoryError):
        raise SourceError(_NESTING_TOO_DEEP) from None
    except ValueError as exc:
        tree = _parse_despite(text, path, exc)
        used_fallback = True
    lines = source_lines(text)
    return ParsedModule(path=path, text=text, tree=tree, used_fallback=used_fallback,
                        lines=lines)


def _parse_despite(text: str, path: str, error: ValueError) -> ast.Module:
    """The fallback parser's tree for a file this interpreter's parser
    failed on with a ValueError instead of a syntax error: null bytes, which
    no parser takes ("source code string cannot contain null bytes" before
    3.12), or a defect of the interpreter's own (CPython 3.12.0 to 3.12.4
    raise "field 'value' is required for Constant" for `f"{x:{y=}}"`,
    gh-121130). When the fallback fails too, the reason gives both."""
    reason = f"cannot be parsed: {error}"
    if "\0" in text:
        raise SourceError(reason)
    try:
        return _parse_fallback(text, path, None)
    except SourceError as second:
        raise SourceError(f"{reason}; {second.reason}") from None


def _parse_fallback(text: str, path: str, error: SyntaxError | None) -> ast.Module:
    """The tree from the fallback parser (newer syntax); when it fails too,
    the reason says why, from the parser whose message is more telling.
    `error`: this interpreter's syntax error, None when it gave none."""
    try:
        from secreview.python.fallback import describe_syntax_error, parse_fallback
    except ImportError:  # pragma: no cover - the fallback ships with the package
        raise SourceError(_syntax_reason(error) if error else "the fallback parser is missing") from None
    try:
        return parse_fallback(text, path)
    except SyntaxError as second:
        # This interpreter's message is the precise one, unless the fallback
        # parser (whose grammar is newer) got well past the line it stopped
        # at: then that line holds newer syntax and the real error is later.
        # Either way the description names Python 2 code as such.
        later = error is None or (second.lineno or 0) > (error.lineno or 0) + 1
        if later and (second.lineno or 0) > len(source_lines(text)):
            # Failed at the end of the file: almost always a bracket left open.
            opened = unclosed_bracket(text)
            if opened is not None:
                raise SourceError(f"syntax error at line {opened[0]}: '{opened[1]}' was never closed") from None
        raise SourceError(describe_syntax_error(text, second if later or error is None else error)) from None
    except (RecursionError, MemoryError):
        raise SourceError(_NESTING_TOO_DEEP) from None
    except Exception as exc:  # a defect in the fallback must not end the review
        failed = f"the fallback parser for newer syntax failed: {type(exc).__name__}: {exc}"
        raise SourceError(f"{_syntax_reason(error)} ({failed})" if error else failed) from None


_OPENERS = {"(": ")", "[": "]", "{": "}"}
_STRING_START = re.compile(r"(?i)[rbuft]{0,2}('''|\"\"\"|'|\")")


def unclosed_bracket(text: str) -> tuple[int, str] | None:
    """(line, bracket) of the first bracket never closed, skipping strings
    and comments; None when every bracket is closed. A scanner, not a parser:
    f-string fields count as string text, which is all this needs."""
    stack: list[tuple[int, str]] = []
    line, i, n = 1, 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "\n":
            line += 1
        elif ch == "#":
            end = text.find("\n", i)
            i = n if end < 0 else end
            continue
        elif ch in "'\"" or (ch.isalpha() and _STRING_START.match(text, i)):
            match = _STRING_START.match(text, i)
            if match is None or (ch.isalpha() and i and (text[i - 1].isalnum() or text[i - 1] == "_")):
                i += 1
                continue
            quote = match.group(1)
            j = match.end()
            while j < n and not text.startswith(quote, j):
                if text[j] == "\\":
                    j += 1
                elif text[j] == "\n" and len(quote) == 1:
                    break  # unterminated one-line string: stop at the line end
                j += 1
            line += text.count("\n", i, j)
            i = j + len(quote)
            continue
        elif ch in _OPENERS:
            stack.append((line, ch))
        elif ch in ")]}":
            if stack and _OPENERS[stack[-1][1]] == ch:
                stack.pop()
        i += 1
    return stack[0] if stack else None


def _syntax_reason(error: SyntaxError) -> str:
    return f"syntax error at line {error.lineno}: {error.msg}"


def comments_from_tree(tree: ast.Module, lines: list[str]) -> dict[int, str] | None:
    """Line number -> comment text (after '#'); None when this cannot tell.

    A '#' outside every string literal starts a comment (nothing else in
    Python's syntax holds one), and the tree says where the literals are. So
    only the lines holding a '#' are looked at, and only the parts of the
    tree around them: the tokenizer, which reads every character, is many
    times slower. A literal over several lines may be pieces joined across
    lines with comments between them (implicit concatenation): its text is
    split into pieces and comments by `_literal_comments`."""
    candidates = [number for number, line in enumerate(lines, start=1) if "#" in line]
    if not candidates:
        return {}
    # Per candidate line, the (start, end) byte columns string literals cover.
    covered: dict[int, list[tuple[int, float]]] = {}
    decided: dict[int, str] = {}
    stack: list[ast.AST] = [tree]
    everything = float("inf")
    while stack:
        node = stack.pop()
        first = getattr(node, "lineno", None)
        if first is not None:
            decorators = getattr(node, "decorator_list", None)
            if decorators:  # a definition's position starts at `def`/`class`, below them
                first = min(first, decorators[0].lineno)
            last = node.end_lineno or first
            index = bisect.bisect_left(candidates, first)
            if index == len(candidates) or candidates[index] > last:
                continue  # no '#' on any of its lines
            if isinstance(node, ast.JoinedStr) or (
                    isinstance(node, ast.Constant) and isinstance(node.value, (str, bytes))):
                if first != last:
                    found = _literal_comments(node, lines, isinstance(node, ast.JoinedStr))
                    if found is None:
                        return None
                    decided.update(found)
                for number in candidates[index:bisect.bisect_right(candidates, last)]:
                    start = node.col_offset if number == first else 0
                    end = node.end_col_offset if number == last else everything
                    covered.setdefault(number, []).append((start, end))
                continue
        stack.extend(ast.iter_child_nodes(node))
    comments: dict[int, str] = {}
    for number in candidates:
        if number in decided:
            comments[number] = decided[number]
            continue
        line = lines[number - 1]
        spans = covered.get(number)
        position = line.find("#")
        while position >= 0:
            column = position if line.isascii() else len(line[:position].encode("utf-8"))
            if not spans or not any(start <= column < end for start, end in spans):
                comments[number] = line[position + 1:]
                break
            position = line.find("#", position + 1)
    return comments


# What a literal's source holds between its first and last quote: pieces,
# blanks, line continuations and comments.
_LITERAL_PART = re.compile(
    r"""(?P<blank>[ \t\f]+|\\?(?:\r\n|\r|\n))|(?P<comment>\#[^\r\n]*)"""
    r"""|(?P<piece>[rRbBuUfF]{0,2}(?:'\'\'(?:[^\\]|\\.)*?'\'\'|"\"\"(?:[^\\]|\\.)*?"\"\""""
    r"""|'(?:[^\\'\r\n]|\\.)*'|"(?:[^\\"\r\n]|\\.)*"))""",
    re.DOTALL)


def _literal_comments(node: ast.AST, lines: list[str], formatted: bool) -> dict[int, str] | None:
    """The comments between the pieces of a literal over several lines;
    None when its text does not split into pieces (an f-string whose fields
    hold its own quotes, allowed since Python 3.12)."""
    first, last = node.lineno, node.end_lineno or node.lineno
    if formatted and sys.version_info >= (3, 12):
        return None
    head = lines[first - 1].encode("utf-8")[node.col_offset:].decode("utf-8", "replace")
    tail = lines[last - 1].encode("utf-8")[:node.end_col_offset].decode("utf-8", "replace")
    text = "\n".join([head, *lines[first:last - 1], tail])
    found: dict[int, str] = {}
    position = 0
    while position < len(text):
        match = _LITERAL_PART.match(text, position)
        if match is None:
            return None
        if match.lastgroup == "comment":
            found[first + text.count("\n", 0, position)] = match.group()[1:]
        position = match.end()
    return found


def _comments(text: str, lines: list[str]) -> dict[int, str]:
    """Line number -> comment text (after '#'), from the tokenizer so '#' in
    strings is not mistaken for a comment. Syntax the host tokenizer does not
    know falls back to a line scan for comments that matter to us."""
    comments: dict[int, str] = {}
    try:
        # newline="": lines end at \r too, as they do for the parser.
        for tok in tokenize.generate_tokens(io.StringIO(text, newline="").readline):
            if tok.type == tokenize.COMMENT:
                comments[tok.start[0]] = tok.string[1:]
        return comments
    except (tokenize.TokenError, SyntaxError, IndentationError, RecursionError):
        comments.clear()
    for number, line in enumerate(lines, start=1):
        if "#" in line and ("nosec" in line or "secreview" in line):
            # Take the last '#' that starts a suppression marker.
            for match in re.finditer(r"#\s*(nosec|secreview\s*:)", line):
                comments[number] = line[match.start() + 1:]
    return comments
