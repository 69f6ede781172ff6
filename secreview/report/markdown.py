"""A Markdown review, for pull-request comments and CI summaries."""

from __future__ import annotations

import re

from secreview.cwe import cwe_title
from secreview.model import Report, Verdict
from secreview.report import RenderOptions, llm_sentences, scope_sentences


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _code_block(code: str) -> list[str]:
    """A fenced Python block whose fence is longer than any run of back-ticks
    in the code, so the code cannot close it early."""
    longest = max((len(run) for run in re.findall(r"`+", code)), default=0)
    fence = "`" * max(3, longest + 1)
    return [f"{fence}python", code, fence]


def render(report: Report, options: RenderOptions) -> str:
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
                    f"rule `{f.rule}`{' · test code' if f.in_test else ''}"
                    f"{' · found by the LLM reviewer' if f.origin == 'llm' else ''}", "",
                    *_code_block(f.code), "", f"**Why:** {f.explanation}", ""]
            if f.trace:
                out.append("**Evidence:**")
                out += [f"- `{s.path}:{s.line}`: {s.note}" for s in f.trace]
                out.append("")
            if f.triage is not None:
                verdict = ("confirmed" if f.triage["verdict"] == "confirmed"
                           else "likely a false positive, so demoted to low confidence")
                out += [f"**Model triage** ({f.triage['model']}): {verdict}: {_cell(f.triage['reason'])}", ""]
            out.append(f"**Fix:** {f.fix.description}")
            if f.fix.replacement:
                out += ["", *_code_block(f.fix.replacement)]
            out.append("")
    if options.show_suppressed and report.suppressed:
        out += ["## Suppressed", ""]
        out += [f"- `{f.path}:{f.line}` {f.rule}: {_cell(f.message)} ({_cell(f.suppressed_by or '')})"
                for f in report.suppressed]
        out.append("")
    notes = scope_sentences(report) + llm_sentences(report, options.show_rejected)
    if notes:
        out += [f"- {_cell(n.strip())}" for n in notes] + [""]
    s = report.stats
    out.append(f"_Analysed {_count(s.files_analyzed, 'file')}, {_count(s.functions_analyzed, 'function')}, "
               f"{_count(s.lines_analyzed, 'line')}; skipped {s.files_skipped}; suppressed {s.suppressed}; "
               f"test files {s.test_files}; {s.seconds:.2f}s._")
    return "\n".join(out) + "\n"
