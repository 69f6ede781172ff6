"""Grounding: check what a review claims against the code it is about.

    from secreview.grounding import parse_review, load_units, NameIndex, audit, ground

`audit(parse_review(text), units, NameIndex(files))` gives an `AuditReport`;
`ground(claim, units, index)` checks one claim (the LLM reviewer's gate).
See `secreview/grounding/checks.py` for what each check asks.
"""

from secreview.grounding.audit import AuditReport, audit, ground
from secreview.grounding.claims import parse_claim, parse_review
from secreview.grounding.names import Lookup, NameIndex
from secreview.grounding.model import Check, Claim, ClaimResult, ParsedReview, ReviewVerdict, Verdict
from secreview.grounding.units import CodeUnit, UnitError, load_units

__all__ = ["AuditReport", "Check", "Claim", "ClaimResult", "CodeUnit", "Lookup", "NameIndex", "ParsedReview",
           "ReviewVerdict", "UnitError", "Verdict", "audit", "ground", "load_units", "parse_claim", "parse_review"]
