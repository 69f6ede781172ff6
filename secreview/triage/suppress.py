"""Inline suppressions: Bandit's `# nosec` and our `# secreview: ignore[...]`.

- `# nosec` silences every rule on the statement; `# nosec B602,B607` (or
  `# nosec: B602 B607`) only rules covering those Bandit tests. Our own rule
  ids are accepted after `nosec` too.
- `# secreview: ignore[py.shell-injection] reason` silences the named rules;
  `# secreview: ignore reason` silences all. The reason is kept.

A comment on any line of a multi-line statement applies to the whole
statement (Bandit only honours the line it reports).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# `comment` is the text after the first '#', so a marker opens the comment or
# follows a later '#' (`# noqa: S602  # nosec`), as Bandit reads them: the
# word inside prose ("# why is nosec here?") is not a marker.
_NOSEC = re.compile(r"(?:^|#)\s*nosec\b", re.IGNORECASE)
_OURS = re.compile(r"(?:^|#)\s*secreview\s*:\s*ignore\b(?:\[(?P<ids>[^\]]*)\])?(?P<reason>.*)$",
                   re.IGNORECASE)
_BANDIT_ID = re.compile(r"^B\d{3}$", re.IGNORECASE)


@dataclass(frozen=True)
class Suppression:
    line: int
    rules: frozenset[str]  # empty = all rules
    bandit_ids: frozenset[str]
    text: str

    def applies_to(self, rule_id: str, rule_bandit_ids: tuple[str, ...], blanket: bool = True) -> bool:
        """Whether this comment silences the rule; `blanket` false: only a
        comment that names the rule does."""
        if not self.rules and not self.bandit_ids:
            return blanket
        return rule_id in self.rules or bool(self.bandit_ids & {b.upper() for b in rule_bandit_ids})


def parse_comment(line: int, comment: str) -> Suppression | None:
    ours = _OURS.search(comment)
    if ours:
        ids = ours.group("ids") or ""
        named = frozenset(i.strip() for i in ids.split(",") if i.strip())
        return Suppression(line, named, frozenset(), "# " + comment.strip())
    nosec = _NOSEC.search(comment)
    if nosec:
        # Ids follow `nosec`, separated by commas, colons or spaces; the first
        # word that is not an id starts the free-text reason.
        bandit: set[str] = set()
        ours_ids: set[str] = set()
        for token in re.split(r"[\s,:]+", comment[nosec.end():].strip()):
            if _BANDIT_ID.match(token):
                bandit.add(token.upper())
            elif token.startswith("py."):
                ours_ids.add(token)
            elif token:
                break
        return Suppression(line, frozenset(ours_ids), frozenset(bandit), "# " + comment.strip())
    return None


def may_hold_suppressions(text: str) -> bool:
    """False when no comment of `text` can be a suppression, so the file's
    comments need not be tokenised at all. (A case-insensitive regex over
    every file's text cost more than parsing some of them.)"""
    lowered = text.lower()
    return "nosec" in lowered or "secreview" in lowered


def suppressions(comments: dict[int, str]) -> dict[int, Suppression]:
    found: dict[int, Suppression] = {}
    for line, comment in comments.items():
        parsed = parse_comment(line, comment)
        if parsed is not None:
            found[line] = parsed
    return found


def find_suppression(by_line: dict[int, Suppression], first: int, last: int, rule_id: str,
                     rule_bandit_ids: tuple[str, ...], blanket: bool = True) -> Suppression | None:
    for line in range(first, last + 1):
        sup = by_line.get(line)
        if sup is not None and sup.applies_to(rule_id, rule_bandit_ids, blanket):
            return sup
    return None
