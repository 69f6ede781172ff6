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


FORMATS = ("text", "json", "sarif", "markdown")
_MODULES = {"text": "text", "json": "json_report", "sarif": "sarif", "markdown": "markdown"}


def render(report: Report, fmt: str, options: RenderOptions | None = None) -> str:
    if fmt not in _MODULES:
        raise ValueError(f"unknown format {fmt!r} (choose from {', '.join(FORMATS)})")
    module = importlib.import_module(f"{__name__}.{_MODULES[fmt]}")
    text: str = module.render(report, options or RenderOptions())
    return text
