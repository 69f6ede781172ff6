"""A Markdown review, for pull-request comments and CI summaries."""

from __future__ import annotations

from secreview.cwe import cwe_title
from secreview.model import Report, Verdict


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render(report: Report, options) -> str:
    out = ["# secreview security review", ""]
    if report.verdict is Verdict.INCOMPLETE:
        out += [f"> **Incomplete.** {report.summary}", "", "| File not analysed | Reason |", "|---|---|"]
        out += [f"| `{_cell(e.path)}` | {_cell(e.reason)} |" for e in report.errors]
        out.append("")
    else:
        out += [f"**{report.summary}**", ""]
    if report.findings:
        out += ["| # | Location | Weakness | Severity | Confidence | Finding |", "|---|---|---|---|---|---|"]
        for n, f in enumerate(report.findings, start=1):
            cwes = ", ".join(f"CWE-{c}" for c in f.cwe)
            out.append(f"| {n} | `{_cell(f.path)}:{f.line}` | {cwes} | {f.severity.label} | "
                       f"{f.confidence.label} | {_cell(f.message)} |")
        out.append("")
        for n, f in enumerate(report.findings, start=1):
            out += [f"## {n}. {_cell(f.message)}", "",
                    f"`{f.path}` line {f.line} · {'; '.join(cwe_title(c) for c in f.cwe)} · "
                    f"rule `{f.rule}`{' · test code' if f.in_test else ''}", "",
                    "```python", f.code, "```", "", f"**Why:** {f.explanation}", ""]
            if f.trace:
                out.append("**Evidence:**")
                out += [f"- `{s.path}:{s.line}`: {s.note}" for s in f.trace]
                out.append("")
            out.append(f"**Fix:** {f.fix.description}")
            if f.fix.replacement:
                out += ["", "```python", f.fix.replacement, "```"]
            out.append("")
    if options.show_suppressed and report.suppressed:
        out += ["## Suppressed", ""]
        out += [f"- `{f.path}:{f.line}` {f.rule}: {_cell(f.message)} ({_cell(f.suppressed_by or '')})"
                for f in report.suppressed]
        out.append("")
    s = report.stats
    out.append(f"_Analysed {s.files_analyzed} files, {s.functions_analyzed} functions, {s.lines_analyzed} "
               f"lines; skipped {s.files_skipped}; suppressed {s.suppressed}; hidden in tests "
               f"{s.hidden_in_tests}; {s.seconds:.2f}s._")
    return "\n".join(out) + "\n"
