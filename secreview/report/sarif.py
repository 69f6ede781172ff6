"""SARIF 2.1.0 for GitHub code scanning and other SARIF consumers.

- Rule metadata: name, short/full description, help (text and Markdown from
  the rule's own docs), tags `security` and `external/cwe/cwe-N` (as CodeQL
  does), `security-severity` (GitHub's numeric severity) and `precision`.
- Results: relative, percent-encoded URIs against `%SRCROOT%`,
  `partialFingerprints` (stable across line moves), the source lines as the
  `contextRegion` snippet, the trace as a `codeFlow`, the fix as a SARIF `fix`.
- Files that could not be analysed are tool execution notifications, and the
  invocation is marked unsuccessful so nobody reads the run as clean.
"""

from __future__ import annotations

import json
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

from secreview import __version__
from secreview.cwe import cwe_name
from secreview.model import Finding, Report, Severity, Verdict
from secreview.report import RenderOptions

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://pypi.org/project/secreview/"

_LEVEL = {Severity.CRITICAL: "error", Severity.HIGH: "error", Severity.MEDIUM: "warning", Severity.LOW: "note"}
_SECURITY_SEVERITY = {Severity.CRITICAL: "9.5", Severity.HIGH: "8.0", Severity.MEDIUM: "5.5", Severity.LOW: "3.0"}
_NOT_ANALYSED = "file-not-analysed"
_NOTIFICATIONS = [{
    "id": _NOT_ANALYSED,
    "name": "FileNotAnalysed",
    "shortDescription": {"text": "A file in scope could not be analysed."},
    "fullDescription": {"text": "The file could not be read or parsed, so the absence of findings in it "
                                "means nothing; the message says why."},
    "defaultConfiguration": {"level": "error"},
}]


def render(report: Report, options: RenderOptions) -> str:
    return json.dumps(to_sarif(report), indent=2, ensure_ascii=False) + "\n"


def to_sarif(report: Report) -> dict[str, Any]:
    descriptors, index = _rules(report)
    results = [_result(f, index) for f in report.findings]
    invocation: dict[str, Any] = {
        "executionSuccessful": report.verdict is not Verdict.INCOMPLETE,
        "toolExecutionNotifications": [
            {
                "level": "error",
                "message": {"text": f"{e.path} was not analysed: {e.reason}"},
                "locations": [{"physicalLocation": {"artifactLocation": _artifact(e.path)}}],
                "descriptor": {"id": _NOT_ANALYSED, "index": 0},
            }
            for e in report.errors
        ],
        "properties": {"verdict": report.verdict.value, "summary": report.summary,
                       "stats": report.stats.to_dict()},
    }
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "secreview",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "informationUri": INFORMATION_URI,
                        "rules": descriptors,
                        "notifications": _NOTIFICATIONS,
                    }
                },
                "originalUriBaseIds": {"%SRCROOT%": {"uri": _folder_uri(report.root)}},
                "invocations": [invocation],
                "results": results,
                "columnKind": "unicodeCodePoints",
            }
        ],
    }


def _rules(report: Report) -> tuple[list[dict[str, Any]], dict[str, int]]:
    from secreview.rules import all_rules  # metadata only; renderers never analyse

    by_id = {r.id: r for r in all_rules()}
    wanted = sorted(set(report.rules_run) | {f.rule for f in report.findings})
    descriptors: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    for rule_id in wanted:
        rule = by_id.get(rule_id)
        cwes = list(rule.cwe) if rule else sorted({c for f in report.findings if f.rule == rule_id for c in f.cwe})
        severity = report.rule_severity.get(rule_id) or (rule.severity if rule else Severity.MEDIUM)
        doc = rule.doc if rule else ""
        short = rule.name if rule else rule_id
        full = rule.summary if rule else short
        tags = ["security"] + [f"external/cwe/cwe-{c}" for c in cwes]
        descriptor: dict[str, Any] = {
            "id": rule_id,
            "name": _pascal(rule_id),
            "shortDescription": {"text": short},
            "fullDescription": {"text": full or short},
            "help": {"text": doc or full or short, "markdown": doc or full or short},
            "defaultConfiguration": {"level": _LEVEL[severity]},
            "properties": {
                "tags": tags,
                "security-severity": _SECURITY_SEVERITY[severity],
                "precision": "high",
                "cwe": [f"CWE-{c}: {_safe_cwe_name(c)}" for c in cwes],
            },
        }
        index[rule_id] = len(descriptors)
        descriptors.append(descriptor)
    return descriptors, index


def _safe_cwe_name(cwe_id: int) -> str:
    try:
        return cwe_name(cwe_id)
    except KeyError:
        return "unknown"


def _pascal(rule_id: str) -> str:
    tail = rule_id.split(".", 1)[-1]
    return "".join(part.capitalize() for part in tail.replace("_", "-").split("-"))


def _folder_uri(folder: str) -> str:
    uri = Path(folder).resolve().as_uri()
    return uri if uri.endswith("/") else uri + "/"


def _artifact(path: str) -> dict[str, Any]:
    """A relative path as a percent-encoded URI reference against %SRCROOT%
    (a file outside the review root keeps its absolute file: URI)."""
    if PurePosixPath(path).is_absolute():
        return {"uri": Path(path).as_uri()}
    return {"uri": quote(path, safe="/"), "uriBaseId": "%SRCROOT%"}


def _location(path: str, line: int, end_line: int | None = None, column: int | None = None,
              snippet: str | None = None, message: str | None = None) -> dict[str, Any]:
    region: dict[str, Any] = {"startLine": max(1, line)}
    if end_line:
        region["endLine"] = max(region["startLine"], end_line)
    if column is not None:
        region["startColumn"] = column + 1
    physical: dict[str, Any] = {"artifactLocation": _artifact(path), "region": region}
    if snippet:
        # The snippet is whole source lines, so it belongs to a region of whole lines.
        physical["contextRegion"] = {
            "startLine": region["startLine"],
            "endLine": region["startLine"] + snippet.count("\n"),
            "snippet": {"text": snippet},
        }
    location: dict[str, Any] = {"physicalLocation": physical}
    if message:
        location["message"] = {"text": message}
    return location


def _result(f: Finding, index: dict[str, int]) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": f.rule,
        "ruleIndex": index[f.rule],
        "level": _LEVEL[f.severity],
        "message": {"text": f"{f.message} {f.explanation}"},
        "locations": [_location(f.path, f.line, f.end_line, f.column, f.code)],
        "partialFingerprints": {"secreview/v1": f.fingerprint},
        "properties": {
            "security-severity": _SECURITY_SEVERITY[f.severity],
            "severity": f.severity.label,
            "confidence": f.confidence.label,
            "cwe": [f"CWE-{c}" for c in f.cwe],
            "origin": f.origin,
            "inTest": f.in_test,
            "fix": f.fix.description,
        },
    }
    if f.trace:
        steps = [*f.trace]
        locations = [{"location": _location(s.path, s.line, message=s.note)} for s in steps]
        locations.append({"location": _location(f.path, f.line, f.end_line, f.column, f.code, f.message)})
        result["codeFlows"] = [{"threadFlows": [{"locations": locations}]}]
    if f.fix.replacement is not None:
        result["fixes"] = [{
            "description": {"text": f.fix.description},
            "artifactChanges": [{
                "artifactLocation": _artifact(f.path),
                "replacements": [{
                    # Whole lines without their final line break, so the
                    # replacement text carries none either.
                    "deletedRegion": {"startLine": f.line, "endLine": f.end_line},
                    "insertedContent": {"text": f.fix.replacement},
                }],
            }],
        }]
    return result
