"""Renderers: one module per output format, each `render(report, options) -> str`.

Renderers never analyse; they only format what the `Report` holds.
"""

from __future__ import annotations

from dataclasses import dataclass

from secreview.model import Report


@dataclass(frozen=True)
class RenderOptions:
    show_suppressed: bool = False


FORMATS = ("text", "json", "sarif", "markdown")


def render(report: Report, fmt: str, options: RenderOptions | None = None) -> str:
    options = options or RenderOptions()
    if fmt == "text":
        from secreview.report import text as module
    elif fmt == "json":
        from secreview.report import json_report as module
    elif fmt == "sarif":
        from secreview.report import sarif as module
    elif fmt == "markdown":
        from secreview.report import markdown as module
    else:
        raise ValueError(f"unknown format {fmt!r} (choose from {', '.join(FORMATS)})")
    return module.render(report, options)
