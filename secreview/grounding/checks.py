"""The grounding checks: for one claim about one unit of code, is it true of
the code? Each check answers one question with a reason a reader can verify.

- location: the cited line exists (and, for a diff, is on the side and in the
  lines the diff shows), and the code the claim quotes is on it or within
  `WINDOW` lines; quoted code found elsewhere gives the line where it is.
- identifiers: every name the claim mentions, and every name it proposes as
  the fix, exists (see `names.NameIndex`).
- weakness: a CWE given is in the catalogue, and the code it points at has
  the construct that weakness needs (CWE-89 needs a query).
- test-context: a defect claimed in test code (fixtures, mocks, assertions)
  is not a defect in production.
- actionability: a defect claim names where, and what to do, without
  hedging its way out of both.
- consistency (review level, in `audit`): the verdict agrees with the claims.

Quoted code is compared with all white space removed, so re-indented or
re-wrapped quotes still match.
"""

from __future__ import annotations

import re
from typing import Protocol

from secreview.cwe import cwe_title, is_known_cwe
from secreview.grounding.model import Check, Claim, Verdict
from secreview.grounding.units import CodeUnit
from secreview.model import squash_code

# Lines either side of the cited line where quoted code still counts as "on it".
WINDOW = 2
_BARE_NAME = re.compile(r"[A-Za-z_]\w*")


class Lookup(Protocol):
    exists: bool
    where: str


class Index(Protocol):
    def lookup(self, identifier: str, path: str) -> Lookup: ...


def _checkable_quotes(claim: Claim) -> list[str]:
    """Quotes that name code to find: not a bare name (the identifier check
    covers those), not a fix the claim proposes, not too short to mean much."""
    fixes = {f.removesuffix("()") for f in claim.fix_identifiers}
    out = []
    for quote in claim.quotes:
        squashed = squash_code(quote)
        if len(squashed) < 4 or _BARE_NAME.fullmatch(squashed):
            continue
        if squashed.removesuffix("()") in fixes or any(squashed.startswith(f + "(") for f in fixes):
            continue
        if squashed in squash_code(claim.fix) and squashed not in squash_code(claim.text.replace(claim.fix, "")):
            continue
        out.append(quote)
    return out


def find_quote(unit: CodeUnit, quote: str, near: int | None = None) -> int | None:
    """The line where `quote` starts (white space ignored): the one nearest to
    `near` when it occurs more than once. Lines the unit does not show are
    searched too (a reviewer may quote context); `location` decides."""
    target = squash_code(quote)
    if not target:
        return None
    hits: list[int] = []
    squashed = unit.squashed_lines
    for start in range(len(squashed)):
        first = squashed[start]
        if not first:
            continue
        # Join following lines until a match starting on this line would fit.
        joined, end = first, start
        while len(joined) < len(first) + len(target) and end + 1 < len(squashed) and end - start < 40:
            end += 1
            joined += squashed[end]
        at = joined.find(target)
        if at != -1 and at < len(first):
            hits.append(start + 1)
    if not hits:
        return None
    if near is None:
        return hits[0]
    return min(hits, key=lambda line: (abs(line - near), line))


def location(claim: Claim, unit: CodeUnit | None) -> Check:
    if unit is None:
        what = f"{claim.path}, which is" if claim.path else "a file that is"
        return Check("location", False, f"the claim is about {what} not in the reviewed code", Verdict.NOT_IN_CODE)
    quotes = _checkable_quotes(claim)
    if not claim.lines and not quotes:
        return Check("location", None, "cites no line and quotes no code")
    total = len(unit.lines)
    for line in claim.lines:
        if not 0 < line <= total:
            return Check("location", False, f"line {line} does not exist: {unit.path} has {total} lines",
                         Verdict.NOT_IN_CODE)
    cited = claim.lines[0] if claim.lines else None
    if unit.shown is not None and cited is not None and not any(line in unit.shown for line in claim.lines):
        # A diff's reviewer saw only the diff: a line outside it is the wrong
        # line, unless the quoted code is in the diff under another number.
        for quote in quotes:
            found = find_quote(unit, quote, cited)
            if found is not None and found in unit.shown:
                return Check("location", False, f"`{_short(quote)}` is on line {found}, not line {cited}",
                             Verdict.WRONG_LINE, found_line=found)
        return Check("location", False, f"line {cited} is outside the diff ({_ranges(unit.shown)} shown on the "
                                        f"{unit.side} side)", Verdict.WRONG_LINE)
    for quote in quotes:
        found = find_quote(unit, quote, cited)
        short = _short(quote)
        if found is None:
            return Check("location", False, f"`{short}` is not in {unit.path}", Verdict.NOT_IN_CODE)
        if cited is not None and not any(abs(found - line) <= WINDOW for line in claim.lines):
            return Check("location", False, f"`{short}` is on line {found}, not line {cited}", Verdict.WRONG_LINE,
                         found_line=found)
        if unit.shown is not None and found not in unit.shown:
            return Check("location", False, f"`{short}` (line {found}) is outside the lines the diff shows",
                         Verdict.WRONG_LINE, found_line=found)
    if quotes:
        at = f" at line {cited}" if cited is not None else ""
        return Check("location", True, f"the quoted code is in {unit.path}{at}")
    return Check("location", True, f"line {cited} exists in {unit.path}: `{_short(unit.line(cited or 1))}`")


