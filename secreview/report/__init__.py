"""Renderers: one module per output format, each `render(report, options) -> str`.

Renderers never analyse; they only format what the `Report` holds.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from secreview.model import Report


@dataclass(frozen=True)
class RenderOptions:
    show_suppressed: bool = False
    show_rejected: bool = False  # the LLM reviewer's claims that were not published


FORMATS = ("text", "json", "sarif", "markdown")
_MODULES = {"text": "text", "json": "json_report", "sarif": "sarif", "markdown": "markdown"}


def render(report: Report, fmt: str, options: RenderOptions | None = None) -> str:
    if fmt not in _MODULES:
        raise ValueError(f"unknown format {fmt!r} (choose from {', '.join(FORMATS)})")
    module = importlib.import_module(f"{__name__}.{_MODULES[fmt]}")
    text: str = module.render(report, options or RenderOptions())
    return text


def llm_sentences(report: Report, show_rejected: bool = False) -> list[str]:
    """What the LLM reviewer did, cost and held back, when it ran."""
    llm = report.llm
    if llm is None:
        return []
    tokens = llm.prompt_tokens + llm.completion_tokens
    cost = f", cost {llm.cost:.4f} as reported by the provider" if llm.cost is not None else ""
    out = [f"LLM review by {llm.model}: {len(llm.files)} file(s) in {llm.chunks} part(s), {llm.calls} call(s) "
           f"({llm.cached_calls} answered from the cache), {tokens:,} tokens{cost}."]
    claims = (f"{llm.proposed} claim(s) proposed: {llm.published} published, {llm.same_as_static} already "
              f"reported by the static engine, {len(llm.rejected)} rejected")
    counts = llm.rejected_counts()
    if counts:
        claims += " (" + ", ".join(f"{n} {verdict}" for verdict, n in counts.items()) + ")"
    out.append(claims + (f"; {llm.lines_corrected} line number(s) corrected." if llm.lines_corrected else "."))
    if llm.triage_confirmed or llm.triage_demoted or llm.triage_failed:
        out.append(f"Static findings triaged by the model: {llm.triage_confirmed} confirmed, "
                   f"{llm.triage_demoted} demoted (kept, with the model's reason)"
                   + (f", {llm.triage_failed} not answered." if llm.triage_failed else "."))
    if llm.rejected and show_rejected:
        out.append("Claims of the model that were not published:")
        out += [f"  {r.path}:{r.line} CWE-{r.cwe} {r.message[:100]!r}: {r.verdict} - {r.reason}"
                for r in llm.rejected]
    elif llm.rejected:
        out.append("(--show-rejected lists the rejected claims.)")
    return out


def scope_sentences(report: Report) -> list[str]:
    """What a change review compared and what a baseline hid, in sentences
    every human-facing format shows."""
    out: list[str] = []
    change = report.change
    if change is not None:
        if not change.python_files:
            out.append(f"Change {change.description}: {change.files_changed} file(s) changed, none of them "
                       "Python source, so there was nothing to review.")
        else:
            how = ("the whole project was analysed on both sides" if change.whole_project else
                   "only the changed files were at hand and were analysed on both sides, so flows through "
                   "the rest of the project were not followed")
            out.append(f"Change {change.description}: {change.files_changed} file(s) changed, "
                       f"{len(change.python_files)} of them Python; {how}, and only findings the change "
                       "introduces are reported.")
        if change.preexisting:
            out.append(f"{len(change.preexisting)} finding(s) already present before the change are not reported.")
        out += [f"Skipped {item}." for item in change.skipped]
        out += [f"The old side of {e.path} could not be analysed ({e.reason}); its findings all count as new."
                for e in change.base_errors]
    baseline = report.baseline
    if baseline is not None:
        out.append(f"{len(baseline.hidden)} finding(s) hidden by the baseline {baseline.source}.")
        if baseline.stale:
            out.append(f"{len(baseline.stale)} baseline entr{'y' if len(baseline.stale) == 1 else 'ies'} "
                       "matched nothing and can be removed (fixed, or changed beyond recognition):")
            out += [f"  stale: {entry.path} {entry.rule} in {entry.scope}: {entry.code[:80]!r}"
                    + (f" ({missing} of {entry.count})" if missing != entry.count else "")
                    for entry, missing in baseline.stale]
    return out
