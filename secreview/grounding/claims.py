"""Split a free-text review into claims: `parse_review`.

A review arrives as plain prose, as Markdown (numbered or bulleted findings,
bold titles, headings, fenced code), or as JSON exported from a code host: a
GitHub list of review comments, a Gerrit map of path to comments, or either
under `{"comments": ...}`. `parse_review` returns the review's overall verdict
and one `Claim` per finding, carrying everything a grounding check can hold the
finding to: the lines it cites, the file it names, the code it quotes, the
identifiers it mentions and those it proposes as the fix, the CWEs it gives,
how much it hedges, and whether it asserts a defect at all.

Everything is deterministic text processing (named regular expressions, and
Python's own `ast` for quoted code): no model, no network, no I/O.

How a review is split
---------------------
- JSON: one claim per comment. `path`, the line(s) and `side` come from the
  comment's fields; everything else from its body. A top-level `body` or
  `message` next to `comments` is where the verdict is.
- Markdown with findings: each top-level list item, and each leaf heading
  section that holds no list of its own (or whose title is numbered, "### 1.
  SQL injection"), is a claim, together with its continuation lines, nested
  lists, indented paragraphs and code blocks. Text before the first finding
  and after the last (an introduction, a summary, a "Based on this review:"
  list) is not a claim; it is where the verdict is looked for.
- Prose without findings: each paragraph that cites a line or quotes code is a
  claim, and the verdict may be in any paragraph.

How a claim is read
-------------------
Code (back-tick spans and fenced blocks) is first masked out of the text, so
that prose rules never fire on code and code is never read as prose. Then:

- `lines`: "line 40", "lines 40-42" (expanded; see `MAX_LINE_RANGE`), "lines
  40 and 47", "L40", "app.py:40".
- `quotes`: the code spans, as written, in order, without repeats.
- `identifiers`: names in each quote, read with `ast` when the quote parses;
  otherwise only tokens that look like code (`_`, `.` or `()`); plus calls
  written in prose without back-ticks (`foo.bar()`). Never string contents,
  never keywords, never keyword-argument names.
- `fix` / `fix_identifiers`: the sentences that propose a change (see
  `FIX_CUES`, and a GitHub "```suggestion" block), and the identifiers the
  fix introduces: named in what it proposes, not in what it replaces ("use
  `a()` instead of `b`" proposes `a`), and not cited elsewhere in the claim
  (in "`cur.execute(q % name)` ... Fix: bind it with `cur.execute`",
  `cur.execute` is code the claim cites, checked as such).
- `is_defect`: see `DEFECT_CUES` and `FINE_CUES`.
- `hedges`: see `HEDGES`.
"""

from __future__ import annotations

import ast
import bisect
import json
import keyword
import re
import textwrap
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from secreview.grounding.model import Claim, ParsedReview, ReviewVerdict
from secreview.grounding.names import dotted_name

__all__ = ["CLEAN_STATEMENTS", "DEFECT_CUES", "DEFECT_STATEMENTS", "FINE_CUES", "FIX_CUES", "HEDGES",
           "MAX_LINE_RANGE", "code_names", "parse_claim", "parse_review", "review_verdict"]


def _phrases(phrases: Iterable[str]) -> re.Pattern[str]:
    """Any of `phrases` as whole words, the longest first (so "could
    potentially" wins over "potentially"), any white space between words."""
    ordered = sorted(phrases, key=len, reverse=True)
    alternatives = (r"\s+".join(map(re.escape, phrase.split())) for phrase in ordered)
    return re.compile(r"(?<![\w-])(?:" + "|".join(alternatives) + r")(?![\w-])", re.IGNORECASE)


def _any_of(patterns: dict[str, str]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns.values()), re.IGNORECASE)


# ---------------------------------------------------------------------------
# Vocabulary. All of it is matched on prose only (code is masked first), and
# case-insensitively.
# ---------------------------------------------------------------------------

# Words that let a claim avoid committing to anything: modal hedges ("might"),
# vague qualifiers ("generally"), and boiler-plate remedies that name no
# mechanism ("appropriate authentication and authorization mechanisms"). A
# longer phrase is reported instead of the shorter one inside it. Plain
# "could" and "proper" are left out on purpose: "an attacker could read any
# file" and "without proper escaping" are concrete.
HEDGES: tuple[str, ...] = (
    "could potentially", "could possibly", "may potentially", "might potentially", "potentially",
    "possibly", "perhaps", "might", "may be", "may",
    "seems to", "seem to", "appears to", "appear to", "likely",
    "generally", "in general", "typically", "usually",
    "it is important to ensure", "it is recommended to", "it is advisable to",
    "consider using appropriate", "appropriate authentication and authorization mechanisms",
    "appropriate security measures", "appropriate measures", "appropriate mechanisms",
    "appropriate access controls", "appropriate validation",
    "proper authorization", "proper authentication", "proper validation", "proper input validation",
    "proper sanitization", "secure coding practices", "best practices",
    "where appropriate", "if necessary", "as needed",
)
_HEDGE = _phrases(HEDGES)

# What a verdict is about: a defect noun, maybe qualified ("a few potential
# security-related issues"), maybe counted ("2 vulnerabilities").
_NOUN = r"(?:defects?|issues?|vulnerabilit(?:y|ies)|problems?|flaws?|weakness(?:es)?|concerns?|risks?|bugs?)"
_QUALIFIED = (r"(?:(?:security|security-related|potential|possible|obvious|significant|major|critical|serious|"
              r"other|known|apparent|exploitable|real|actual|further|additional|notable|specific|immediate|"
              r"glaring|new|remaining)\s+){0,3}" + _NOUN)
_COUNT = (r"(?:a\s+few|a\s+couple\s+of|several|some|many|multiple|numerous|a|an|one|two|three|four|five|"
          r"six|seven|eight|nine|ten|\d+)")

# A review's overall statement that it found nothing.
CLEAN_STATEMENTS: dict[str, str] = {
    # "No security defects are detected", "no issues found", "there are no vulnerabilities"
    "no defects": rf"\bno\s+{_QUALIFIED}\b",
    # "does not contain any security defects", "I did not find any issues"
    "not any": (r"\b(?:does|do|did|could|can|cannot|can't|doesn't|didn't|don't|couldn't|won't|will)\s*(?:not\s+)?"
                r"(?:\w+\s+)?(?:contain|have|has|find|detect|identify|see|introduce|spot|observe|reveal|notice)"
                rf"\s+any\s+{_QUALIFIED}"),
    # "free of security issues"
    "free of": rf"\b(?:free\s+(?:of|from)|devoid\s+of)\s+(?:any\s+)?{_QUALIFIED}",
    # "nothing to report"
    "nothing": r"\bnothing\s+(?:to\s+report|(?:security[- ])?(?:relevant|concerning|suspicious|exploitable))\b",
}
# A review's overall statement that it found something.
DEFECT_STATEMENTS: dict[str, str] = {
    # "there are a few potential security-related issues"
    "there are some": (r"\bthere\s+(?:are|is|were|was|exists?|remains?|appear\s+to\s+be|seem\s+to\s+be)\s+"
                       rf"(?:also\s+|still\s+)?{_COUNT}\s+{_QUALIFIED}"),
    # "I found 2 vulnerabilities", "we identified the following issues", "... and found one issue"
    "found some": (r"\b(?:(?:i|we)\s+(?:have\s+)?|and\s+)(?:found|identified|detected|discovered|spotted|noticed|"
                   r"observed|see)"
                   rf"\s+(?:{_COUNT}\s+|the\s+following\s+)?{_QUALIFIED}"),
    # "the following security defects"
    "the following": rf"\bthe\s+following\s+{_QUALIFIED}",
    # "two vulnerabilities were found"
    "were found": (rf"\b{_COUNT}\s+{_QUALIFIED}\s+(?:were|was|have\s+been|has\s+been)\s+"
                   r"(?:found|detected|identified|discovered)"),
    # "the code contains several vulnerabilities"
    "contains some": rf"\b(?:contains?|has|have|introduces?)\s+(?:{_COUNT}\s+)?{_QUALIFIED}",
}
_CLEAN_STATEMENT = _any_of(CLEAN_STATEMENTS)
_DEFECT_STATEMENT = _any_of(DEFECT_STATEMENTS)

