"""What every rule is, and how a rule turns an AST node into a `Finding`.

A rule lives in its own module in `secreview.rules`. The module docstring is
the rule's documentation, in a fixed shape (checked by the tests):

    ## What it does / ## Why is this bad? / ## Example / ## Use instead / ## References

and the module defines `RULE`, an instance of a `Rule` subclass.
"""

from __future__ import annotations

import ast
import bisect
import re
import sys
from typing import TYPE_CHECKING, Any, ClassVar, Iterator

from secreview.model import Confidence, Finding, Fix, Severity, TraceStep
from secreview.python.context import FileContext

if TYPE_CHECKING:
    from secreview.taint.facts import Flow

DOC_SECTIONS = ("What it does", "Why is this bad?", "Example", "Use instead", "References")
_MAX_CODE_LINES = 8


class Rule:
    id: ClassVar[str]
    name: ClassVar[str]  # short title, e.g. "Shell command built from non-constant data"
    cwe: ClassVar[tuple[int, ...]]
    severity: ClassVar[Severity]
    # Bandit test ids this rule covers, so `# nosec B602` silences it too.
    bandit_ids: ClassVar[tuple[str, ...]] = ()
    # True when the weakness is harmless in test code (fixtures, local servers).
    harmless_in_tests: ClassVar[bool] = False
    # Taint sink kinds (see secreview/models/README.md) whose flows this rule
    # reports; the engine turns each flow into a finding with `flow_finding`.
    taint_kinds: ClassVar[tuple[str, ...]] = ()
    # What an attacker who controls the data achieves at the sink, as the end
    # of a sentence: "can run SQL of their choosing against the database".
    impact: ClassVar[str] = ""
    # How to repair a flow finding, in one or two sentences.
    fix_description: ClassVar[str] = ""
    # False when the rule never offers a mechanical rewrite (flow findings
    # need a human to choose the fix).
    mechanical_fixes: ClassVar[bool] = True
    # The rule can report only in a file whose text holds one of these names
    # as a whole word (the names of the calls it looks at), or one of these
    # (module, function) pairs as a qualified name can arise: the module
    # named, and the function as an attribute (`.system`) or in an import;
    # empty: it looks at every file. A file no rule needs is never indexed,
    # which matters most in test code, where few rules run.
    needles: ClassVar[tuple[str | tuple[str, ...], ...]] = ()
    # False when a bare `# nosec` or `# secreview: ignore` must not silence
    # the rule (the text it reports could carry one); a comment naming the
    # rule still does.
    blanket_suppression: ClassVar[bool] = True
    # True when whatever the rule finds in a file it finds in the top-level
    # statement, or class-level definition, that holds it (with the comments
    # among them), whatever the rest of the file says: a large file may then
    # be checked in two parts, one per process (`secreview.python.halves`).
    local: ClassVar[bool] = False
    # True when the rule reads the file's text, comments and statements but
    # not its calls: it pays for no index that the other rules share. After
    # an edit, such rules are the first the review runs itself while the
    # rules helper runs the others (`secreview.engine.RuleShares`).
    stands_alone: ClassVar[bool] = False

    def check(self, ctx: FileContext) -> Iterator[Finding]:  # pragma: no cover - abstract
        raise NotImplementedError

    @property
    def finds_nothing(self) -> bool:
        """`check` never reports anything (`TaintRule`s)."""
        return False

    def may_report(self, text: str) -> bool:
        """False when the rule cannot report anything in a file with this text."""
        return not self.needles or any(
            has_word(text, needle) if isinstance(needle, str) else names_member(text, *needle)
            for needle in self.needles)

    # ---------------------------------------------------------------- docs
    @property
    def doc(self) -> str:
        module = sys.modules[type(self).__module__]
        return (module.__doc__ or "").strip()

    def doc_section(self, title: str) -> str:
        return doc_sections(self.doc).get(title, "")

    @property
    def summary(self) -> str:
        """First paragraph of 'What it does'."""
        return self.doc_section("What it does").split("\n\n")[0].replace("\n", " ").strip()

    # ------------------------------------------------------------ findings
    def finding(
        self,
        ctx: FileContext,
        node: ast.AST,
        message: str,
        explanation: str,
        fix: Fix,
        *,
        confidence: Confidence,
        severity: Severity | None = None,
        trace: list[TraceStep] | None = None,
        cwe: tuple[int, ...] | None = None,
    ) -> Finding:
        return Finding(
            rule=self.id,
            cwe=list(cwe or self.cwe),
            severity=severity or self.severity,
            confidence=confidence,
            message=message,
            explanation=explanation,
            fix=fix,
            trace=list(trace or []),
            **place(ctx, node),
        )


    def flow_finding(self, flow: "Flow") -> Finding:
        """A finding for one source-to-sink flow found by the taint engine."""
        site = flow.site
        sink_text = f"`{site.callee}`" + (f" ({site.note})" if site.note else "")
        message = f"{self.name}: {flow.source_label} reaches `{site.callee}`."
        hops = [step for step in flow.trace[1:] if step.line != site.line or step.path != site.path]
        route = ""
        if hops:
            route = " On its way it is " + ", then ".join(
                f"{step.note} ({_where(step, site.path)})" for step in hops) + "."
        explanation = (
            f"`{flow.source_code}` ({flow.source_label}, {_where(flow.trace[0], site.path)}) is data "
            f"from outside the program.{route} It reaches {sink_text} on line {site.line} with no "
            f"sanitiser for this use on the way, so whoever sends it {self.impact or 'controls this operation'}."
        )
        return Finding(
            rule=self.id,
            cwe=list(site.cwe or self.cwe),
            severity=self.severity,
            confidence=flow.confidence,
            path=site.path,
            line=site.line,
            end_line=site.end_line,
            column=site.column,
            code=site.code,
            message=message,
            explanation=explanation,
            fix=Fix(self.fix_description or "Validate or neutralise the data before this use."),
            trace=list(flow.trace),
            in_test=site.in_test,
            scope=site.scope,
            span=site.span,
        )


