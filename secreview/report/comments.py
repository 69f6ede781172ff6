"""Line comments and the summary message of a review posted to a code host
(Gerrit, GitHub): the same words as the other formats, cut to one finding.

Each comment ends with a marker line holding the finding's fingerprint, so a
later run can see which findings an earlier patch set already carries and
not repeat them.
"""

from __future__ import annotations

import re
from typing import Iterable

from secreview.cwe import cwe_title
from secreview.model import Finding, Report, Verdict
from secreview.report import llm_sentences, scope_sentences

FINGERPRINT_MARK = "secreview-fingerprint:"
_MARK = re.compile(re.escape(FINGERPRINT_MARK) + r"\s*([0-9a-f]{32})\b")


def comment_body(finding: Finding, *, markdown: bool = True, suggestion: bool = False) -> str:
    """One finding as a line comment. With `suggestion` (GitHub), a mechanical
    fix is offered as a ```suggestion block that replaces the commented lines."""
    cwes = "; ".join(cwe_title(c) for c in finding.cwe)
    head = (f"{finding.severity.label.upper()} severity, {finding.confidence.label} confidence: "
            f"{cwes} ({finding.rule})")
    parts = [f"**{head}**" if markdown else head, "", finding.message, "", f"Why: {finding.explanation}"]
    if finding.trace:
        parts += ["", "Evidence:"]
        parts += [f"- {step.path}:{step.line}: {step.note}" for step in finding.trace]
    parts += ["", f"Fix: {finding.fix.description}"]
    if suggestion and finding.fix.replacement is not None:
        fence = "`" * max(3, 1 + max((len(r) for r in re.findall(r"`+", finding.fix.replacement)), default=0))
        parts += ["", f"{fence}suggestion", finding.fix.replacement.rstrip("\n"), fence]
    parts += ["", f"{FINGERPRINT_MARK} {finding.fingerprint}"]
    return "\n".join(parts)


def fingerprints_in(texts: Iterable[str]) -> set[str]:
    """Fingerprints named by secreview markers in earlier comments."""
    found: set[str] = set()
    for text in texts:
        if isinstance(text, str):
            found.update(_MARK.findall(text))
    return found


def summary_message(report: Report, *, posted: int, repeated: int, outside: int = 0) -> str:
    """The review's top-level message: the verdict, what was analysed, and
    what was skipped or not repeated."""
    lines = [f"secreview: {report.summary}"]
    if report.verdict is Verdict.INCOMPLETE:
        lines.append("Not analysed:" if all(e.stage == "static" for e in report.errors) else "Not fully reviewed:")
        lines += [f"- {e.path}: {e.reason}" for e in report.errors]
    s = report.stats
    lines += [n.strip() for n in scope_sentences(report) + llm_sentences(report)]
    lines.append(f"Analysed {s.files_analyzed} file(s), {s.lines_analyzed} line(s) with "
                 f"{len(report.rules_run)} rules.")
    if repeated:
        lines.append(f"{repeated} finding(s) that an earlier secreview review already commented on "
                     "are not repeated.")
    if outside:
        lines.append(f"{outside} finding(s) on lines outside the diff are listed below instead of inline.")
    if posted:
        lines.append(f"{posted} inline comment(s).")
    return "\n".join(lines)
