"""What a review claims, and what the code says about each claim.

A review (ours or any reviewer's) is split into `Claim`s; each claim is run
through the grounding checks, which give one `Check` per question asked
(location, identifiers, weakness, test context, actionability), and the
claim's `ClaimResult` carries the verdict derived from them. Nothing here
prints; renderers in `secreview/report/audit.py` format an `AuditReport`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Claim:
    """One statement of a review about the code.

    Everything is as the review wrote it: `lines` are the lines it cites
    ("line 40", "lines 40-42", "L40", "app.py:40", a JSON comment's `line`),
    `quotes` the code it quotes (back-ticks or fenced blocks), `identifiers`
    the code names it mentions (`self.api.get_flavors`, `dest_rp_uuid`),
    `fix_identifiers` those it proposes as the fix ("consider using
    `api.get_server_ext_attr()` instead")."""

    index: int  # 1-based, in the order of the review
    text: str
    title: str = ""
    lines: list[int] = field(default_factory=list)
    path: str | None = None  # the file the claim names, when it names one
    side: str | None = None  # "new" or "old" when a diff claim says which side
    quotes: list[str] = field(default_factory=list)
    identifiers: list[str] = field(default_factory=list)
    fix_identifiers: list[str] = field(default_factory=list)
    cwes: list[int] = field(default_factory=list)
    # True: the claim says something is a defect (or should change for
    # security); False: an observation that something is fine.
    is_defect: bool = False
    # Words that hedge ("could potentially", "consider using appropriate").
    hedges: list[str] = field(default_factory=list)
    fix: str = ""  # the fix the claim proposes, as written ("" when none)

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "title": self.title, "text": self.text, "lines": list(self.lines),
                "path": self.path, "side": self.side, "quotes": list(self.quotes),
                "identifiers": list(self.identifiers), "fix_identifiers": list(self.fix_identifiers),
                "cwes": list(self.cwes), "is_defect": self.is_defect, "hedges": list(self.hedges),
                "fix": self.fix}


class ReviewVerdict(str, enum.Enum):
    """What the review says overall."""

    CLEAN = "clean"  # "No security defects are detected"
    DEFECTS = "defects"  # it says there are defects
    UNSTATED = "unstated"


@dataclass
class ParsedReview:
    verdict: ReviewVerdict
    verdict_text: str  # the sentence(s) that state it ("" when unstated)
    claims: list[Claim] = field(default_factory=list)


class Verdict(str, enum.Enum):
    """The verdict on one claim, most serious first."""

    CONTRADICTION = "contradiction"  # a defect claim in a review whose verdict says there are none
    NOT_IN_CODE = "not in code"  # the quoted code is nowhere in the reviewed unit
    INVENTED_IDENTIFIER = "invented identifier"  # names code that exists nowhere
    WRONG_LINE = "wrong line"  # the code is there, on another line
    TEST_ONLY = "test-only"  # about test code; not a defect in production
    VAGUE = "vague"  # no line, weakness or fix it can be held to
    GROUNDED = "grounded"

    @property
    def grounded(self) -> bool:
        return self is Verdict.GROUNDED


# Most serious first: a claim's verdict is the first of these its checks give.
VERDICT_ORDER = list(Verdict)


@dataclass(frozen=True)
class Check:
    """One grounding question about one claim. `ok` None: not applicable
    (nothing to check, e.g. a claim quoting no code)."""

    name: str  # "location", "identifiers", "weakness", "test-context", "actionability", "consistency"
    ok: bool | None
    reason: str
    # The verdict this check gives when it fails.
    verdict: Verdict = Verdict.GROUNDED
    # For a wrong line: where the code really is.
    found_line: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "ok": self.ok, "reason": self.reason,
                "verdict": self.verdict.value if self.ok is False else None,
                **({"found_line": self.found_line} if self.found_line is not None else {})}


@dataclass
class ClaimResult:
    claim: Claim
    checks: list[Check] = field(default_factory=list)

    @property
    def verdict(self) -> Verdict:
        failed = {c.verdict for c in self.checks if c.ok is False}
        for verdict in VERDICT_ORDER:
            if verdict in failed:
                return verdict
        return Verdict.GROUNDED

    @property
    def failed(self) -> list[Check]:
        return [c for c in self.checks if c.ok is False]

    def to_dict(self) -> dict[str, Any]:
        return {"claim": self.claim.to_dict(), "verdict": self.verdict.value,
                "checks": [c.to_dict() for c in self.checks]}