class TaintRule(Rule):
    """A rule whose findings all come from the taint engine: the module holds
    the documentation and the few facts a flow finding needs (`taint_kinds`,
    `impact`, `fix_description`)."""

    mechanical_fixes = False

    def check(self, ctx: FileContext) -> Iterator[Finding]:
        return iter(())

    @property
    def finds_nothing(self) -> bool:
        """Its `check` is this one, which finds nothing (its findings are the
        taint engine's)."""
        return type(self).check is TaintRule.check


def _where(step: TraceStep, current_path: str) -> str:
    return f"line {step.line}" if step.path == current_path else f"{step.path}:{step.line}"


def place(ctx: FileContext, node: ast.AST) -> dict[str, Any]:
    """Where a node is, as a finding (or a taint sink) reports it: path,
    lines, character column, the code (at most `_MAX_CODE_LINES` lines), the
    enclosing function, the statement's lines and whether it is test code."""
    line = getattr(node, "lineno", 1)
    end_line = getattr(node, "end_lineno", line) or line
    return {
        "path": ctx.path,
        "line": line,
        "end_line": end_line,
        "column": character_column(ctx.module.line(line), getattr(node, "col_offset", 0)),
        "code": ctx.module.segment(line, min(end_line, line + _MAX_CODE_LINES - 1)),
        "scope": ctx.scope_name(node),
        "span": ctx.statement_lines(node),
        "in_test": ctx.is_test,
    }


def character_column(line_text: str, byte_offset: int) -> int:
    """`ast` columns count UTF-8 bytes; reports count characters."""
    return len(line_text.encode("utf-8")[:byte_offset].decode("utf-8", errors="ignore"))


def doc_sections(doc: str) -> dict[str, str]:
    sections: dict[str, str] = {}
    current = None
    buf: list[str] = []
    for line in doc.splitlines():
        m = re.match(r"^##\s+(.*?)\s*$", line)
        if m:
            if current is not None:
                sections[current] = "\n".join(buf).strip()
            current, buf = m.group(1), []
        elif current is not None:
            buf.append(line)
    if current is not None:
        sections[current] = "\n".join(buf).strip()
    return sections


# Code idioms that read data from outside the program: a value that comes
# from one of these is attacker-controllable, not just "not constant".
_UNTRUSTED_CODE = re.compile(
    r"\binput\s*\(|\bsys\.argv\b|\brequest\b|\.recv\w*\s*\(|\bos\.environ\b|\bgetenv\s*\("
    r"|\bsys\.stdin\b|\burlopen\s*\(")


def looks_untrusted(ctx: FileContext, parts: list[ast.AST]) -> bool:
    """True when a part, or the code it is assigned from, reads outside input.
    Only code is matched, never our own explanatory notes."""
    for part in parts:
        if _UNTRUSTED_CODE.search(ctx.source_of(part, limit=400)) or _UNTRUSTED_CODE.search(ctx.origin(part).code):
            return True
    return False


def origin_trace(ctx: FileContext, parts: list[ast.AST]) -> tuple[list[TraceStep], str]:
    """Trace steps and a sentence saying where each non-constant part comes from."""
    steps: list[TraceStep] = []
    notes: list[str] = []
    for part in parts[:3]:
        origin = ctx.origin(part)
        steps.append(TraceStep(ctx.path, origin.line, origin.note))
        notes.append(origin.note)
    return steps, "; ".join(notes)


def has_word(text: str, word: str) -> bool:
    """`word` occurs in `text` as a whole identifier (`exec`, not `execute`)."""
    return next(_word_starts(text, word), None) is not None