# A clause asserts a defect (or asks for a security change) when it says one
# of these, or gives a CWE, or proposes a fix (`FIX_CUES`), and says none of
# `FINE_CUES`. A claim is a defect claim when any of its clauses is.
DEFECT_CUES: dict[str, str] = {
    "insecure": r"\binsecure(?:ly)?\b|\bunsafe(?:ly)?\b|\bdangerous\b",
    "vulnerable": r"\bvulnerab\w*|\bsusceptible\b",
    "injection": r"\binjection\b|\binjectable\b",
    "exploitable": r"\bexploit(?:able|ed|s)?\b|\battackers?\b|\bmalicious\b",
    "without protection": (r"\bwithout\s+(?:any\s+)?(?:proper|sufficient|adequate|authori[sz]ation|authentication|"
                           r"validation|saniti[sz]ation|escaping|verification|encryption)\b"),
    "missing control": (r"\b(?:missing|lacks?|lacking|no)\s+(?:input\s+|proper\s+)?(?:validation|saniti[sz]ation|"
                        r"authori[sz]ation|authentication|escaping|access\s+control|csrf\s+protection)\b"),
    # "is not validated", "isn't escaped", "unsanitized", "untrusted"
    "not validated": (r"\b(?:(?:is|are|was|were)\s+(?:not|never)|isn't|aren't|wasn't|weren't)\s+"
                      r"(?:properly\s+|being\s+)?(?:validated|sanitized|sanitised|escaped|verified|authenticated|"
                      r"authorized|authorised|encrypted)\b|"
                      r"\bun(?:validated|sanitized|sanitised|escaped|verified|authenticated|trusted)\b"),
    "to avoid": r"\bto\s+(?:avoid|prevent|mitigate)\b",
    "weakness": (r"\b(?:xss|cross-site|csrf|ssrf|idor|path\s+traversal|directory\s+traversal|open\s+redirect|"
                 r"race\s+condition|toctou|deserialization|remote\s+code\s+execution|rce|privilege\s+escalation|"
                 r"denial\s+of\s+service|information\s+(?:disclosure|leak(?:age)?|exposure)|timing\s+attack|"
                 r"hard-?coded\s+(?:passwords?|secrets?|credentials?|keys?|tokens?)|clear-?text|"
                 r"weak\s+(?:hash\w*|crypto\w*|ciphers?|random\w*|encryption|keys?))\b"),
    "exposure": r"\bleak(?:s|ed|ing)?\b|\bexpos(?:es|ed|ing)\b|\bbypass\w*",
}
# A clause that says something is fine, or does not apply, is never a defect
# clause, whatever else it names ("SQL injection ... is not applicable here").
FINE_CUES: dict[str, str] = {
    "not applicable": r"\bnot\s+applicable\b|\bdoes\s+not\s+apply\b|\bdo\s+not\s+apply\b",
    "no instances": r"\bno\s+(?:\w+\s+){0,2}(?:instances?|occurrences?|signs?|evidence|indications?)\s+of\b",
    "no defects": rf"\bno\s+{_QUALIFIED}\b|\bnone\s+(?:were|was)\s+(?:found|detected)\b",
    "not a defect": (r"\b(?:not|isn't|aren't|never)\s+(?:an?\s+)?(?:real\s+|security\s+)?(?:vulnerable|exploitable|"
                     r"susceptible|concern|issue|problem|risk|vulnerability|defect|threat)\b|"
                     r"\b(?:does|do)\s+not\s+(?:pose|introduce|present|create)\b"),
    "good practice": (r"\b(?:is|are|as|was)\s+(?:a\s+)?(?:good|best|standard|common|recommended)\s+"
                      r"(?:security\s+)?practices?\b"),
    "positive": r"\bpositive\s+aspect\b|\b(?:is|are)\s+(?:a\s+)?(?:positive|strength|good\s+sign)\b",
    "acceptable": (r"\b(?:is|are|seems?|appears?|looks?)\s+(?:to\s+be\s+)?(?:generally\s+|perfectly\s+|entirely\s+|"
                   r"fully\s+|thus\s+|therefore\s+)?(?:acceptable|fine|safe|secure|correct|ok|okay|reasonable|"
                   r"harmless|standard|appropriate|adequate|sufficient|well-designed)\b"),
    "mitigated": r"\b(?:mitigates|prevents|protects\s+against|(?:is|are)\s+(?:already\s+)?mitigated)\b",
}
_DEFECT_CUE = _any_of(DEFECT_CUES)
_FINE_CUE = _any_of(FINE_CUES)
_CWE = re.compile(r"\bCWE[\s:_\u2011\u2013-]*(?P<number>\d+)\b", re.IGNORECASE)

# Where a sentence proposes a fix, and where the proposed code starts (the
# end of the match). "replace X with Y" proposes Y; the "X" part is excluded.
FIX_CUES: dict[str, str] = {
    "consider using": r"\bconsider(?:ing)?\s+(?:using|calling|switching\s+to|migrating\s+to|adding|applying)\b",
    "replace with": r"\breplac(?:e|ed|ing)\b(?P<replaced>.*?)\bwith\b",
    "switch to": r"\b(?:switch(?:ing)?|migrat(?:e|ing)|mov(?:e|ing)|chang(?:e|ing)|upgrad(?:e|ing))\s+to\b",
    "should call": (r"\b(?:should|must|needs?\s+to|ought\s+to)\s+(?:instead\s+)?(?:call|use|invoke|pass|apply|"
                    r"switch\s+to)\b"),
    "recommend": (r"\brecommend(?:s|ed)?\b(?:\s+(?:to\s+use|using|that\s+you\s+use|to\s+call|calling|to\s+switch\s+to|"
                  r"switching\s+to))?"),
    "prefer": r"\bprefer(?:ably)?\b",
    # "use ... instead" (only in a sentence that also says "instead")
    "use instead": r"\buse\b(?!\s+of\b)",
    # a label: "Fix: ...", "**Recommendation**: ..."
    "label": r"^\W*(?:suggested\s+|recommended\s+)?(?:fix|remediation|mitigation|recommendation|solution)s?\W*:",
}
_FIX_CUES = {name: re.compile(pattern, re.IGNORECASE) for name, pattern in FIX_CUES.items()}
# "should X instead of Y" / "must ... rather than": the fix is before "instead".
_PROPOSAL = re.compile(r"\b(?:should|must|needs?\s+to|ought\s+to|better\s+to|it\s+is\s+better)\b", re.IGNORECASE)
# What a fix replaces: from "instead of" to the end of its clause.
_REPLACED = re.compile(r"\b(?:instead\s+of|rather\s+than|in\s+place\s+of|over)\b[^,;:]*", re.IGNORECASE)
# After the first code a fix proposes, these end what it proposes ("use `a()`
# to retrieve `b`": `b` is not part of the fix).
_FIX_END = re.compile(r"\b(?:instead|rather\s+than|over|to|for|so|which|that|because|since|before|after|when|"
                      r"whenever|if|unless|in|on|at|where|while|as)\b|[;:(]", re.IGNORECASE)
