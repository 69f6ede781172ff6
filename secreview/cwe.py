"""CWE names and validation from the maintained `cwe2` catalogue.

The catalogue's own `get` scans every one of its CSV files on each call
(about 0.2 s); its files are read once here instead, into one index, and
only ids they lack (categories, views) go to `get`. Weaknesses MITRE
published after the catalogue's last release are in `NEWER_CWES`.
"""

from __future__ import annotations

import csv
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


@lru_cache(maxsize=1)
def _index() -> dict[int, str]:
    """id -> name of every weakness in the catalogue's CSV files."""
    names: dict[int, str] = {}
    for path in Database.database_paths:
        with open(path, encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                ident, name = row.get("CWE-ID") or "", row.get("Name")
                if ident.isdigit() and name:
                    names.setdefault(int(ident), name)
    return names


@lru_cache(maxsize=None)
def cwe_name(cwe_id: int) -> str:
    """The catalogue's (or `NEWER_CWES`'s) name for CWE-`cwe_id`; raises KeyError
    for an unknown id."""
    name = _index().get(int(cwe_id)) or NEWER_CWES.get(int(cwe_id))
    if name is not None:
        return name
    try:
        return _database().get(int(cwe_id)).name
    except InvalidCWEError:
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