def _word_starts(text: str, word: str) -> Iterator[int]:
    """Where `word` starts in `text` as a whole identifier."""
    start = text.find(word)
    while start >= 0:
        end = start + len(word)
        if not (start and _identifier_char(text[start - 1])) and not (end < len(text) and _identifier_char(text[end])):
            yield start
        start = text.find(word, end)


def names_member(text: str, module: str, function: str) -> bool:
    """The text can name `module.function`: the module is named, and the
    function is written as an attribute or imported by name (how a file
    reaches `os.system`: `os.system(...)`, `import os as o; o.system(...)`,
    `from os import system`)."""
    return has_word(text, module) and any(
        _follows_dot(text, start) or _in_import(text, start) for start in _word_starts(text, function))


def _follows_dot(text: str, position: int) -> bool:
    """The word at `position` is written as an attribute: a `.` comes before
    it, past blanks and line continuations, and past line ends with their
    comments (inside brackets, `os.` and `system` may stand on two lines
    with a comment between)."""
    index = position - 1
    for _ in range(_LINES_BACK):
        while index >= 0 and text[index] in " \t\r\\":
            index -= 1
        if index < 0:
            return False
        char = text[index]
        if char == ".":
            return True
        if char == "\n":
            index -= 1
            continue
        # Code, or the end of a comment: look before the comment's `#`.
        comment = text.rfind("#", text.rfind("\n", 0, index) + 1, index + 1)
        if comment < 0:
            return False
        index = comment - 1
    return False


_LINES_BACK = 16  # line ends and comments looked back over


def _in_import(text: str, position: int) -> bool:
    """`position` is in the list of names of an import statement: after the
    keyword `import`, past names, commas, blanks and comments only, and past
    a line end only inside parentheses or after a backslash. Any `import`
    before it may be the one (the nearest may stand in a comment of the list)."""
    begins, lists = _import_lists(text)
    for index in range(bisect.bisect_right(begins, position - 6) - 1, -1, -1):
        end, comments = lists[index]
        if position <= end and not any(start < position <= stop for start, stop in comments):
            return True
    return False


# The last text's import lists: a file's needles are all looked for in it.
_last_imports: tuple[str, tuple[list[int], list[tuple[int, tuple[tuple[int, int], ...]]]]] | None = None


def _import_lists(text: str) -> tuple[list[int], list[tuple[int, tuple[tuple[int, int], ...]]]]:
    """Where each `import` keyword of `text` starts, in order, and how far
    the list of names after it can run (`_names_from`). Each list is read
    once, however many words are then looked up in the text: a word
    written many times after many imports was a quadratic search."""
    global _last_imports
    last = _last_imports
    if last is not None and last[0] is text:
        return last[1]
    begins: list[int] = []
    lists: list[tuple[int, tuple[tuple[int, int], ...]]] = []
    begin = text.find("import")
    while begin >= 0:
        after = begin + 6
        if not ((begin and _identifier_char(text[begin - 1])) or (after < len(text) and _identifier_char(text[after]))):
            begins.append(begin)
            lists.append(_names_from(text, after))
        begin = text.find("import", after)
    _last_imports = (text, (begins, lists))
    return begins, lists


def _names_from(text: str, start: int) -> tuple[int, tuple[tuple[int, int], ...]]:
    """How far from `start` `text` holds only names, commas, blanks and
    comments (and line ends inside parentheses or after a backslash): the
    index of the first character that ends it (or the text's end), and the
    comments passed, each from its `#` to its line end."""
    parenthesised, previous, index, size = False, "", start, len(text)
    comments: list[tuple[int, int]] = []
    while index < size:
        char = text[index]
        if char == "#":  # a comment: to the end of its line
            line_end = text.find("\n", index)
            if line_end < 0:
                comments.append((index, size))
                break
            comments.append((index, line_end))
            index = line_end
            continue
        if char == "(":
            parenthesised = True
        elif char == "\n":
            if not parenthesised and previous != "\\":
                return index, tuple(comments)
        elif not (char.isalnum() or char in "_ \t,)\\"):
            return index, tuple(comments)
        if char != "\r":
            previous = char
        index += 1
    return size, tuple(comments)


def _identifier_char(char: str) -> bool:
    return char.isalnum() or char == "_"


class LazyPattern:
    """A regular expression compiled on first use. A large rule's patterns
    take a noticeable part of a warm review's start-up to compile, and a
    review answered from the cache never runs the rule."""

    def __init__(self, pattern: str, flags: int = 0):
        self._source = (pattern, flags)

    def __getattr__(self, name: str) -> Any:
        compiled = re.compile(*self._source)
        for method in ("search", "match", "fullmatch", "finditer", "findall", "sub", "split", "pattern", "flags"):
            setattr(self, method, getattr(compiled, method))  # later calls skip this lookup
        return getattr(compiled, name)


def lazy_compile(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """`re.compile`, deferred to the pattern's first use."""
    return LazyPattern(pattern, flags)  # type: ignore[return-value]
