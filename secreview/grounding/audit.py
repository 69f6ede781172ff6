"""Audit a review: split it into claims, run every grounding check on each,
and say which claims the code supports.

The small API the LLM reviewer and `secreview audit` call:

- `ground(claim, units, index)`: the `ClaimResult` of one claim against the
  reviewed code (its checks and its verdict);
- `audit(review_text, units)`: every claim of a free-text review, plus the
  review-level consistency check, as an `AuditReport`.

Score: the share of claims that are grounded, where a review-level
contradiction (a "defects" verdict with no defect claimed) counts as one more
ungrounded claim. A review with no claims and a consistent verdict scores 1.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from secreview.grounding import checks
from secreview.grounding.model import Check, Claim, ClaimResult, ParsedReview, ReviewVerdict, Verdict
from secreview.grounding.units import CodeUnit


def unit_for(claim: Claim, units: list[CodeUnit]) -> CodeUnit | None:
    """The unit a claim is about: the file it names, else the only file, else
    the file holding what it quotes (on the side it claims, new by default)."""
    side = claim.side or "new"
    candidates = [u for u in units if u.side == side] or units
    if claim.path:
        named = [u for u in candidates if u.path == claim.path or u.path.endswith("/" + claim.path)]
        return named[0] if named else None
    if len(candidates) == 1:
        return candidates[0]
    for quote in claim.quotes:
        for unit in candidates:
            if checks.find_quote(unit, quote) is not None:
                return unit
    # Nothing quoted is anywhere: the file where most of the names it uses appear.
    names = [n.rsplit(".", 1)[-1] for n in claim.identifiers]
    # max() keeps the first of equals: the first file when nothing matches.
    return max(candidates, key=lambda unit: sum(name in unit.text for name in names), default=None)


def ground(claim: Claim, units: list[CodeUnit], index: checks.Index | None) -> ClaimResult:
    unit = unit_for(claim, units)
    place = checks.location(claim, unit)
    # Judge the code where it really is when the claim cites the wrong line.
    real = [place.found_line] if place.found_line is not None else None
    return ClaimResult(claim, [
        place,
        checks.identifiers(claim, unit, index),
        checks.weakness(claim, unit, real),
        checks.test_context(claim, unit, real),
        checks.actionability(claim),
    ])


@dataclass
class AuditReport:
    review: ParsedReview
    results: list[ClaimResult] = field(default_factory=list)
    review_checks: list[Check] = field(default_factory=list)
    units: list[str] = field(default_factory=list)

    @property
    def ungrounded(self) -> list[ClaimResult]:
        return [r for r in self.results if not r.verdict.grounded]

    @property
    def consistent(self) -> bool:
        return all(c.ok is not False for c in self.review_checks)

    @property
    def score(self) -> float:
        total = len(self.results) + (0 if self.consistent else 1)
        if total == 0:
            return 1.0
        return (len(self.results) - len(self.ungrounded)) / total

    @property
    def passed(self) -> bool:
        return not self.ungrounded and self.consistent

    def counts(self) -> dict[str, int]:
        out = {v.value: 0 for v in Verdict}
        for result in self.results:
            out[result.verdict.value] += 1
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "score": round(self.score, 3),
            "score_definition": SCORE_DEFINITION,
            "review_verdict": self.review.verdict.value,
            "review_verdict_text": self.review.verdict_text,
            "code": list(self.units),
            "counts": self.counts(),
            "review_checks": [c.to_dict() for c in self.review_checks],
            "claims": [r.to_dict() for r in self.results],
        }


SCORE_DEFINITION = ("grounded claims / (claims + 1 if the verdict contradicts the claims); "
                    "1.0 for a consistent review without claims")


def audit(review: ParsedReview, units: list[CodeUnit], index: checks.Index | None) -> AuditReport:
    report = AuditReport(review, units=sorted({f"{u.path}" + (" (old side)" if u.side == "old" else "")
                                               for u in units}))
    defects = [c for c in review.claims if c.is_defect]
    for claim in review.claims:
        result = ground(claim, units, index)
        if review.verdict is ReviewVerdict.CLEAN and claim.is_defect:
            result.checks.append(Check("consistency", False, f"the review says {review.verdict_text!r}, yet "
                                                             "this claims a defect", Verdict.CONTRADICTION))
        report.results.append(result)
    if review.verdict is ReviewVerdict.DEFECTS and not defects:
        report.review_checks.append(Check("consistency", False, f"the review says {review.verdict_text!r}, "
                                                                "but none of its claims is a defect",
                                          Verdict.CONTRADICTION))
    elif review.verdict is ReviewVerdict.CLEAN and defects:
        report.review_checks.append(Check("consistency", False, f"the review says {review.verdict_text!r}, "
                                                                f"then claims {len(defects)} defect(s)",
                                          Verdict.CONTRADICTION))
    else:
        report.review_checks.append(Check("consistency", True, "the verdict agrees with the claims"))
    return report
