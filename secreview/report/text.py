"""The human review: what is wrong, where, why here, and how to fix it;
or, plainly, that nothing was found and what was covered."""

from __future__ import annotations

from secreview.cwe import cwe_title
from secreview.model import Finding, Report, Verdict
from secreview.report import RenderOptions, llm_sentences, scope_sentences


def render(report: Report, options: RenderOptions) -> str:
    out: list[str] = []
    if report.verdict is Verdict.INCOMPLETE:
        out.append(f"INCOMPLETE: {report.summary}")
        out.append("")
        out.append("Not analysed:" if all(e.stage == "static" for e in report.errors) else "Not fully reviewed:")
        for error in report.errors:
            out.append(f"  {error.path}: {error.reason}")
        out.append("")
    else:
        out.append(report.summary)
        out.append("")
    for number, finding in enumerate(report.findings, start=1):
        out.extend(_finding(number, finding))
    if options.show_suppressed and report.suppressed:
        out.append("Suppressed findings (not counted in the verdict):")
        for finding in report.suppressed:
            out.append(f"  {finding.path}:{finding.line} {finding.rule} - {finding.message} "
                       f"[{finding.suppressed_by}]")
        out.append("")
    notes = scope_sentences(report) + llm_sentences(report, options.show_rejected)
    if notes:
        out += notes + [""]
    out.append(_coverage(report))
    return "\n".join(out).rstrip() + "\n"


def _finding(number: int, f: Finding) -> list[str]:
    lines = [
        f"[{number}] {f.path}:{f.line}:{f.column + 1}  {f.severity.label.upper()} severity, "
        f"{f.confidence.label} confidence  ({f.rule}{', test code' if f.in_test else ''}"
        f"{', found by the LLM reviewer' if f.origin == 'llm' else ''})",
        "    " + "; ".join(cwe_title(c) for c in f.cwe),
    ]
    width = len(str(f.line + f.code.count("\n")))
    for offset, code_line in enumerate(f.code.splitlines()):
        lines.append(f"    {str(f.line + offset).rjust(width)} | {code_line}")
    lines.append(f"    {f.message}")
    lines.append(f"    Why: {f.explanation}")
    if f.trace:
        lines.append("    Evidence:")
        for step in f.trace:
            lines.append(f"      - {step.path}:{step.line}: {step.note}")
    if f.triage is not None:
        lines.append(f"    Model triage ({f.triage['model']}): " + (
            "confirmed" if f.triage["verdict"] == "confirmed" else "likely a false positive, so demoted to low "
            "confidence") + f": {f.triage['reason']}")
    lines.append(f"    Fix: {f.fix.description}")
    if f.fix.replacement:
        lines.append("    Suggested code:")
        for code_line in f.fix.replacement.splitlines():
            lines.append(f"      {code_line}")
    lines.append("")
    return lines


def _coverage(report: Report) -> str:
    s = report.stats
    parts = [
        f"Analysed {s.files_analyzed} file{'s' if s.files_analyzed != 1 else ''}, "
        f"{s.functions_analyzed} function{'s' if s.functions_analyzed != 1 else ''}, "
        f"{s.lines_analyzed} line{'s' if s.lines_analyzed != 1 else ''} "
        f"with {len(report.rules_run)} rules in {s.seconds:.2f}s.",
        f"Skipped {s.files_skipped} file{'s' if s.files_skipped != 1 else ''}"
        + (" (listed above)." if s.files_skipped else "."),
    ]
    if s.files_excluded:
        parts.append(f"{s.files_excluded} path{'s' if s.files_excluded != 1 else ''} excluded by configuration.")
    if s.files_fallback_parser:
        parts.append(f"{s.files_fallback_parser} file(s) used syntax newer than this interpreter "
                     "and were parsed with the fallback parser.")
    if s.suppressed:
        parts.append(f"{s.suppressed} finding(s) suppressed by inline comments (--show-suppressed lists them).")
    if s.test_files and not s.include_tests:
        parts.append(f"{s.test_files} test file(s) checked only by the rules whose weakness matters in test code "
                     "(--include-tests applies every rule).")
    return "Coverage: " + " ".join(parts)
