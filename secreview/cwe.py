"""CWE names and validation from the maintained `cwe2` catalogue.

Look-ups are cached: the catalogue scans CSV files on each call. Weaknesses
MITRE published after the catalogue's last release are in `NEWER_CWES`.
"""

from __future__ import annotations

from functools import lru_cache

from cwe2.database import Database, InvalidCWEError

# Weaknesses newer than the cwe2 3.0.0 catalogue (CWE 4.x), id -> name as
# published on https://cwe.mitre.org. The catalogue wins when it knows an id,
# so an entry can go once cwe2 ships it.
NEWER_CWES: dict[int, str] = {
    1427: "Improper Neutralization of Input Used for LLM Prompting",  # CWE 4.15 (2024)
}


@lru_cache(maxsize=1)
def _database() -> Database:
    return Database()


@lru_cache(maxsize=None)
def cwe_name(cwe_id: int) -> str:
    """The catalogue's (or `NEWER_CWES`'s) name for CWE-`cwe_id`; raises KeyError
    for an unknown id."""
    try:
        return _database().get(int(cwe_id)).name
    except InvalidCWEError:
        if int(cwe_id) in NEWER_CWES:
            return NEWER_CWES[int(cwe_id)]
        raise KeyError(f"CWE-{cwe_id} is not in the CWE catalogue") from None


def is_known_cwe(cwe_id: int) -> bool:
    try:
        cwe_name(cwe_id)
    except KeyError:
        return False
    return True


def cwe_title(cwe_id: int) -> str:
    """'CWE-89: Improper Neutralization ...' (falls back to the bare id)."""
    try:
        return f"CWE-{cwe_id}: {cwe_name(cwe_id)}"
    except KeyError:
        return f"CWE-{cwe_id}"
