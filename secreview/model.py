"""The one model every analyser produces and every renderer reads.

`Finding`, `Location`-like fields, `TraceStep`, `Fix`, `FileError`, `Stats` and
`Report` mirror the JSON report contract in DESIGN.md. The verdict and the
summary are *computed* from the findings and the coverage figures, never set
by hand.
"""

from __future__ import annotations

import enum
import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

from secreview import __version__

CLEAN_SUMMARY = "No security defects are detected in the code."


class Severity(enum.IntEnum):
    """How bad a defect is when it is real. Ordered: LOW < ... < CRITICAL."""

    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> "Severity":
        try:
            return cls[text.strip().upper()]
        except KeyError:
            choices = ", ".join(s.label for s in cls)
            raise ValueError(f"unknown severity {text!r} (choose from {choices})") from None


class Confidence(enum.IntEnum):
    """How sure the analyser is that the defect is real."""

    LOW = 1
    MEDIUM = 2
    HIGH = 3

    @property
    def label(self) -> str:
        return self.name.lower()


class Verdict(str, enum.Enum):
    DEFECTS = "defects"
    CLEAN = "clean"
    INCOMPLETE = "incomplete"


@dataclass(frozen=True, order=True)
class TraceStep:
    """One hop of the evidence: where a value comes from, passes, or is used."""

    path: str
    line: int
    note: str

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "line": self.line, "note": self.note}


@dataclass(frozen=True)
class Fix:
    """How to repair the defect. `replacement` is corrected source for the
    finding's lines (line..end_line) when a mechanical fix exists."""

    description: str
    replacement: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"description": self.description, "replacement": self.replacement}


_WS = re.compile(r"\s+")


def normalise_code(code: str) -> str:
    """Code with all white space folded, so re-indentation keeps fingerprints."""
    return _WS.sub(" ", code).strip()


def squash_code(code: str) -> str:
    """Code with all white space removed: a quote or a line re-wrapped across
    lines, or spaced differently, still matches."""
    return _WS.sub("", code)


def _hash(parts: "list[str] | tuple[str, ...]") -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:32]


@dataclass
class Finding:
    rule: str
    cwe: list[int]
    severity: Severity
    confidence: Confidence
    path: str
    line: int
    end_line: int
    column: int
    code: str
    message: str
    explanation: str
    fix: Fix
    trace: list[TraceStep] = field(default_factory=list)
    origin: str = "static"
    in_test: bool = False
    # Not part of the JSON contract: used for fingerprints and triage.
    scope: str = "<module>"
    # First and last line of the statement holding the finding (a suppression
    # comment on any of them applies).
    span: tuple[int, int] = (0, 0)
    suppressed_by: str | None = None
    # 0 for the first finding with this rule, file, scope and code; 1, 2, ...
    # for later identical ones, so each keeps its own fingerprint.
    occurrence: int = 0
    # Set by the LLM reviewer's --llm-triage: {"verdict": "confirmed" or
    # "demoted", "reason": the model's reason, "model": its label}.
    triage: dict[str, str] | None = None

    @property
    def fingerprint(self) -> str:
        """Stable id: rule, file, enclosing function, normalised code and,
        for repeats of the same code in the same function, the repeat number.

        Line numbers are deliberately left out, so unrelated edits above the
        finding do not change it."""
        parts = list(self.identity())
        if self.occurrence:
            parts.append(str(self.occurrence))
        return _hash(parts)

    def identity(self) -> tuple[str, str, str, str]:
        """What the fingerprint hashes, less the repeat number."""
        return (self.rule, self.path, self.scope, normalise_code(self.code))

    @property
    def identity_key(self) -> str:
        """The hash of `identity()`: the same for every repeat of this finding
        (and equal to the first repeat's fingerprint). Baselines count by it."""
        return _hash(self.identity())

    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.path, self.line, self.column, self.rule, self.message)

    def to_dict(self) -> dict[str, Any]:
        return {
            "fingerprint": self.fingerprint,
            "rule": self.rule,
            "cwe": list(self.cwe),
            "severity": self.severity.label,
            "confidence": self.confidence.label,
            "path": self.path,
            "line": self.line,
            "end_line": self.end_line,
            "column": self.column,
            "code": self.code,
            "message": self.message,
            "explanation": self.explanation,
            "fix": self.fix.to_dict(),
            "trace": [step.to_dict() for step in self.trace],
            "origin": self.origin,
            "in_test": self.in_test,
            **({"triage": dict(self.triage)} if self.triage is not None else {}),
        }


