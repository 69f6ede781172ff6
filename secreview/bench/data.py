"""Labelled data sets: a file-level CSV manifest or line-level JSON truth.

Both formats are documented in the README ("Measuring: `secreview bench`").
Loading validates every row and names the first bad one; a data set that
cannot be read is an error, never an empty score.
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass, field
from pathlib import Path


class DataError(Exception):
    """A data set that cannot be used, with the file and row at fault."""


@dataclass(frozen=True)
class FileLabel:
    """One row of a file-level manifest."""

    file: str
    category: str
    vulnerable: bool
    cwe: int


@dataclass(frozen=True)
class LineLabel:
    """One entry of line-level truth."""

    file: str
    start_line: int
    end_line: int
    cwe: int
    acceptable_cwes: tuple[int, ...] = ()
    kind: str = "vulnerable"  # or "decoy"
    note: str = ""

    @property
    def cwes(self) -> tuple[int, ...]:
        return (self.cwe, *[c for c in self.acceptable_cwes if c != self.cwe])


@dataclass
class DataSet:
    """What `secreview bench` scores against. Exactly one of `files` and
    `lines` is filled."""

    root: Path
    files: list[FileLabel] = field(default_factory=list)
    lines: list[LineLabel] = field(default_factory=list)
    source: str = ""

    @property
    def level(self) -> str:
        return "file" if self.files else "line"

    @property
    def paths(self) -> set[str]:
        return {label.file for label in (self.files or self.lines)}


_TRUE = {"true", "yes", "1"}
_FALSE = {"false", "no", "0"}
_CWE = re.compile(r"^(?:CWE-)?(\d+)$", re.IGNORECASE)


def _cwe(value: object, where: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    match = _CWE.match(str(value).strip()) if isinstance(value, str) else None
    if match is None:
        raise DataError(f"{where}: CWE must be a number like 89 or 'CWE-89', got {value!r}")
    return int(match.group(1))


def _relative(file: str, root: Path, where: str) -> str:
    path = file.strip().replace("\\", "/")
    while path.startswith("./"):
        path = path[2:]
    if not path or path.startswith("/") or ".." in path.split("/"):
        raise DataError(f"{where}: file must be a path inside the data set's folder, got {file!r}")
    if not (root / path).is_file():
        raise DataError(f"{where}: {path} does not exist under {root}")
    return path


def load_manifest(csv_path: Path, root: Path) -> DataSet:
    """A CSV with the header `file,category,vulnerable,cwe` (more columns are
    ignored), one row per file, paths relative to `root`."""
    try:
        text = csv_path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"{csv_path}: cannot read the manifest ({exc})") from None
    reader = csv.DictReader(text.splitlines())
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [h for h in ("file", "category", "vulnerable", "cwe") if h not in header]
    if missing:
        raise DataError(f"{csv_path}: the header must name file,category,vulnerable,cwe "
                        f"(missing: {', '.join(missing)})")
    labels: list[FileLabel] = []
    seen: set[str] = set()
    for number, raw in enumerate(reader, start=2):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items()}
        where = f"{csv_path}:{number}"
        flag = row["vulnerable"].lower()
        if flag not in _TRUE | _FALSE:
            raise DataError(f"{where}: vulnerable must be true or false, got {row['vulnerable']!r}")
        file = _relative(row["file"], root, where)
        if file in seen:
            raise DataError(f"{where}: {file} is listed twice")
        seen.add(file)
        labels.append(FileLabel(file, row["category"] or "uncategorised", flag in _TRUE, _cwe(row["cwe"], where)))
    if not labels:
        raise DataError(f"{csv_path}: the manifest has no rows")
    return DataSet(root, files=labels, source=str(csv_path))


def load_truth(json_path: Path, root: Path) -> DataSet:
    """A JSON list of `{"file", "start_line", "end_line", "cwe",
    "acceptable_cwes", "kind"}` (`kind` is `vulnerable` or `decoy`)."""
    try:
        entries = json.loads(json_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataError(f"{json_path}: cannot read the truth file ({exc})") from None
    if not isinstance(entries, list) or not entries:
        raise DataError(f"{json_path}: the truth file must be a non-empty JSON list of entries")
    labels: list[LineLabel] = []
    for index, entry in enumerate(entries):
        where = f"{json_path} entry {index}"
        if not isinstance(entry, dict):
            raise DataError(f"{where}: each entry must be an object")
        missing = [k for k in ("file", "start_line", "cwe", "kind") if k not in entry]
        if missing:
            raise DataError(f"{where}: missing {', '.join(missing)}")
        start = entry["start_line"]
        end = entry.get("end_line", start)
        if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 1 for n in (start, end)) or end < start:
            raise DataError(f"{where}: start_line and end_line must be line numbers with start <= end")
        kind = entry["kind"]
        if kind not in ("vulnerable", "decoy"):
            raise DataError(f"{where}: kind must be 'vulnerable' or 'decoy', got {kind!r}")
        acceptable = entry.get("acceptable_cwes") or []
        if not isinstance(acceptable, list):
            raise DataError(f"{where}: acceptable_cwes must be a list")
        labels.append(LineLabel(
            _relative(str(entry["file"]), root, where), start, end, _cwe(entry["cwe"], where),
            tuple(_cwe(c, where) for c in acceptable), kind, str(entry.get("note", ""))))
    return DataSet(root, lines=labels, source=str(json_path))