# An imperative sentence ("Use `secrets.token_hex()`.", "To avoid this, pass
# the arguments as a list."): the verb that starts it, or starts its first
# clause after a comma. With these verbs the code after the verb is the fix:
_PROPOSING_VERBS = frozenset({"use", "call", "pass", "wrap", "apply", "prefer", "add", "enable", "set", "migrate",
                              "adopt", "employ", "invoke"})
# with these the sentence is a fix, and the code after "with"/"using"/"via" is:
_ACTING_VERBS = frozenset({"validate", "sanitize", "sanitise", "escape", "check", "verify", "hash", "encode", "quote",
                           "restrict", "limit", "remove", "avoid", "disable", "store", "parameterize", "parameterise",
                           "encrypt", "rotate", "filter", "normalize", "normalise", "require", "enforce", "replace",
                           "switch", "consider", "move", "change", "load", "compare"})
_LEADING_WORD = re.compile(r"[\s*_>\-]*(?P<word>[A-Za-z]+)\b(?!\s+of\b)")
_INSTRUMENT = re.compile(r"\b(?:with|using|via|through|by\s+(?:calling|using|passing))\b", re.IGNORECASE)

# A paragraph that starts the conclusion: nothing after it is a claim.
_CONCLUSION_LEAD = re.compile(
    r"^\W*(?:in\s+summary|to\s+summari[sz]e|summary|in\s+conclusion|to\s+conclude|conclusions?|overall|"
    r"all\s+in\s+all|in\s+short|final\s+verdict|verdict|"
    r"based\s+on\s+(?:this|the|my|these|that|the\s+above|the\s+analysis|the\s+review)|"
    r"(?:these|the\s+above|all\s+(?:of\s+)?(?:these|the\s+above))\s+(?:potential\s+|security\s+)*"
    r"(?:issues|findings|defects|vulnerabilities|problems|concerns|points|recommendations))\b",
    re.IGNORECASE)
# Headings of sections that are not findings: introductions and conclusions.
_SECTION_TITLE = re.compile(
    r"^\W*(?:summary|executive\s+summary|conclusions?|overview|introduction|intro|context|background|scope|"
    r"(?:final\s+|overall\s+)?verdict|overall(?:\s+assessment)?|tl;?dr)\W*$", re.IGNORECASE)

# A range longer than this many lines contributes only its two ends.
MAX_LINE_RANGE = 50
_RANGE_WORD = r"(?:-|\u2013|\u2014|to|through|thru)"
_LINE_NUMBERS = rf"\d+(?:\s*{_RANGE_WORD}\s*(?:lines?\s*)?\d+)?"
# "line 40", "lines 40-42", "lines 40 and 47", "line #40", "on lines 40, 42 and 47"
_LINE_REF = re.compile(
    rf"\blines?\s*(?:#|no\.?\s*|number\s*)?:?\s*(?P<numbers>{_LINE_NUMBERS}"
    rf"(?:\s*(?:,\s*(?:and\s+|or\s+)?|and|or|&)\s*{_LINE_NUMBERS})*)", re.IGNORECASE)
_LINE_ITEM = re.compile(rf"(?P<first>\d+)(?:\s*{_RANGE_WORD}\s*(?:lines?\s*)?(?P<last>\d+))?", re.IGNORECASE)
# GitHub's "L40" and "L40-L42" (also in "#L40")
_GITHUB_LINE = re.compile(r"(?<!\w)L(?P<first>\d+)(?:\s*-\s*L?(?P<last>\d+))?\b")

_SOURCE_EXT = (r"(?:py|pyi|pyx|pxd|js|jsx|ts|tsx|go|rb|java|php|rs|c|h|cc|cpp|hpp|cs|kt|swift|scala|sh|bash|"
               r"yaml|yml|toml|cfg|ini|json|xml|html|sql|txt|md|rst|conf|j2)")
# A file name without a folder could as well be `obj.attr`: only these count.
_BARE_FILE_EXT = r"(?:py|pyi|pyx|js|ts|go|rb|java|php|rs|sh|yaml|yml|toml|cfg|ini)"
# "nova/tests/test_x.py", "./app.py", "app.py" (not "request.json", not "os.path")
_PATH = (rf"(?:\./|/)?(?:[\w.-]+/)+[\w.-]+\.{_SOURCE_EXT}|[\w-]+(?:\.[\w-]+)*\.{_BARE_FILE_EXT}")
_PATH_REF = re.compile(rf"(?<![\w./-])(?P<path>{_PATH})(?![\w/(-]|\.\w)")
# "app.py:40", "app.py:40-42"
_PATH_LINE = re.compile(rf"(?<![\w./-])(?P<path>{_PATH}):(?P<first>\d+)(?:-(?P<last>\d+))?\b")

_NEW_SIDE = re.compile(r"\b(?:new|right)[\s-]+side\b|\badded\s+lines?\b|\bline\s+added\b", re.IGNORECASE)
_OLD_SIDE = re.compile(r"\b(?:old|left)[\s-]+side\b|\b(?:removed|deleted)\s+lines?\b|\bline\s+(?:removed|deleted)\b",
                       re.IGNORECASE)

# Markdown structure, line by line.
_FENCE_OPEN = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
_HEADING = re.compile(r"^ {0,3}(?P<hashes>#{1,6})[ \t]+(?P<text>.*?)[ \t]*#*[ \t]*$")
_THEMATIC_BREAK = re.compile(r"^[ \t]*(?:(?:-[ \t]*){3,}|(?:\*[ \t]*){3,}|(?:_[ \t]*){3,})$")
# "1. ", "2) ", "- ", "* ", "+ ", "• "
_LIST_ITEM = re.compile(r"^(?P<indent>[ \t]*)(?:\d{1,9}[.)]|[-*+\u2022])[ \t]+(?=\S)")
# "**1. Title**": a numbered finding written in bold instead of as a list
_BOLD_NUMBERED_ITEM = re.compile(r"^(?P<indent>[ \t]*)(?=\*\*\d{1,9}[.)][ \t]+\S)")
# "1. ", "Issue 1:", "Finding #2 -": a numbered title
_NUMBERED_TITLE = re.compile(
    r"^\W*(?:\d{1,9}[.):]|(?:issue|finding|vulnerability|problem|defect|concern)\s*#?\d+\b\s*[:.)\-\u2013\u2014]?)"
    r"\s*", re.IGNORECASE)
_BOLD_LEAD = re.compile(r"^\s*(?P<mark>\*\*|__)(?P<title>.+?)(?P=mark)")

# Inline code and prose.
_BACKTICKS = re.compile(r"`+")
_MASK = "\ue000"  # stands for every character of masked code
# A call written in prose: "foo.bar()", "eval(data)"; not "function(s)".
_PROSE_CALL = re.compile(r"(?<![\w.\ue000])(?P<name>[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)\((?!e?s\))")
# In code that does not parse: strings (dropped) and name-like tokens.
_STRING_LITERAL = re.compile(r"'[^'\n]*'|\"[^\"\n]*\"")
_CODE_TOKEN = re.compile(r"(?<![\w.])(?P<name>[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)(?P<call>\(\))?")
# "verify=False": a keyword argument, not an assignment to a variable
_KEYWORD_ARGUMENT = re.compile(r"^\s*[A-Za-z_]\w*=(?!=)")

