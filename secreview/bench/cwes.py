"""CWE equivalence for scoring, from the `cwe2` catalogue's hierarchy.

A CWE matches itself, its parents and its children (`ChildOf` in the
Research view 1000 and in the view NVD maps to, 1003). Nothing further: a
grandparent is usually a broad class ("Injection") that would let any
finding match any label.
"""

from __future__ import annotations

import csv
import os
import re
from functools import lru_cache

from cwe2.database import Database

_VIEWS = {"1000", "1003"}
_CHILD_OF = re.compile(r"NATURE:ChildOf:CWE ID:(\d+):VIEW ID:(\d+)")


@lru_cache(maxsize=1)
def _parents() -> dict[int, frozenset[int]]:
    """CWE id -> its parents, read once from the catalogue's Research view."""
    paths = [p for p in Database().database_paths if os.path.basename(p) == "1000.csv"]
    if not paths:  # pragma: no cover - a broken cwe2 install
        raise RuntimeError("the cwe2 package has no Research view (1000.csv)")
    parents: dict[int, set[int]] = {}
    with open(paths[0], encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            try:
                cwe = int(row["CWE-ID"])
            except (KeyError, ValueError):
                continue
            for parent, view in _CHILD_OF.findall(row.get("Related Weaknesses") or ""):
                if view in _VIEWS:
                    parents.setdefault(cwe, set()).add(int(parent))
    return {cwe: frozenset(ps) for cwe, ps in parents.items()}


@lru_cache(maxsize=1)
def _children() -> dict[int, frozenset[int]]:
    children: dict[int, set[int]] = {}
    for cwe, parents in _parents().items():
        for parent in parents:
            children.setdefault(parent, set()).add(cwe)
    return {cwe: frozenset(cs) for cwe, cs in children.items()}


@lru_cache(maxsize=None)
def equivalents(cwe: int) -> frozenset[int]:
    """The CWEs that count as a match for `cwe`: itself, parents, children."""
    return frozenset({cwe}) | _parents().get(cwe, frozenset()) | _children().get(cwe, frozenset())


def matches(found: int, wanted: int) -> bool:
    return found in equivalents(wanted)


def mapping_used(cwes: set[int]) -> dict[int, list[int]]:
    """For each CWE of interest, the other CWEs of interest it matches (what
    the results print, so a reader can see why a finding counted)."""
    return {cwe: sorted(other for other in cwes if other != cwe and matches(other, cwe))
            for cwe in sorted(cwes)}
