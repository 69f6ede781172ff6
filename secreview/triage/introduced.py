"""Which findings a change introduces: the new side's findings less the ones
the old side already had.

A finding is old when the old side holds a finding with the same rule, the
same code (white space folded), the same enclosing function and the same
evidence (the notes of its trace, without lines or paths). Matching counts:
a second copy of an old defect is new. Matching is first done in the same
file (old paths follow renames), then, for what is left, in any file, so code
that moved to another module is not reported again while a copy still is.

Everything else is introduced, including a flow whose lines did not change
but that the change made possible (it removed a sanitiser or a check): the old
side did not have it.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Iterable

from secreview.model import Finding, normalise_code


def _evidence(finding: Finding) -> tuple[str, ...]:
    return tuple(normalise_code(step.note) for step in finding.trace)


def _key(finding: Finding, path: str | None) -> tuple[object, ...]:
    scope = finding.scope if path is not None else finding.scope.rsplit(".", 1)[-1]
    return (path, finding.rule, scope, normalise_code(finding.code), _evidence(finding))


def introduced(new: Iterable[Finding], old: Iterable[Finding], renames: dict[str, str] | None = None
               ) -> tuple[list[Finding], list[Finding]]:
    """(introduced, pre-existing) among `new`, in their original order.

    `renames` maps old paths to new ones, so a finding in a renamed file is
    compared with its old self."""
    renames = renames or {}
    new = list(new)
    old = list(old)
    unmatched_old: dict[tuple[object, ...], list[Finding]] = defaultdict(list)
    for finding in old:
        unmatched_old[_key(finding, renames.get(finding.path, finding.path))].append(finding)
    matched: set[int] = set()
    for index, finding in enumerate(new):
        bucket = unmatched_old.get(_key(finding, finding.path))
        if bucket:
            bucket.pop()
            matched.add(index)
    # Second pass: anywhere in the project (code moved between files).
    anywhere: dict[tuple[object, ...], int] = defaultdict(int)
    for bucket in unmatched_old.values():
        for finding in bucket:
            anywhere[_key(finding, None)] += 1
    for index, finding in enumerate(new):
        if index in matched:
            continue
        key = _key(finding, None)
        if anywhere.get(key, 0) > 0:
            anywhere[key] -= 1
            matched.add(index)
    fresh = [f for i, f in enumerate(new) if i not in matched]
    kept = [f for i, f in enumerate(new) if i in matched]
    return fresh, kept
