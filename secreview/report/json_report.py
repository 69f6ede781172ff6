"""The JSON report: exactly the contract in DESIGN.md (plus `suppressed` when asked)."""

from __future__ import annotations

import json

from secreview.model import Report
from secreview.report import RenderOptions


def render(report: Report, options: RenderOptions) -> str:
    data = report.to_dict()
    if options.show_suppressed:
        data["suppressed"] = [
            {**f.to_dict(), "suppressed_by": f.suppressed_by} for f in report.suppressed
        ]
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
