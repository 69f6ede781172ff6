"""CWE names from the cwe2 catalogue, read lazily: the same names as reading
every file of it, and a report naming its rules' weaknesses reads only the
first few files (all 51 take 0.3 s, paid on every run with a finding)."""

from __future__ import annotations

import csv

from cwe2.database import Database

from secreview.cwe import NEWER_CWES, _Catalogue, cwe_name, is_known_cwe
from secreview.rules import all_rules


def _whole_catalogue() -> dict[int, str]:
    """id -> name, every file read in the catalogue's order, the first naming an id wins."""
    names: dict[int, str] = {}
    for path in Database.database_paths:
        with open(path, encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                ident, name = row.get("CWE-ID") or "", row.get("Name")
                if ident.isdigit() and name:
                    names.setdefault(int(ident), name)
    return names


def test_names_read_on_demand_are_those_of_the_whole_catalogue() -> None:
    whole = _whole_catalogue()
    assert len(whole) > 900
    catalogue = _Catalogue()
    assert {ident: catalogue.name(ident) for ident in whole} == whole
    assert catalogue.name(999_999) is None  # every file read, and no such id


def test_the_rules_weaknesses_are_named_from_the_first_files() -> None:
    catalogue = _Catalogue()
    for rule in all_rules():
        for ident in rule.cwe:
            if ident not in NEWER_CWES:
                assert catalogue.name(ident), ident
    assert catalogue.unread is not None
    read = len(Database.database_paths) - len(catalogue.unread)
    assert read <= 4, f"{read} of {len(Database.database_paths)} files read"


def test_names_newer_than_the_catalogue_and_unknown_ids() -> None:
    assert cwe_name(1427) == "Improper Neutralization of Input Used for LLM Prompting"
    assert cwe_name(89) == ("Improper Neutralization of Special Elements used in an SQL Command "
                            "('SQL Injection')")
    assert cwe_name(1000) == "Research Concepts"  # a view: from the catalogue's own look-up
    assert not is_known_cwe(999_999)