# Sentence boundaries in masked prose.
_SENTENCE_BREAK = re.compile(
    r"(?<=[.!?])(?<!\be\.g\.)(?<!\bi\.e\.)(?<!\betc\.)(?<!\bvs\.)(?<!\bcf\.)\s+"  # end punctuation
    r"|(?<=:)[ \t]*\n"  # a line ending with a colon introduces what follows
    r"|\n[ \t]*\n\s*"  # a blank line
    r"|\n(?=[ \t]*(?:[-*+\u2022]|\d{1,9}[.)])[ \t])"  # a list item
    r"|\n(?=[ \t]*#)")  # a heading
# Where a sentence turns ("X is fine; however, Y"): its clauses are judged apart.
_CONTRAST = re.compile(r";|\b(?:but|however|although|though|whereas|yet|nevertheless|nonetheless)\b",
                       re.IGNORECASE)
# A clause that concedes first ("While X is fine, Y is not"): split at its comma.
_CONCESSIVE = re.compile(r"^\W*(?:while|although|though|whereas|even\s+though|despite)\b", re.IGNORECASE)
# A list marker or heading marks at the start of a sentence: not part of it.
_LIST_MARKER_LEAD = re.compile(r"^\s*(?:#{1,6}\s+|[-*+\u2022]\s+|\d{1,9}[.)]\s+)")
# A sentence end inside a would-be title ("In line 40 it fails. Then: ...").
_SENTENCE_END = re.compile(r"[.!?]\s")
# A blank line: code spans never cross one.
_BLANK_LINE = re.compile(r"\n[ \t]*\n")
# "instead" anywhere in a sentence (for "use ... instead"), and "instead of"
# / "rather than" (for "X should be used instead of Y").
_INSTEAD = re.compile(r"\binstead\b", re.IGNORECASE)
_INSTEAD_OF = re.compile(r"\b(?:instead\s+of|rather\s+than)\b", re.IGNORECASE)


# ---------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------

def parse_review(text: str) -> ParsedReview:
    """The verdict and the claims of a review (prose, Markdown or JSON).

    Text that starts with `[` or `{` and parses as JSON must be a GitHub
    comment list, a Gerrit comment map or `{"comments": ...}`: anything else
    raises `ValueError`. Text that only looks like JSON is read as prose."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        return ParsedReview(ReviewVerdict.UNSTATED, "", [])
    if text.lstrip()[:1] in ("[", "{"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError:
            pass
        else:
            return _json_review(data)
    return _markdown_review(text)


def parse_claim(text: str, index: int = 1, *, title: str | None = None, lines: Iterable[int] = (),
                path: str | None = None, side: str | None = None) -> Claim:
    """One claim read from its text. `lines`, `path` and `side` known from a
    structured source (a JSON comment's fields) come first; the text adds the
    lines it cites and fills in what was not given. `title` defaults to the
    text's bold lead or the short text before its first colon."""
    codes = _code_spans(text)
    masked = _mask(text, codes)
    mentions = _mentions(masked, codes)
    sentences = _sentences(masked)
    fixes = _fixes(masked, sentences, mentions)
    identifiers = _unique(name for mention in mentions for name in mention.names)
    proposed = _within(mentions, [span for fix in fixes for span in fix.proposed])
    replaced = _within(mentions, [span for fix in fixes for span in fix.replaced])
    # A name the claim also uses outside its fix is code it cites, not a name the fix introduces.
    cited = {name for k in set(range(len(mentions))) - _within(mentions, [(f.start, f.end) for f in fixes])
             for name in mentions[k].names}
    return Claim(
        index=index,
        text=text,
        title=_title(text, masked) if title is None else title,
        lines=_unique([*lines, *_cited_lines(masked, codes)]),
        path=path or _named_path(masked, codes),
        side=side or _named_side(masked),
        quotes=_unique(code.content for code in codes),
        identifiers=identifiers,
        fix_identifiers=_unique(name for k in sorted(proposed - replaced) for name in mentions[k].names
                                if name not in cited),
        cwes=_unique(int(m["number"]) for m in _CWE.finditer(text)),
        is_defect=_asserts_defect(masked, sentences, fixes),
        hedges=_unique(" ".join(m.group().lower().split()) for m in _HEDGE.finditer(masked)),
        fix=" ".join(text[fix.start:fix.end] for fix in fixes),
    )


def review_verdict(text: str) -> tuple[ReviewVerdict, str]:
    """What `text` says overall, and the sentence(s) that say it: the first
    statement decides ("No defects. However, there are a few issues" is
    CLEAN; the contradiction is the audit's to report), and the verdict text
    holds every sentence that states that same verdict."""
    return _verdict_of([text])


# ---------------------------------------------------------------------------
# JSON: GitHub and Gerrit exports
# ---------------------------------------------------------------------------

_JSON_SHAPES = ('a GitHub comment list ([{"path", "line", "side", "body"}, ...]), a Gerrit comment map '
                '({"path": [{"line", "message"}, ...]}) or {"comments": ...}')
_SIDES = {"right": "new", "revision": "new", "left": "old", "parent": "old"}


def _json_review(data: Any) -> ParsedReview:
    """One claim per comment; the verdict from a top-level `body`/`message`."""
    summary = ""
    comments = data
    if isinstance(data, dict) and "comments" in data:
        comments = data["comments"]
        summary = next((data[k] for k in ("body", "message") if isinstance(data.get(k), str)), "")
    entries: list[tuple[str | None, Any]]
    if isinstance(comments, list):
        entries = [(None, comment) for comment in comments]
    elif isinstance(comments, dict) and all(isinstance(v, list) for v in comments.values()):
        entries = [(str(path), comment) for path, listed in comments.items() for comment in listed]
    else:
        raise ValueError(f"review JSON is not {_JSON_SHAPES}: got {_describe(data)}")
    claims = [_json_claim(n, path, comment) for n, (path, comment) in enumerate(entries, start=1)]
    verdict, verdict_text = _verdict_of([summary]) if summary.strip() else (ReviewVerdict.UNSTATED, "")
    return ParsedReview(verdict, verdict_text, claims)


def _describe(data: Any) -> str:
    """What a JSON value is, for an error message."""
    if isinstance(data, dict):
        return "an object with keys " + ", ".join(repr(k) for k in list(data)[:5])
    if isinstance(data, list):
        return "a list"
    return f"a JSON {type(data).__name__}"


def _json_claim(n: int, key: str | None, comment: Any) -> Claim:
    """Comment `n` as a claim: path, lines and side from its fields (a
    GitHub `start_line`..`line` or a Gerrit `range`; `original_line` for an
    outdated GitHub comment), the rest from its text."""
    if not isinstance(comment, dict):
        raise ValueError(f"review JSON comment {n} is {_describe(comment)}, not an object; expected {_JSON_SHAPES}")
    body = next((comment[k] for k in ("body", "message") if isinstance(comment.get(k), str)), None)
    if body is None:
        raise ValueError(f"review JSON comment {n} has no 'body' or 'message' text; expected {_JSON_SHAPES}")
    path = comment.get("path") if isinstance(comment.get("path"), str) else key
    if path == "/PATCHSET_LEVEL":  # Gerrit's comments on the change as a whole
        path = None
    last = _json_int(comment, "line", n)
    if last is None:
        last = _json_int(comment, "original_line", n)
    first = _json_int(comment, "start_line", n)
    if first is None:
        first = _json_int(comment, "original_start_line", n)
    span = comment.get("range")
    if isinstance(span, dict):  # Gerrit's range of a comment on several lines
        first, last = _json_int(span, "start_line", n), _json_int(span, "end_line", n) or last
    lines = _line_span(first if first is not None else last, last) if last is not None else []
    side = _SIDES.get(str(comment.get("side", "")).lower())
    return parse_claim(body.replace("\r\n", "\n"), n, lines=lines, path=path, side=side)


def _json_int(comment: dict[str, Any], key: str, n: int) -> int | None:
    value = comment.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"review JSON comment {n}: {key!r} must be a line number, got {value!r}")
    return value