@dataclass(frozen=True)
class FileError:
    """A file in scope that could not be analysed, and why."""

    path: str
    reason: str
    # "llm": the static review of the file is complete, the LLM reviewer's is not.
    stage: str = "static"

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "reason": self.reason, **({"stage": self.stage} if self.stage != "static" else {})}


@dataclass
class Stats:
    files_analyzed: int = 0
    files_skipped: int = 0
    functions_analyzed: int = 0
    lines_analyzed: int = 0
    seconds: float = 0.0
    # Beyond the contract's required keys: what triage held back (never lost).
    suppressed: int = 0
    # Files recognised as test code; unless include_tests, they were checked
    # only by the rules whose weakness matters in tests.
    test_files: int = 0
    include_tests: bool = False
    files_excluded: int = 0
    files_fallback_parser: int = 0
    # Functions the taint engine summarised, and how many times a work limit
    # was hit (each falls back to a conservative summary).
    taint_functions: int = 0
    taint_limits: int = 0
    # Files whose results came from the incremental cache (not analysed again).
    files_cached: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "files_analyzed": self.files_analyzed,
            "files_skipped": self.files_skipped,
            "functions_analyzed": self.functions_analyzed,
            "lines_analyzed": self.lines_analyzed,
            "seconds": round(self.seconds, 3),
            "suppressed": self.suppressed,
            "test_files": self.test_files,
            "include_tests": self.include_tests,
            "files_excluded": self.files_excluded,
            "files_fallback_parser": self.files_fallback_parser,
            "taint_functions": self.taint_functions,
            "taint_limits": self.taint_limits,
            "files_cached": self.files_cached,
        }


@dataclass
class Report:
    """The outcome of one review. `findings` are the reported ones; findings
    held back by suppression comments are kept apart."""

    findings: list[Finding] = field(default_factory=list)
    errors: list[FileError] = field(default_factory=list)
    stats: Stats = field(default_factory=Stats)
    suppressed: list[Finding] = field(default_factory=list)
    root: str = "."
    rules_run: list[str] = field(default_factory=list)
    # The files in scope (paths as findings have them), in review order.
    files: list[str] = field(default_factory=list)
    # Severity of each rule run, after configured overrides.
    rule_severity: dict[str, Severity] = field(default_factory=dict)
    # Set by the steps that ran (objects with to_dict()): what a change review
    # compared (secreview.changes.ChangeScope) and what a baseline hid
    # (secreview.triage.baseline.BaselineResult).
    change: Any = None
    baseline: Any = None
    # What the LLM reviewer did (secreview.llm.reviewer.LLMStats), when --llm was given.
    llm: Any = None

    @property
    def verdict(self) -> Verdict:
        if self.errors:
            return Verdict.INCOMPLETE
        if self.findings:
            return Verdict.DEFECTS
        return Verdict.CLEAN

    @property
    def summary(self) -> str:
        counts = severity_counts(self.findings)
        found = ""
        if self.findings:
            n = len(self.findings)
            parts = ", ".join(f"{c} {s}" for s, c in counts.items() if c)
            found = f"{n} security defect{'s' if n != 1 else ''} found ({parts})."
        if self.verdict is Verdict.INCOMPLETE:
            n = sum(1 for e in self.errors if e.stage == "static")
            head = (
                f"Review incomplete: {n} file{'s' if n != 1 else ''} in scope could not be "
                "analysed, so the absence of findings there means nothing."
            ) if n else ""
            m = len({e.path for e in self.errors if e.stage == "llm"})
            if m:
                head += (f" {'Also, ' if n else 'Review incomplete: '}the LLM reviewer could not review "
                         f"{m} file{'s' if m != 1 else ''} it was asked to (the static review of "
                         f"{'them' if m != 1 else 'it'} is complete).")
            head = head.strip()
            return f"{head} {found}".strip()
        if self.verdict is Verdict.DEFECTS:
            return found
        return CLEAN_SUMMARY

    def to_dict(self) -> dict[str, Any]:
        return {
            "tool": {"name": "secreview", "version": __version__},
            "verdict": self.verdict.value,
            "summary": self.summary,
            "stats": {**self.stats.to_dict(), **({"llm": self.llm.to_dict()} if self.llm is not None else {})},
            "errors": [e.to_dict() for e in self.errors],
            "findings": [f.to_dict() for f in self.findings],
            **({"change": self.change.to_dict()} if self.change is not None else {}),
            **({"baseline": self.baseline.to_dict()} if self.baseline is not None else {}),
        }


def severity_counts(findings: list[Finding]) -> dict[str, int]:
    counts = {s.label: 0 for s in sorted(Severity, reverse=True)}
    for f in findings:
        counts[f.severity.label] += 1
    return counts
