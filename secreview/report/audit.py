"""Renderers for `secreview audit`: a table of claims with the verdict on
each and why, the review-level consistency check, and the score."""

from __future__ import annotations

import json

from secreview.grounding.audit import SCORE_DEFINITION, AuditReport
from secreview.grounding.model import ClaimResult

AUDIT_FORMATS = ("text", "json", "markdown")


def render_audit(report: AuditReport, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n"
    if fmt == "markdown":
        return _markdown(report)
    if fmt == "text":
        return _text(report)
    raise ValueError(f"unknown format {fmt!r} (choose from {', '.join(AUDIT_FORMATS)})")


def _headline(report: AuditReport) -> str:
    n = len(report.results)
    bad = len(report.ungrounded)
    verdict = "PASSED" if report.passed else "FAILED"
    return (f"{verdict}: {n - bad} of {n} claim(s) grounded; score {report.score:.2f} "
            f"(review verdict: {report.review.verdict.value}).")


def _cited(result: ClaimResult) -> str:
    claim = result.claim
    where = f"{claim.path}:" if claim.path else ""
    if claim.lines:
        return where + (str(claim.lines[0]) if len(claim.lines) == 1 else f"{claim.lines[0]}-{claim.lines[-1]}")
    return where.rstrip(":") or "-"


def _title(result: ClaimResult, limit: int = 60) -> str:
    text = result.claim.title or " ".join(result.claim.text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _why(result: ClaimResult) -> list[str]:
    failed = result.failed
    if not failed:
        passed = [c for c in result.checks if c.ok]
        return [c.reason for c in passed] or ["nothing to check"]
    return [f"{c.name}: {c.reason}" for c in failed]


def _text(report: AuditReport) -> str:
    out = [_headline(report), ""]
    for check in report.review_checks:
        mark = "ok" if check.ok else "CONTRADICTION"
        out.append(f"Consistency ({mark}): {check.reason}")
    out.append("")
    for result in report.results:
        kind = "defect claim" if result.claim.is_defect else "observation"
        out.append(f"[{result.claim.index}] {_title(result)}  (line {_cited(result)}, {kind})")
        out.append(f"    verdict: {result.verdict.value}")
        out += [f"    - {reason}" for reason in _why(result)]
        out.append("")
    out.append(f"Code audited: {', '.join(report.units) or 'none'}.")
    out.append(f"Score: {SCORE_DEFINITION}.")
    return "\n".join(out) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _markdown(report: AuditReport) -> str:
    out = ["# secreview audit", "", f"**{_headline(report)}**", ""]
    for check in report.review_checks:
        out.append(f"- Consistency: {'ok' if check.ok else '**contradiction**'}: {_cell(check.reason)}")
    out += ["", "| # | Claim | Cited line | Verdict | Why |", "|---|---|---|---|---|"]
    for result in report.results:
        out.append(f"| {result.claim.index} | {_cell(_title(result))} | {_cell(_cited(result))} | "
                   f"{result.verdict.value} | {_cell('; '.join(_why(result)))} |")
    out += ["", f"_Code audited: {_cell(', '.join(report.units) or 'none')}. Score: {SCORE_DEFINITION}._", ""]
    return "\n".join(out)