# ---------------------------------------------------------------------------
# Markdown and prose: blocks, then findings
# ---------------------------------------------------------------------------

@dataclass
class _Block:
    """One line of the review, or one whole fenced code block."""

    kind: str  # "blank", "break", "heading", "item", "text" or "fence"
    start: int  # offset of its first character
    end: int  # offset just past its last character
    indent: int = 0  # columns before its first non-blank character
    body: int = 0  # where an item's or a heading's own text starts
    level: int = 0  # a heading's level
    numbered: bool = False  # a numbered heading: "### 2. SQL injection"


@dataclass
class _Part:
    """A run of the review: one finding (`claim`) or text that is not one."""

    claim: bool
    start: int
    end: int
    body: int = 0  # where the claim's text starts (after its list marker)
    source: str = "other"  # "item", "heading" or "other"
    indent: int = 0  # an item's marker indent: deeper items are nested in it
    title: str | None = None
    detached: list[int] = field(default_factory=list)  # unindented paragraphs after a blank line


def _markdown_review(text: str) -> ParsedReview:
    """Findings when there are some; else the prose paragraphs that cite a
    line or quote code."""
    blocks = _blocks(text)
    parts = _trim_trailing(text, _findings(text, blocks))
    if any(part.claim for part in parts):
        claims = [parse_claim(text[p.body:p.end].strip(), n, title=p.title)
                  for n, p in enumerate((p for p in parts if p.claim), start=1)]
        verdict, verdict_text = _verdict_of([text[p.start:p.end] for p in parts if not p.claim])
        return ParsedReview(verdict, verdict_text, claims)
    # Prose: paragraphs that cite a line or quote code are the claims.
    claims = []
    for start, end in _prose_claims(text, blocks):
        claim = parse_claim(text[start:end].strip(), len(claims) + 1, title=_bold_title(text[start:end]))
        if claim.lines or claim.quotes:
            claims.append(claim)
    verdict, verdict_text = _verdict_of([text])
    return ParsedReview(verdict, verdict_text, claims)