def identifiers(claim: Claim, unit: CodeUnit | None, index: Index | None) -> Check:
    if unit is None or index is None or not (claim.identifiers or claim.fix_identifiers):
        return Check("identifiers", None, "names no code identifier")
    fixes = claim.fix_identifiers
    missing: list[str] = []
    proposed_missing: list[str] = []
    for name in claim.identifiers:
        if name not in fixes and _exists(index, name, unit.path) is False:
            missing.append(name)
    for name in fixes:
        if _exists(index, name, unit.path) is False:
            proposed_missing.append(name)
    if not missing and not proposed_missing:
        count = len(set(claim.identifiers) | set(fixes))
        return Check("identifiers", True, f"all {count} named identifier(s) exist")
    parts = []
    if missing:
        parts.append(f"names {_names(missing)}, which {'does' if len(missing) == 1 else 'do'} not exist in "
                     f"{unit.path}, the project or the modules it imports")
    if proposed_missing:
        parts.append(f"proposes {_names(proposed_missing)} as the fix, which {'does' if len(proposed_missing) == 1 else 'do'} "
                     "not exist")
    return Check("identifiers", False, "; ".join(parts), Verdict.INVENTED_IDENTIFIER)


def _exists(index: Index, name: str, path: str) -> bool | None:
    """Whether `name` exists for code in `path`; None when it is not a code
    name at all (`server['id']`) or the file is not in the index."""
    try:
        return index.lookup(name, path).exists
    except (ValueError, KeyError):
        return None


# What the code must contain for a weakness to be plausible there (searched
# around the cited line, or in the whole unit when no line is cited).
_CONSTRUCTS: dict[int, tuple[str, re.Pattern[str]]] = {
    89: ("a query", re.compile(r"(?i)execute|cursor|\.raw\(|\bquery\b|\bsql|select\s|insert\s|update\s|delete\s")),
    78: ("a command", re.compile(r"subprocess|os\.system|popen|spawn|\bexec[lv]|shell|check_output|commands\.")),
    77: ("a command", re.compile(r"subprocess|os\.system|popen|spawn|\bexec[lv]|shell|check_output")),
    79: ("HTML output", re.compile(r"(?i)html|render|response|markup|mark_safe|template|\.write\(|return")),
    22: ("a file path", re.compile(r"(?i)open\(|path|file|send_|\.read|\.write|extract|remove|unlink|join")),
    502: ("deserialisation", re.compile(r"pickle|yaml|marshal|shelve|jsonpickle|dill|\.loads?\(")),
    611: ("XML parsing", re.compile(r"(?i)xml|etree|lxml|sax|minidom|parse")),
    918: ("an outgoing request", re.compile(r"(?i)requests|urlopen|http|url|fetch|client|session\.")),
    601: ("a redirect", re.compile(r"(?i)redirect|location")),
    94: ("code evaluation", re.compile(r"\beval\(|\bexec\(|compile\(|__import__")),
    95: ("code evaluation", re.compile(r"\beval\(|\bexec\(")),
    90: ("an LDAP query", re.compile(r"(?i)ldap|search_s|\.search\(")),
    643: ("an XPath query", re.compile(r"(?i)xpath|\.find(all)?\(")),
    327: ("cryptography", re.compile(r"(?i)md5|sha1|\bdes\b|rc4|cipher|crypt|hash|ecb")),
    328: ("a hash", re.compile(r"(?i)md5|sha1|hash")),
    295: ("certificate checking", re.compile(r"(?i)verify|ssl|tls|cert|context|check_hostname")),
    798: ("a credential", re.compile(r"(?i)pass|secret|token|key|credential|auth")),
    259: ("a password", re.compile(r"(?i)pass")),
    330: ("random values", re.compile(r"(?i)random|uuid|token")),
    338: ("random values", re.compile(r"(?i)random")),
    117: ("logging", re.compile(r"(?i)log")),
    377: ("a temporary file", re.compile(r"(?i)tmp|temp|mktemp")),
}


