"""Scoring one tool's findings against a labelled data set.

Line level: a finding matches an entry when it is in the same file, on a
line from `start_line - LINE_TOLERANCE` to `end_line + LINE_TOLERANCE`, and
one of its CWEs matches one of the entry's (`cwes.matches`). A finding matches
only the nearest such entry (a vulnerable one on a tie). A vulnerable
entry matched by any finding is a true positive (once), unmatched a false
negative; a decoy matched by a finding is a false positive (once), unmatched
a true negative; a finding that matches no entry is a false positive of its
own. Findings in files the data set does not label are not scored.

File level: a file is flagged when any finding in it carries the row's CWE
or a matching one; flagged vulnerable rows are true positives, flagged safe
rows false positives, and so on. Each category is also scored as the OWASP
Benchmark does, TPR - FPR.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from secreview.bench.cwes import matches
from secreview.bench.data import DataSet, LineLabel

# Findings one or two lines away from a label still match it: tools disagree
# on whether a multi-line call is reported at its first line or its sink
# argument, and decorators move a function's reported line.
LINE_TOLERANCE = 2


@dataclass(frozen=True)
class ToolFinding:
    path: str  # relative to the data set's folder, '/'-separated
    line: int
    cwes: tuple[int, ...]
    rule: str = ""


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    def add(self, other: "Counts") -> None:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn
        self.tn += other.tn

    def metrics(self) -> dict[str, Any]:
        precision = _ratio(self.tp, self.tp + self.fp)
        recall = _ratio(self.tp, self.tp + self.fn)
        fpr = _ratio(self.fp, self.fp + self.tn)
        return {"tp": self.tp, "fp": self.fp, "fn": self.fn, "tn": self.tn,
                "precision": precision, "recall": recall,
                "f1": _f_beta(precision, recall, 1.0), "f2": _f_beta(precision, recall, 2.0),
                "tpr": recall, "fpr": fpr, "score": None if recall is None or fpr is None else recall - fpr}


def _ratio(a: int, b: int) -> float | None:
    return a / b if b else None


def _f_beta(precision: float | None, recall: float | None, beta: float) -> float | None:
    if precision is None or recall is None:
        return None
    if precision == 0 and recall == 0:
        return 0.0
    b2 = beta * beta
    return (1 + b2) * precision * recall / (b2 * precision + recall)


@dataclass
class Score:
    """Counts per group (CWE for line truth, category for manifests) and pooled."""

    groups: dict[str, Counts] = field(default_factory=dict)
    group_cwe: dict[str, int] = field(default_factory=dict)
    pooled: Counts = field(default_factory=Counts)
    # What was not matched, for reading the results: (path, line, cwes) of
    # false-positive findings and (path, line, cwe) of missed labels.
    false_positives: list[tuple[str, int, tuple[int, ...]]] = field(default_factory=list)
    missed: list[tuple[str, int, int]] = field(default_factory=list)

    def group(self, name: str, cwe: int) -> Counts:
        self.group_cwe.setdefault(name, cwe)
        return self.groups.setdefault(name, Counts())

    def to_dict(self) -> dict[str, Any]:
        groups = {name: {"cwe": self.group_cwe[name], **counts.metrics()}
                  for name, counts in sorted(self.groups.items())}
        pooled = self.pooled.metrics()
        scores = [g["score"] for g in groups.values() if g["score"] is not None]
        pooled["average_category_score"] = sum(scores) / len(scores) if scores else None
        return {"groups": groups, "pooled": pooled,
                "false_positives": [{"file": p, "line": n, "cwe": list(c)} for p, n, c in self.false_positives],
                "missed": [{"file": p, "line": n, "cwe": c} for p, n, c in self.missed]}


def score(data: DataSet, findings: list[ToolFinding]) -> Score:
    labelled = data.paths
    scored = [f for f in findings if f.path in labelled]
    return _score_files(data, scored) if data.level == "file" else _score_lines(data, scored)


def _score_files(data: DataSet, findings: list[ToolFinding]) -> Score:
    result = Score()
    by_file: dict[str, list[ToolFinding]] = {}
    for finding in findings:
        by_file.setdefault(finding.path, []).append(finding)
    for label in data.files:
        flagged = any(matches(cwe, label.cwe) for f in by_file.get(label.file, ()) for cwe in f.cwes)
        counts = Counts(tp=int(flagged and label.vulnerable), fp=int(flagged and not label.vulnerable),
                        fn=int(not flagged and label.vulnerable), tn=int(not flagged and not label.vulnerable))
        result.group(label.category, label.cwe).add(counts)
        result.pooled.add(counts)
        if counts.fp:
            result.false_positives.append((label.file, 0, (label.cwe,)))
        if counts.fn:
            result.missed.append((label.file, 0, label.cwe))
    return result


def _hits(label: LineLabel, finding: ToolFinding) -> bool:
    return (finding.path == label.file
            and label.start_line - LINE_TOLERANCE <= finding.line <= label.end_line + LINE_TOLERANCE
            and any(matches(found, wanted) for found in finding.cwes for wanted in label.cwes))


def _distance(label: LineLabel, line: int) -> int:
    return max(label.start_line - line, line - label.end_line, 0)


def _score_lines(data: DataSet, findings: list[ToolFinding]) -> Score:
    result = Score()
    by_file: dict[str, list[tuple[int, LineLabel]]] = {}  # file -> (index in data.lines, label)
    for i, label in enumerate(data.lines):
        by_file.setdefault(label.file, []).append((i, label))
    matched: set[int] = set()  # indexes of findings that matched a label
    hit_labels: set[int] = set()
    for number, finding in enumerate(findings):
        # A finding is one claim: it matches the nearest acceptable label
        # (a vulnerable one on a tie), not every label within tolerance.
        candidates = [(i, label) for i, label in by_file.get(finding.path, ()) if _hits(label, finding)]
        if candidates:
            best, _ = min(candidates, key=lambda c: (_distance(c[1], finding.line), c[1].kind != "vulnerable"))
            matched.add(number)
            hit_labels.add(best)
    for i, label in enumerate(data.lines):
        counts = result.group(f"CWE-{label.cwe}", label.cwe)
        hit = i in hit_labels
        if label.kind == "vulnerable":
            delta = Counts(tp=int(hit), fn=int(not hit))
            if not hit:
                result.missed.append((label.file, label.start_line, label.cwe))
        else:
            delta = Counts(fp=int(hit), tn=int(not hit))
            if hit:
                result.false_positives.append((label.file, label.start_line, (label.cwe,)))
        counts.add(delta)
        result.pooled.add(delta)
    # A finding that matches nothing is a false positive, counted under its
    # own first CWE (once per file, line and CWE: one defect, one count).
    seen: set[tuple[str, int, int]] = set()
    for number, finding in enumerate(findings):
        if number in matched:
            continue
        cwe = finding.cwes[0] if finding.cwes else 0
        key = (finding.path, finding.line, cwe)
        if key in seen:
            continue
        seen.add(key)
        result.group(f"CWE-{cwe}" if cwe else "no CWE", cwe).add(Counts(fp=1))
        result.pooled.add(Counts(fp=1))
        result.false_positives.append((finding.path, finding.line, finding.cwes))
    return result