def _lines(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of each line, without its line break."""
    out, pos = [], 0
    for line in text.split("\n"):
        out.append((pos, pos + len(line)))
        pos += len(line) + 1
    return out


def _indent(line: str) -> int:
    """Columns before the first non-blank character (a tab counts as four)."""
    return len(line[:len(line) - len(line.lstrip(" \t"))].expandtabs(4))


def _fence_end(text: str, lines: list[tuple[int, int]], i: int, opening: re.Match[str]) -> int:
    """The index of the line closing the fence opened on line `i` (the last
    line when it is never closed)."""
    fence = opening["fence"]
    closing = re.compile(rf"^[ \t]*{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$")
    for j in range(i + 1, len(lines)):
        if closing.match(text[lines[j][0]:lines[j][1]]):
            return j
    return len(lines) - 1


def _opens_fence(line: str) -> re.Match[str] | None:
    """The fence a line opens, if it opens one."""
    opening = _FENCE_OPEN.match(line)
    if opening and opening["fence"][0] == "`" and "`" in opening["info"]:
        return None  # "```foo```" on one line is inline code
    return opening


def _blocks(text: str) -> list[_Block]:
    """The review as blocks, line by line, a fenced code block as one block
    (so that list markers and headings inside code are never structure)."""
    lines = _lines(text)
    blocks: list[_Block] = []
    i = 0
    while i < len(lines):
        start, end = lines[i]
        line = text[start:end]
        indent = _indent(line)
        opening = _opens_fence(line)
        if opening:
            j = _fence_end(text, lines, i, opening)
            blocks.append(_Block("fence", start, lines[j][1], indent, start))
            i = j + 1
            continue
        heading = _HEADING.match(line)
        item = _LIST_ITEM.match(line) or _BOLD_NUMBERED_ITEM.match(line)
        if not line.strip():
            blocks.append(_Block("blank", start, end))
        elif _THEMATIC_BREAK.match(line):
            blocks.append(_Block("break", start, end))
        elif heading:
            blocks.append(_Block("heading", start, end, indent, start + heading.start("text"), len(heading["hashes"]),
                                 bool(_NUMBERED_TITLE.match(heading["text"]))))
        elif item:
            blocks.append(_Block("item", start, end, indent, start + item.end()))
        else:
            blocks.append(_Block("text", start, end, indent, start))
        i += 1
    return blocks


def _heading_roles(text: str, blocks: list[_Block]) -> dict[int, str]:
    """For each heading: "outside" (an introduction or a conclusion), "title"
    (the document's title), "container" (its findings are sub-headings or list
    items), or "claim" (a finding in itself)."""
    headings = [k for k, b in enumerate(blocks) if b.kind == "heading"]
    first_content = next((k for k, b in enumerate(blocks) if b.kind not in ("blank", "break")), None)
    roles = {}
    for n, k in enumerate(headings):
        block = blocks[k]
        following = headings[n + 1] if n + 1 < len(headings) else len(blocks)
        title = text[block.body:block.end]
        others = [blocks[h].level for h in headings if h != k]
        if _SECTION_TITLE.match(_clean_title(title)) or _CONCLUSION_LEAD.match(title):
            roles[k] = "outside"
        elif k == first_content and all(level > block.level for level in others):
            roles[k] = "title"
        elif following < len(blocks) and blocks[following].level > block.level:
            roles[k] = "container"
        elif any(b.kind == "item" for b in blocks[k + 1:following]) and not block.numbered:
            roles[k] = "container"
        else:
            roles[k] = "claim"
    return roles


def _findings(text: str, blocks: list[_Block]) -> list[_Part]:
    """Walk the blocks: list items and claim headings open a finding; what
    follows belongs to it until the next finding, a heading, or the start of
    a conclusion."""
    roles = _heading_roles(text, blocks)
    parts: list[_Part] = []
    current: _Part | None = None
    outside = False  # in an introduction or a conclusion: no findings here
    blank = False

    def other(block: _Block) -> None:
        if parts and not parts[-1].claim:
            parts[-1].end = block.end
        else:
            parts.append(_Part(False, block.start, block.end))

    for k, block in enumerate(blocks):
        if block.kind in ("blank", "break"):
            blank = True
            continue
        line = text[block.start:block.end]
        if block.kind == "heading":
            current = None
            outside = roles[k] == "outside"
            if roles[k] == "claim":
                current = _Part(True, block.start, block.end, block.body, "heading",
                                title=_clean_title(text[block.body:block.end]))
                parts.append(current)
            else:
                other(block)
        elif current is not None and current.source == "heading":
            current.end = block.end
        elif block.kind == "item" and not outside and current is not None and block.indent > current.indent:
            current.end = block.end  # a nested list
        elif block.kind == "item" and not outside:
            current = _Part(True, block.start, block.end, block.body, "item", block.indent)
            parts.append(current)
        elif current is not None and block.kind in ("text", "fence"):
            concludes = block.kind == "text" and _CONCLUSION_LEAD.match(line)
            if block.indent <= current.indent and concludes:
                current, outside = None, True
                other(block)
            elif (not blank or block.indent > current.indent or block.kind == "fence"
                  or text[current.start:current.end].rstrip().endswith(":")):
                current.end = block.end
            else:
                current.detached.append(block.start)
                current.end = block.end
        else:
            if block.kind == "text" and _CONCLUSION_LEAD.match(line) and any(p.claim for p in parts):
                outside = True
            current = None
            other(block)
        blank = False
    return parts


def _trim_trailing(text: str, parts: list[_Part]) -> list[_Part]:
    """A paragraph after the last item of a list, separated by a blank line
    and not indented, ends the list (it is a summary), unless the list's items
    have such paragraphs of their own (or there is only one item): then it is
    the last item's, up to a paragraph that states a verdict."""
    out: list[_Part] = []
    for n, part in enumerate(parts):
        out.append(part)
        following = parts[n + 1] if n + 1 < len(parts) else None
        if part.source != "item" or not part.detached or (following is not None and following.source == "item"):
            continue
        run = []
        for earlier in reversed(parts[:n]):
            if earlier.source != "item":
                break
            run.append(earlier)
        loose = not run or any(p.detached for p in run)
        paragraphs = zip(part.detached, [*part.detached[1:], part.end])
        cut = next((start for start, end in paragraphs
                    if not loose or _verdict_of([text[start:end]])[0] is not ReviewVerdict.UNSTATED), None)
        if cut is None:
            continue
        end = part.end
        part.end = len(text[:cut].rstrip())
        if following is not None and not following.claim:
            following.start = cut
        else:
            out.append(_Part(False, cut, end))
    return out


def _paragraphs(text: str, blocks: list[_Block]) -> list[tuple[int, int, str]]:
    """Runs of lines between blank lines, as (start, end, kind of the first
    block). A heading is a paragraph of its own; a code block after a blank
    line still belongs to the paragraph before it."""
    out: list[tuple[int, int, str]] = []
    blank = False
    for block in blocks:
        if block.kind in ("blank", "break"):
            blank = True
            continue
        joins = bool(out) and out[-1][2] != "heading" and block.kind != "heading"
        if joins and (not blank or block.kind == "fence"):
            out[-1] = (out[-1][0], block.end, out[-1][2])
        else:
            out.append((block.start, block.end, block.kind))
        blank = False
    return out


def _prose_claims(text: str, blocks: list[_Block]) -> list[tuple[int, int]]:
    """The paragraphs of a review without findings that may be claims: not
    under an introduction or conclusion heading, not from a paragraph that
    starts the conclusion ("In summary, ...") on."""
    kept: list[tuple[int, int]] = []
    outside = False
    for start, end, kind in _paragraphs(text, blocks):
        if kind == "heading":
            outside = bool(_SECTION_TITLE.match(_clean_title(text[start:end].lstrip(" #"))))
            continue
        if kept and _CONCLUSION_LEAD.match(text[start:end]):
            outside = True
        if not outside:
            kept.append((start, end))
    return kept


# ---------------------------------------------------------------------------
# Code in a text: fenced blocks and back-tick spans
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class _Code:
    start: int  # offset of the opening delimiter
    end: int  # offset just past the closing delimiter
    content: str  # the code as written
    info: str = ""  # a fenced block's info string ("python", "suggestion")


def _code_spans(text: str) -> list[_Code]:
    """Fenced blocks (content without the fence lines, de-indented by the
    fence's own indent, as Markdown does) and back-tick spans (content as
    written; for two or more back-ticks, one space just inside each is part
    of the delimiter, as in Markdown), in order."""
    spans: list[_Code] = []
    lines = _lines(text)
    prose_start = 0
    i = 0
    while i < len(lines):
        opening = _opens_fence(text[lines[i][0]:lines[i][1]])
        if not opening:
            i += 1
            continue
        j = _fence_end(text, lines, i, opening)
        closed = j > i and _FENCE_OPEN.match(text[lines[j][0]:lines[j][1]]) is not None
        body = lines[i + 1:j] if closed else lines[i + 1:j + 1]
        indent = len(opening["indent"])
        content = "\n".join(_dedent_by(text[s:e], indent) for s, e in body)
        spans.extend(_inline_spans(text, prose_start, lines[i][0]))
        if content.strip():
            spans.append(_Code(lines[i][0], lines[j][1], content, opening["info"].strip().lower()))
        prose_start = min(lines[j][1] + 1, len(text))
        i = j + 1
    spans.extend(_inline_spans(text, prose_start, len(text)))
    return spans


def _dedent_by(line: str, indent: int) -> str:
    """`line` without up to `indent` leading spaces (a fence's own indent)."""
    spaces = len(line) - len(line.lstrip(" "))
    return line[min(spaces, indent):]


def _inline_spans(text: str, start: int, end: int) -> list[_Code]:
    """Back-tick spans in `text[start:end]`, as Markdown pairs them: a run of
    back-ticks is closed by the next run of the same length."""
    out = []
    runs = list(_BACKTICKS.finditer(text, start, end))
    k = 0
    while k < len(runs):
        opener = runs[k]
        width = len(opener.group())
        closer = next((j for j in range(k + 1, len(runs)) if len(runs[j].group()) == width), None)
        content = text[opener.end():runs[closer].start()] if closer is not None else ""
        if closer is None or _BLANK_LINE.search(content):
            k += 1  # a lone back-tick is literal; code spans stay within a paragraph
            continue
        if width > 1 and len(content) > 2 and content[0] == " " and content[-1] == " ":
            content = content[1:-1]
        if content.strip():
            out.append(_Code(opener.start(), runs[closer].end(), content))
        k = closer + 1
    return out


def _mask(text: str, codes: list[_Code]) -> str:
    """`text` with every character of code (delimiters included) replaced by
    `_MASK`, except line breaks: offsets stay the same, prose rules see no code."""
    chars = list(text)
    for code in codes:
        for i in range(code.start, code.end):
            if chars[i] != "\n":
                chars[i] = _MASK
    return "".join(chars)


# ---------------------------------------------------------------------------
# Identifiers
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class _Mention:
    """Code the claim mentions: a quote, or a call written in prose."""

    start: int
    end: int
    names: list[str]
    suggestion: bool = False  # a GitHub suggested change


def _mentions(masked: str, codes: list[_Code]) -> list[_Mention]:
    """Every piece of code the claim mentions, in order: quotes (a quoted file
    path names no code) and calls written in prose."""
    out = [_Mention(code.start, code.end, [] if _is_path(code.content) else code_names(code.content),
                    code.info == "suggestion") for code in codes]
    for call in _PROSE_CALL.finditer(masked):
        if not keyword.iskeyword(call["name"]):
            out.append(_Mention(call.start(), call.end(), [call["name"]]))
    return sorted(out, key=lambda m: m.start)


def _within(mentions: list[_Mention], spans: list[tuple[int, int]]) -> set[int]:
    """The indexes of the mentions (sorted by start) that start in one of `spans`."""
    found: set[int] = set()
    for start, end in spans:
        k = bisect.bisect_left(mentions, start, key=lambda m: m.start)
        while k < len(mentions) and mentions[k].start < end:
            found.add(k)
            k += 1
    return found


def _is_path(code: str) -> bool:
    """Whether a quote is a file path (`nova/api.py`, `app.py:40`), not code."""
    code = code.strip()
    return bool(_PATH_REF.fullmatch(code) or _PATH_LINE.fullmatch(code))


def code_names(code: str) -> list[str]:
    """The identifiers in a piece of quoted code, in order: names, dotted
    chains (`self.api.post_server_action`), definitions and imports, read
    with `ast`. A quote that does not parse as a whole is read line by line;
    a line that still does not parse gives only the tokens that look like
    code (with `_`, `.` or `()`), outside string literals."""
    if _KEYWORD_ARGUMENT.match(code) and "\n" not in code.strip():
        code = code.split("=", 1)[1]  # `verify=False` names no variable `verify`
    tree = _parse(code)
    if tree is not None:
        return _tree_names(tree)
    names: list[str] = []
    for line in code.splitlines():
        if not line.strip():
            continue
        tree = _parse(line) or (_parse(line.strip()[1:]) if line.strip()[:1] in "+-" else None)
        names.extend(_tree_names(tree) if tree is not None else _token_names(line))
    return _unique(names)


def _parse(code: str) -> ast.AST | None:
    """`code` parsed, de-indented first; a block opener ("if x:") gets a body."""
    candidate = textwrap.dedent(code).strip("\n")
    if not candidate.strip():
        return None
    attempts = [candidate]
    if candidate.rstrip().endswith(":"):  # "if user.is_admin:", "def f(x):"
        attempts.append(candidate.rstrip() + " pass")
    for attempt in attempts:
        try:
            return ast.parse(attempt)
        except (SyntaxError, ValueError):
            continue
    return None


class _NameCollector(ast.NodeVisitor):
    """Collects (line, column, name) of every name a piece of code uses or
    defines; a dotted chain is one name, and the parts of it are not."""

    def __init__(self) -> None:
        self.found: list[tuple[int, int, str]] = []

    def visit_Name(self, node: ast.Name) -> None:
        self.found.append((node.lineno, node.col_offset, node.id))

    def visit_Attribute(self, node: ast.Attribute) -> None:
        chain = dotted_name(node)
        if chain is not None:
            self.found.append((node.lineno, node.col_offset, chain))
            return
        # `foo().bar`: the attribute is still a name the code uses
        self.found.append((node.end_lineno or node.lineno, (node.end_col_offset or 0) - len(node.attr), node.attr))
        self.generic_visit(node)

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> None:
        self.found.append((node.lineno, node.col_offset, node.name))
        self.generic_visit(node)

    visit_AsyncFunctionDef = visit_ClassDef = visit_FunctionDef

    def visit_arg(self, node: ast.arg) -> None:
        self.found.append((node.lineno, node.col_offset, node.arg))
        self.generic_visit(node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.module:
            self.found.append((node.lineno, node.col_offset, node.module))
        self.generic_visit(node)

    def visit_alias(self, node: ast.alias) -> None:
        for name in (node.name, node.asname):
            if name and name != "*":
                self.found.append((node.lineno, node.col_offset, name))


def _tree_names(tree: ast.AST) -> list[str]:
    collector = _NameCollector()
    collector.visit(tree)
    ordered = sorted(collector.found, key=lambda f: (f[0], f[1]))
    return _unique(name for _, _, name in ordered if not keyword.iskeyword(name))


def _token_names(code: str) -> list[str]:
    """Names in code that does not parse: only tokens that look like code."""
    prose = _STRING_LITERAL.sub(" ", code)
    return [m["name"] for m in _CODE_TOKEN.finditer(prose)
            if ("_" in m["name"] or "." in m["name"] or m["call"]) and not keyword.iskeyword(m["name"])]


# ---------------------------------------------------------------------------
# Lines, path, side, title
# ---------------------------------------------------------------------------

def _line_span(first: int, last: int | None) -> list[int]:
    """`first`..`last` (either order); a span longer than `MAX_LINE_RANGE`
    gives only its two ends."""
    if last is None or last == first:
        return [first]
    low, high = sorted((first, last))
    if high - low + 1 > MAX_LINE_RANGE:
        return [low, high]
    return list(range(low, high + 1))


def _cited_lines(masked: str, codes: list[_Code]) -> list[int]:
    """The lines the prose cites, and those of quoted `path:line`s, in order."""
    found: list[tuple[int, list[int]]] = []
    for ref in _LINE_REF.finditer(masked):
        for item in _LINE_ITEM.finditer(ref["numbers"]):
            found.append((ref.start("numbers") + item.start(), _span_of(item)))
    for pattern in (_GITHUB_LINE, _PATH_LINE):
        found.extend((ref.start(), _span_of(ref)) for ref in pattern.finditer(masked))
    for code in codes:
        quoted = _PATH_LINE.fullmatch(code.content.strip())
        if quoted:
            found.append((code.start, _span_of(quoted)))
    return _unique(line for _, lines in sorted(found, key=lambda f: f[0]) for line in lines)


def _span_of(ref: re.Match[str]) -> list[int]:
    """The lines of a match with a `first` and an optional `last` number."""
    return _line_span(int(ref["first"]), int(ref["last"]) if ref["last"] else None)


def _named_path(masked: str, codes: list[_Code]) -> str | None:
    """The first file path the claim names, in prose or as a quote."""
    found = [(m.start(), m["path"]) for m in _PATH_REF.finditer(masked)]
    for code in codes:
        ref = _PATH_LINE.fullmatch(code.content.strip()) or _PATH_REF.fullmatch(code.content.strip())
        if ref:
            found.append((code.start, ref["path"]))
    if not found:
        return None
    path = min(found)[1]
    return path[2:] if path.startswith("./") else path


def _named_side(masked: str) -> str | None:
    """"new" or "old", whichever side of a diff the text names first."""
    new, old = _NEW_SIDE.search(masked), _OLD_SIDE.search(masked)
    if new and (not old or new.start() < old.start()):
        return "new"
    return "old" if old else None


def _clean_title(title: str) -> str:
    """A title without bold marks, numbering ("1.", "Issue 2:") or a trailing colon."""
    title = title.replace("**", "").strip()
    if title.startswith("__") and title.endswith("__") and len(title) > 4:
        title = title[2:-2]
    title = _NUMBERED_TITLE.sub("", title, count=1) if _NUMBERED_TITLE.match(title) else title
    return title.strip().rstrip(":-\u2013\u2014 ").strip()


def _bold_title(text: str) -> str:
    bold = _BOLD_LEAD.match(text)
    return _clean_title(bold["title"]) if bold else ""


def _title(text: str, masked: str) -> str:
    """A finding's leading bold text, else the text before the first colon
    of its first line when that reads as a title (at most 12 words, no
    sentence end in it), else ""."""
    bold = _bold_title(text)
    if bold:
        return bold
    first = masked.split("\n", 1)[0]
    colon = first.find(":")
    if colon <= 0:
        return ""
    prefix = text[:colon]
    if len(prefix.split()) > 12 or _SENTENCE_END.search(first[:colon]):
        return ""
    return _clean_title(prefix)


# ---------------------------------------------------------------------------
# Sentences, fixes, defects, verdict
# ---------------------------------------------------------------------------

def _sentences(masked: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of masked prose, without its list
    marker: fixes, defect cues and verdicts are all judged per sentence."""
    out, start = [], 0
    for brk in [*_SENTENCE_BREAK.finditer(masked), None]:
        end = brk.start() if brk else len(masked)
        piece = masked[start:end]
        lead = len(piece) - len(piece.lstrip())
        marker = _LIST_MARKER_LEAD.match(piece[lead:])
        lead += marker.end() if marker else 0
        if piece[lead:].strip():
            out.append((start + lead, start + len(piece.rstrip())))
        start = brk.end() if brk else end
    return out


def _clauses(masked: str, start: int, end: int) -> list[tuple[int, int]]:
    """The clauses of a sentence, cut where it turns (`_CONTRAST`) and after a
    conceding clause (`_CONCESSIVE`): "this is generally acceptable; however,
    ..." says two things, and each is judged on its own."""
    cuts = [start, *(m.start() for m in _CONTRAST.finditer(masked, start, end)), end]
    out = []
    for a, b in zip(cuts, cuts[1:]):
        comma = masked.find(",", a, b)
        if _CONCESSIVE.match(masked[a:b]) and comma != -1:
            out.extend([(a, comma), (comma + 1, b)])
        elif b > a:
            out.append((a, b))
    return out


def _fine(masked: str, start: int, end: int) -> bool:
    """Whether this stretch of prose says something is fine (`FINE_CUES`)."""
    return _FINE_CUE.search(masked, start, end) is not None


@dataclass
class _Fix:
    """A sentence that proposes a fix: where it is, what code it proposes,
    and what code it replaces."""

    start: int
    end: int
    cue: int  # where the proposal is made
    proposed: list[tuple[int, int]] = field(default_factory=list)
    replaced: list[tuple[int, int]] = field(default_factory=list)


def _fixes(masked: str, sentences: list[tuple[int, int]], mentions: list[_Mention]) -> list[_Fix]:
    """The sentences that propose a fix, unless the clause proposing it says
    that something is fine. A sentence that is only a label ("**Fix:**")
    makes the next sentence the fix."""
    # A GitHub "```suggestion" block is the replacement code itself.
    fixes = [_Fix(m.start, m.end, m.start, [(m.start, m.end)]) for m in mentions if m.suggestion]
    label_start: int | None = None
    for start, end in sentences:
        if label_start is not None:
            fix: _Fix | None = _Fix(label_start, end, start, [(start, end)])
            label_start = None
        else:
            label = _FIX_CUES["label"].match(masked[start:end])
            if label and not masked[start + label.end():end].strip():
                label_start = start
                continue
            fix = _fix_in(masked, start, end, mentions)
        if fix is None:
            continue
        clause = next(((a, b) for a, b in _clauses(masked, start, end) if a <= fix.cue < b), (start, end))
        if not _fine(masked, *clause):
            fixes.append(fix)
    return sorted(fixes, key=lambda f: f.start)


def _fix_in(masked: str, start: int, end: int, mentions: list[_Mention]) -> _Fix | None:
    """The fix a sentence proposes, if it proposes one."""
    sentence = masked[start:end]
    cues: list[tuple[int, int | None]] = []  # (where the cue is, where what it proposes starts)
    replaced = [(start + m.start(), start + m.end()) for m in _REPLACED.finditer(sentence)]
    for name, pattern in _FIX_CUES.items():
        if name == "use instead" and not _INSTEAD.search(sentence):
            continue
        for cue in pattern.finditer(sentence):
            cues.append((start + cue.start(), start + cue.end()))
            if name == "replace with":
                replaced.append((start + cue.start("replaced"), start + cue.end("replaced")))
    verb = _imperative(sentence)
    if verb is not None:
        word = verb["word"].lower()
        if word in _PROPOSING_VERBS:
            cues.append((start + verb.start("word"), start + verb.end()))
        else:
            instrument = _INSTRUMENT.search(sentence, verb.end())
            cues.append((start + verb.start("word"), start + instrument.end() if instrument else None))
    # "X should be hashed with `bcrypt` instead of `md5`": proposed before "instead of"
    proposal, instead = _PROPOSAL.search(sentence), _INSTEAD_OF.search(sentence)
    before_instead = None
    if proposal is not None and instead is not None and proposal.start() < instead.start():
        before_instead = (start + proposal.start(), start + instead.start())
        cues.append((before_instead[0], None))
    if not cues:
        return None
    fix = _Fix(start, end, min(c for c, _ in cues), replaced=replaced)
    for _, at in cues:
        if at is not None:
            fix.proposed.append((at, _proposal_end(masked, at, end, mentions)))
    if before_instead is not None:
        fix.proposed.append(before_instead)
    return fix


def _imperative(sentence: str) -> re.Match[str] | None:
    """The verb of an imperative sentence, at its start or after its first
    comma ("To avoid this, pass ...")."""
    comma = sentence.find(",")
    for at in (0, comma + 1) if comma != -1 else (0,):
        word = _LEADING_WORD.match(sentence, at)
        if word and word["word"].lower() in _PROPOSING_VERBS | _ACTING_VERBS:
            return word
    return None


def _proposal_end(masked: str, at: int, end: int, mentions: list[_Mention]) -> int:
    """Where what a fix proposes ends: at the first of `_FIX_END` after the
    first code it names, or at the end of the sentence."""
    k = bisect.bisect_left(mentions, at, key=lambda m: m.start)
    if k == len(mentions) or mentions[k].start >= end:
        return end
    first = mentions[k]
    stop = _FIX_END.search(masked, first.end, end)
    return stop.start() if stop else end


def _asserts_defect(masked: str, sentences: list[tuple[int, int]], fixes: list[_Fix]) -> bool:
    """True when one clause asserts a defect: a defect cue, a CWE, or a fix
    proposed, and no fine cue in that same clause."""
    for start, end in sentences:
        for a, b in _clauses(masked, start, end):
            if _fine(masked, a, b):
                continue
            if (_DEFECT_CUE.search(masked, a, b) or _CWE.search(masked, a, b)
                    or any(a <= fix.cue < b for fix in fixes)):
                return True
    return False


def _verdict_of(chunks: list[str]) -> tuple[ReviewVerdict, str]:
    """The first statement in the chunks (read in order) decides; the text is
    every sentence that states the same."""
    statements: list[tuple[ReviewVerdict, set[ReviewVerdict], str]] = []
    for chunk in chunks:
        masked = _mask(chunk, _code_spans(chunk))
        for start, end in _sentences(masked):
            hits = sorted([(m.start(), 0, ReviewVerdict.CLEAN) for m in _CLEAN_STATEMENT.finditer(masked, start, end)]
                          + [(m.start(), 1, ReviewVerdict.DEFECTS)
                             for m in _DEFECT_STATEMENT.finditer(masked, start, end)])
            if hits:
                statements.append((hits[0][2], {v for _, _, v in hits}, chunk[start:end]))
    if not statements:
        return ReviewVerdict.UNSTATED, ""
    verdict = statements[0][0]
    return verdict, " ".join(_plain(sentence) for _, said, sentence in statements if verdict in said)


def _plain(sentence: str) -> str:
    """A sentence without list markers, heading marks, bold marks or line breaks."""
    return " ".join(_LIST_MARKER_LEAD.sub("", sentence).replace("**", "").split())


def _unique(items: Iterable[Any]) -> list[Any]:
    """`items` in order, without repeats."""
    seen: set[Any] = set()
    out = []
    for item in items:
        if item not in seen:
            seen.add(item)
            out.append(item)
    return out