def weakness(claim: Claim, unit: CodeUnit | None, lines: list[int] | None = None) -> Check:
    """`lines`: where the claimed code really is, when location found it
    elsewhere (default: the lines the claim cites)."""
    if not claim.cwes:
        return Check("weakness", None, "names no CWE")
    unknown = [c for c in claim.cwes if not is_known_cwe(c)]
    if unknown:
        return Check("weakness", False, f"{', '.join(f'CWE-{c}' for c in unknown)} is not in the CWE catalogue",
                     Verdict.INVENTED_IDENTIFIER)
    if unit is None:
        return Check("weakness", True, f"{cwe_title(claim.cwes[0])} exists")
    lines = lines or claim.lines
    if lines:
        first, last = min(lines), max(lines)
        around = "\n".join(unit.lines[max(0, first - 1 - WINDOW):last + WINDOW])
        where = f"lines {max(1, first - WINDOW)}-{min(len(unit.lines), last + WINDOW)}"
    else:
        around, where = unit.text, unit.path
    for cwe in claim.cwes:
        construct = _CONSTRUCTS.get(cwe)
        if construct is not None and not construct[1].search(around):
            return Check("weakness", False, f"{cwe_title(cwe)} needs {construct[0]}, and {where} "
                                            f"of {unit.path} hold none", Verdict.NOT_IN_CODE)
    return Check("weakness", True, f"{cwe_title(claim.cwes[0])} fits the code it points at")


def test_context(claim: Claim, unit: CodeUnit | None, lines: list[int] | None = None) -> Check:
    if not claim.is_defect or unit is None:
        return Check("test-context", None, "not a defect claim" if unit is not None else "no code to place it in")
    lines = lines or claim.lines
    line = lines[0] if lines else None
    scope = unit.test_scope(line) if line is not None else None
    if scope is not None:
        return Check("test-context", False, f"line {line} is in {scope} of {unit.path}: test fixtures, mocks and "
                                            "assertions do not run in production", Verdict.TEST_ONLY)
    if unit.is_test:
        return Check("test-context", False, f"{unit.path} is test code: it does not run in production",
                     Verdict.TEST_ONLY)
    return Check("test-context", True, "about code that runs in production")


# Two hedges in one defect claim are vague: it can no longer be held to anything.
MAX_HEDGES = 1


def actionability(claim: Claim) -> Check:
    if not claim.is_defect:
        return Check("actionability", None, "not a defect claim")
    lacks = []
    if not claim.lines and not claim.quotes:
        lacks.append("a location")
    if not claim.fix:
        lacks.append("a fix")
    hedged = len(claim.hedges) > MAX_HEDGES
    if not lacks and not hedged:
        return Check("actionability", True, "names a location and a fix")
    parts = []
    if lacks:
        parts.append("lacks " + " and ".join(lacks))
    if hedged:
        parts.append(f"hedges {len(claim.hedges)} times ({', '.join(repr(h) for h in claim.hedges[:4])})")
    return Check("actionability", False, "; ".join(parts), Verdict.VAGUE)


def _names(names: list[str]) -> str:
    return ", ".join(f"`{n}`" for n in names)


def _short(text: str, limit: int = 70) -> str:
    one = " ".join(text.split())
    return one if len(one) <= limit else one[: limit - 3] + "..."


def _ranges(lines: frozenset[int]) -> str:
    ordered = sorted(lines)
    if not ordered:
        return "no lines"
    spans, start, prev = [], ordered[0], ordered[0]
    for line in ordered[1:]:
        if line != prev + 1:
            spans.append((start, prev))
            start = line
        prev = line
    spans.append((start, prev))
    text = ", ".join(f"{a}-{b}" if a != b else str(a) for a, b in spans)
    return f"line{'s' if len(ordered) > 1 else ''} {text}"
