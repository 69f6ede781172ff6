"""CWE names and validation from the maintained `cwe2` catalogue.

The catalogue's own `get` scans every one of its CSV files on each call
(about 0.2 s), and reading them all (40 MB) takes 0.3 s: a report naming a
few weaknesses paid that on every run. Its files are read here in its own
order, each once, and only until the id asked for is found: the first file
to hold an id names it, as when all were read. Ids no file holds
(categories, views) go to `get`. Weaknesses MITRE published after the
catalogue's last release are in `NEWER_CWES`, and named from there.
"""

from __future__ import annotations

import csv
import threading
from functools import lru_cache
from typing import Any

# Weaknesses newer than the cwe2 3.0.0 catalogue (CWE 4.x), id -> name as
# published on https://cwe.mitre.org, named from here without reading the
# catalogue (which would mean reading all of it to find them missing); an
# entry can go once cwe2 ships it.
NEWER_CWES: dict[int, str] = {
    1427: "Improper Neutralization of Input Used for LLM Prompting",  # CWE 4.15 (2024)
}


class _Catalogue:
    """id -> name from the catalogue's CSV files, read one at a time, on demand."""

    def __init__(self) -> None:
        self.names: dict[int, str] = {}
        self.unread: list[str] | None = None  # the files not read yet, in the catalogue's order
        self.lock = threading.Lock()  # the LLM reviewer checks names from several threads

    def name(self, cwe_id: int) -> str | None:
        with self.lock:
            if self.unread is None:
                from cwe2.database import Database  # imported when a name is first wanted

                self.unread = list(Database.database_paths)
            while cwe_id not in self.names and self.unread:
                self._read(self.unread.pop(0))
            return self.names.get(cwe_id)

    def _read(self, path: str) -> None:
        with open(path, encoding="utf-8", newline="") as handle:
            rows = csv.reader(handle)
            header = next(rows, [])
            if "CWE-ID" not in header or "Name" not in header:
                return
            ident_at, name_at = header.index("CWE-ID"), header.index("Name")
            width = max(ident_at, name_at)
            for row in rows:
                if len(row) > width:
                    ident, name = row[ident_at], row[name_at]
                    if ident.isdigit() and name:
                        self.names.setdefault(int(ident), name)


_CATALOGUE = _Catalogue()


@lru_cache(maxsize=1)
def _database() -> Any:
    from cwe2.database import Database

    return Database()


@lru_cache(maxsize=None)
def cwe_name(cwe_id: int) -> str:
    """The catalogue's (or `NEWER_CWES`'s) name for CWE-`cwe_id`; raises KeyError
    for an unknown id."""
    name = NEWER_CWES.get(int(cwe_id)) or _CATALOGUE.name(int(cwe_id))
    if name is not None:
        return name
    from cwe2.database import InvalidCWEError

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
