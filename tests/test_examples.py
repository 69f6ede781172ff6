"""The bundled example: every planted defect is reported, at its line, and
nothing else is (the safe look-alikes stay quiet)."""

from __future__ import annotations

import re
from pathlib import Path

from secreview.config import Config
from secreview.engine import review
from secreview.model import Verdict

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
PLANTED = re.compile(r"#\s*planted:\s*(?P<rule>py\.[\w.\-]+)")


def planted() -> set[tuple[str, int, str]]:
    expected = set()
    for path in sorted(EXAMPLES.rglob("*.py")):
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            match = PLANTED.search(line)
            if match:
                expected.add((path.relative_to(ROOT).as_posix(), number, match.group("rule")))
    return expected


def test_example_app_reports_exactly_the_planted_defects():
    report = review([str(EXAMPLES)], Config(), root=str(ROOT))
    found = {(f.path, f.line, f.rule) for f in report.findings}
    assert len(planted()) == 6
    assert found == planted()
    assert report.verdict is Verdict.DEFECTS
    assert report.errors == []


def test_example_suppressed_findings_are_counted_and_test_code_gets_the_rules_that_matter_there():
    report = review([str(EXAMPLES)], Config(), root=str(ROOT))
    assert [(f.path, f.rule) for f in report.suppressed] == [
        ("examples/inventory/client.py", "py.tls-verification-disabled")]
    assert report.stats.suppressed == 1 and report.stats.test_files == 2  # tests/__init__.py, test_client.py
    assert not any(f.in_test for f in report.findings)
    with_tests = review([str(EXAMPLES)], Config(include_tests=True), root=str(ROOT))
    in_test = [f for f in with_tests.findings if f.in_test]
    assert {(f.line, f.rule) for f in in_test} == {(12, "py.tls-verification-disabled"), (17, "py.weak-hash")}
