"""Baselines: accept today's findings, report only what comes after.

A baseline records each finding by its identity (rule, file, enclosing
function and code with white space folded; no line numbers) with the number
of times it occurs. Applying it hides at most that many findings per
identity, so a third copy of an old defect in the same function still shows,
and entries that no longer match anything are reported as stale (the defect
was fixed, or the code changed enough to be a different finding).
"""

from __future__ import annotations

import datetime
import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from secreview import __version__
from secreview.model import Finding, Report

FORMAT = "secreview-baseline"
FORMAT_VERSION = 1


class BaselineError(Exception):
    """The baseline file cannot be read or is not a secreview baseline."""


@dataclass(frozen=True)
class Entry:
    key: str
    rule: str
    path: str
    scope: str
    code: str
    count: int

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "rule": self.rule, "path": self.path, "scope": self.scope,
                "code": self.code, "count": self.count}


@dataclass
class Baseline:
    entries: dict[str, Entry] = field(default_factory=dict)
    source: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "tool": {"name": "secreview", "version": __version__},
            "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "findings": sum(e.count for e in self.entries.values()),
            "entries": [e.to_dict() for e in sorted(self.entries.values(), key=lambda e: (e.path, e.rule, e.key))],
        }


def create(findings: list[Finding]) -> Baseline:
    counts: Counter[str] = Counter()
    first: dict[str, Finding] = {}
    for finding in findings:
        key = finding.identity_key
        counts[key] += 1
        first.setdefault(key, finding)
    entries = {}
    for key, count in counts.items():
        f = first[key]
        rule, path, scope, code = f.identity()
        entries[key] = Entry(key, rule, path, scope, code, count)
    return Baseline(entries)


def load(path: str) -> Baseline:
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except OSError as exc:
        raise BaselineError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BaselineError(f"{path}: not JSON ({exc})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise BaselineError(f"{path}: not a secreview baseline (create one with `secreview baseline create`)")
    if data.get("version") != FORMAT_VERSION:
        raise BaselineError(f"{path}: baseline format version {data.get('version')!r} is not supported "
                            f"(this secreview reads version {FORMAT_VERSION})")
    raw = data.get("entries")
    if not isinstance(raw, list):
        raise BaselineError(f"{path}: 'entries' must be a list")
    baseline = Baseline(source=path)
    for number, item in enumerate(raw, start=1):
        try:
            entry = Entry(str(item["key"]), str(item["rule"]), str(item["path"]), str(item.get("scope", "")),
                          str(item.get("code", "")), int(item["count"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise BaselineError(f"{path}: entry {number} is malformed ({type(exc).__name__}: {exc})") from None
        if entry.count < 1:
            raise BaselineError(f"{path}: entry {number} has count {entry.count}; counts start at 1")
        if entry.key in baseline.entries:
            raise BaselineError(f"{path}: entry {number} repeats key {entry.key}")
        baseline.entries[entry.key] = entry
    return baseline


@dataclass
class BaselineResult:
    """What applying a baseline did: findings hidden, and entries left over."""

    source: str
    hidden: list[Finding] = field(default_factory=list)
    # (entry, how many of its count matched nothing)
    stale: list[tuple[Entry, int]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.source,
            "hidden": len(self.hidden),
            "stale": [{**entry.to_dict(), "unmatched": missing} for entry, missing in self.stale],
        }


def apply(report: Report, baseline: Baseline, also_present: list[Finding] | None = None) -> BaselineResult:
    """Hide the report's findings the baseline accepts (the first ones in
    report order for each identity) and record stale entries on the report.

    `also_present` are findings that exist but are not reported (a change
    review's pre-existing ones): they keep their entries from going stale."""
    remaining = {key: entry.count for key, entry in baseline.entries.items()}
    result = BaselineResult(baseline.source)
    shown: list[Finding] = []
    for finding in report.findings:
        key = finding.identity_key
        if remaining.get(key, 0) > 0:
            remaining[key] -= 1
            result.hidden.append(finding)
        else:
            shown.append(finding)
    # A suppressed finding still exists: it keeps its baseline entry fresh.
    for finding in [*report.suppressed, *(also_present or [])]:
        key = finding.identity_key
        if remaining.get(key, 0) > 0:
            remaining[key] -= 1
    for key, left in remaining.items():
        if left > 0:
            result.stale.append((baseline.entries[key], left))
    result.stale.sort(key=lambda item: (item[0].path, item[0].rule, item[0].key))
    report.findings = shown
    report.baseline = result
    return result
