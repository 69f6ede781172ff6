"""The renderers: the JSON contract of DESIGN.md, SARIF 2.1.0 checked against
the official OASIS schema, and the text and Markdown reviews."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import pytest

from secreview.rules import all_rules

from conftest import CLEAN_SUMMARY, SAFE, SHELL, SHELL_LINE, TLS, TLS_LINE, write
from secreview import __version__
from secreview.config import Config
from secreview.cwe import cwe_name
from secreview.engine import review
from secreview.model import Report, Severity, Verdict
from secreview.report import RenderOptions, render

SCHEMA_PATH = Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"

TOP_KEYS = {"tool", "verdict", "summary", "stats", "errors", "findings"}
STATS_KEYS = {"files_analyzed", "files_skipped", "functions_analyzed", "lines_analyzed", "seconds"}
FINDING_KEYS = {"fingerprint", "rule", "cwe", "severity", "confidence", "path", "line", "end_line",
                "column", "code", "message", "explanation", "fix", "trace", "origin", "in_test"}

SHELL_CODE = '    os.system(f"ping -c 1 {host}")'


def run_review(folder: Path, *targets: str, config: Config | None = None) -> Report:
    return review([str(folder / t) for t in targets] or [str(folder)], config or Config(), root=str(folder))


def as_json(report: Report, show_suppressed: bool = False) -> dict[str, Any]:
    return json.loads(render(report, "json", RenderOptions(show_suppressed=show_suppressed)))


# ----------------------------------------------------------------- JSON


def assert_contract(data: dict[str, Any]) -> None:
    """Every level of the report has exactly the keys and types of DESIGN.md."""
    assert set(data) == TOP_KEYS
    assert data["tool"] == {"name": "secreview", "version": __version__}
    assert data["verdict"] in {"defects", "clean", "incomplete"}
    assert isinstance(data["summary"], str) and data["summary"]
    assert STATS_KEYS <= set(data["stats"])
    for key in STATS_KEYS - {"seconds"}:
        assert type(data["stats"][key]) is int and data["stats"][key] >= 0
    assert isinstance(data["stats"]["seconds"], float) and data["stats"]["seconds"] >= 0
    for error in data["errors"]:
        assert set(error) == {"path", "reason"}
        assert isinstance(error["path"], str) and isinstance(error["reason"], str) and error["reason"]
    for finding in data["findings"]:
        assert set(finding) == FINDING_KEYS
        assert re.fullmatch(r"[0-9a-f]{32}", finding["fingerprint"])
        assert finding["cwe"] and all(type(c) is int for c in finding["cwe"])
        assert finding["severity"] in {"critical", "high", "medium", "low"}
        assert finding["confidence"] in {"high", "medium", "low"}
        assert "\\" not in finding["path"] and not finding["path"].startswith("/")
        for key in ("line", "end_line", "column"):
            assert type(finding[key]) is int
        assert 1 <= finding["line"] <= finding["end_line"] and finding["column"] >= 0
        assert set(finding["fix"]) == {"description", "replacement"}
        assert isinstance(finding["fix"]["description"], str) and finding["fix"]["description"]
        assert finding["fix"]["replacement"] is None or isinstance(finding["fix"]["replacement"], str)
        for step in finding["trace"]:
            assert set(step) == {"path", "line", "note"}
            assert type(step["line"]) is int and isinstance(step["note"], str)
        assert finding["origin"] == "static"
        assert type(finding["in_test"]) is bool


def test_json_clean_report(tmp_path: Path) -> None:
    write(tmp_path, "safe.py", SAFE)
    write(tmp_path, "other.py", "X = 1\n")
    data = as_json(run_review(tmp_path))
    assert_contract(data)
    assert data["verdict"] == "clean"
    assert data["summary"] == CLEAN_SUMMARY
    assert data["errors"] == [] and data["findings"] == []
    stats = data["stats"]
    assert (stats["files_analyzed"], stats["files_skipped"], stats["functions_analyzed"],
            stats["lines_analyzed"]) == (2, 0, 1, 4)


def test_json_defects_report_has_every_field_with_exact_values(tmp_path: Path) -> None:
    write(tmp_path, "pkg/net.py", SHELL)
    write(tmp_path, "web.py", TLS)
    data = as_json(run_review(tmp_path))
    assert_contract(data)
    assert data["verdict"] == "defects"
    assert data["summary"] == "2 security defects found (2 high)."
    assert data["errors"] == []
    shell, tls = data["findings"]
    assert (shell["rule"], shell["cwe"], shell["severity"], shell["path"], shell["line"], shell["end_line"],
            shell["column"], shell["code"], shell["origin"], shell["in_test"]) == (
        "py.shell-injection", [78], "high", "pkg/net.py", SHELL_LINE, SHELL_LINE, 4, SHELL_CODE, "static", False)
    assert "host" in shell["message"]
    # The evidence: `host` is the parameter declared on line 2.
    assert [(s["path"], s["line"]) for s in shell["trace"]] == [("pkg/net.py", 2)]
    assert "host" in shell["trace"][0]["note"]
    assert (tls["rule"], tls["cwe"], tls["path"], tls["line"], tls["code"]) == (
        "py.tls-verification-disabled", [295], "web.py", TLS_LINE,
        "    return requests.get(url, verify=False, timeout=10)")
    assert data["stats"]["files_analyzed"] == 2 and data["stats"]["lines_analyzed"] == 6


def test_json_incomplete_report(tmp_path: Path) -> None:
    write(tmp_path, "good.py", SHELL)
    write(tmp_path, "broken.py", "def f(:\n    pass\n")
    data = as_json(run_review(tmp_path))
    assert_contract(data)
    assert data["verdict"] == "incomplete"
    assert data["summary"].startswith("Review incomplete: 1 file in scope could not be analysed")
    assert data["summary"].endswith("1 security defect found (1 high).")
    assert [e["path"] for e in data["errors"]] == ["broken.py"]
    assert data["errors"][0]["reason"].startswith("syntax error at line 1")
    assert [(f["path"], f["line"]) for f in data["findings"]] == [("good.py", SHELL_LINE)]
    assert (data["stats"]["files_analyzed"], data["stats"]["files_skipped"]) == (1, 1)


def test_json_paths_use_forward_slashes_relative_to_root(tmp_path: Path) -> None:
    write(tmp_path, "a/b/c/deep.py", SHELL)
    data = as_json(run_review(tmp_path))
    assert [f["path"] for f in data["findings"]] == ["a/b/c/deep.py"]


def test_json_in_test_is_true_for_test_code(tmp_path: Path) -> None:
    write(tmp_path, "tests/test_net.py", SHELL)
    data = as_json(run_review(tmp_path))
    assert [(f["path"], f["in_test"]) for f in data["findings"]] == [("tests/test_net.py", True)]


def fingerprint_of(folder: Path, text: str) -> tuple[str, int]:
    write(folder, "app.py", text)
    (finding,) = run_review(folder).findings
    return finding.fingerprint, finding.line


def test_fingerprint_survives_unrelated_lines_inserted_above(tmp_path: Path) -> None:
    before, line_before = fingerprint_of(tmp_path, SHELL)
    shifted = "import os\n# a comment\nimport sys\n\n\ndef other():\n    return sys.argv\n\n\n" + SHELL.split("\n", 1)[1]
    after, line_after = fingerprint_of(tmp_path, shifted)
    assert (line_before, line_after) == (3, 11)
    assert after == before
    # Re-indenting the statement does not change it either (white space is folded).
    reindented, line = fingerprint_of(tmp_path, SHELL.replace("    os.system", "    if host:\n        os.system"))
    assert line == 4
    assert reindented == before


def test_fingerprint_differs_for_different_code(tmp_path: Path) -> None:
    base, _ = fingerprint_of(tmp_path, SHELL)
    other_cmd, _ = fingerprint_of(tmp_path, SHELL.replace("ping -c 1", "traceroute"))
    other_func, _ = fingerprint_of(tmp_path, SHELL.replace("def ping", "def probe"))
    assert len({base, other_cmd, other_func}) == 3


def test_fingerprint_differs_for_repeated_identical_code(tmp_path: Path) -> None:
    text = SHELL + '    os.system(f"ping -c 1 {host}")\n'
    write(tmp_path, "app.py", text)
    first, second = run_review(tmp_path).findings
    assert (first.line, second.line) == (3, 4)
    assert first.fingerprint != second.fingerprint
    # The first one keeps the fingerprint it has when it is alone.
    alone, _ = fingerprint_of(tmp_path, SHELL)
    assert first.fingerprint == alone


def test_json_show_suppressed_adds_lists_and_keeps_contract(tmp_path: Path) -> None:
    write(tmp_path, "app.py", SHELL.replace('{host}")', '{host}")  # nosec'))
    report = run_review(tmp_path)
    plain = as_json(report)
    assert set(plain) == TOP_KEYS and plain["findings"] == []
    shown = as_json(report, show_suppressed=True)
    assert set(shown) == TOP_KEYS | {"suppressed"}
    (item,) = shown["suppressed"]
    assert set(item) == FINDING_KEYS | {"suppressed_by"}
    assert (item["rule"], item["line"], item["suppressed_by"]) == ("py.shell-injection", 3, "line 3: # nosec")


# ----------------------------------------------------------------- SARIF


def _uri(value: object) -> bool:
    return not isinstance(value, str) or (bool(urlsplit(value).scheme) and _uri_reference(value))


def _uri_reference(value: object) -> bool:
    # RFC 3986: no spaces, back-slashes or other characters that must be percent-encoded.
    return not isinstance(value, str) or re.fullmatch(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]*", value) is not None


@pytest.fixture(scope="module")
def sarif_validator() -> jsonschema.Draft4Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert schema["id"] == "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
    jsonschema.Draft4Validator.check_schema(schema)
    checker = jsonschema.Draft4Validator.FORMAT_CHECKER
    # jsonschema checks "uri" only when an optional package is installed: check it always.
    checker = jsonschema.FormatChecker(formats=checker.checkers)
    checker.checks("uri")(_uri)
    checker.checks("uri-reference")(_uri_reference)
    return jsonschema.Draft4Validator(schema, format_checker=checker)


def assert_valid_sarif(validator: jsonschema.Draft4Validator, log: dict[str, Any]) -> None:
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(log)]
    assert errors == []


def as_sarif(report: Report) -> dict[str, Any]:
    return json.loads(render(report, "sarif"))


def test_schema_validator_rejects_invalid_logs(sarif_validator: jsonschema.Draft4Validator) -> None:
    """The validation below means something: broken logs fail it."""
    assert not sarif_validator.is_valid({"version": "2.1.0"})
    run = {"tool": {"driver": {"name": "x"}}, "results": [{"ruleId": "r"}]}  # result without message
    assert not sarif_validator.is_valid({"version": "2.1.0", "runs": [run]})
    location = {"physicalLocation": {"artifactLocation": {"uri": "my file.py"}}}
    run = {"tool": {"driver": {"name": "x"}}, "results": [{"message": {"text": "m"}, "locations": [location]}]}
    assert not sarif_validator.is_valid({"version": "2.1.0", "runs": [run]})


def test_sarif_with_findings_traces_and_fixes_is_valid(tmp_path: Path, sarif_validator) -> None:
    write(tmp_path, "pkg/net.py", SHELL)
    write(tmp_path, "web.py", TLS)
    write(tmp_path, "name with space#1.py", SHELL)
    report = run_review(tmp_path)
    log = as_sarif(report)
    assert_valid_sarif(sarif_validator, log)
    (run,) = log["runs"]
    results = run["results"]
    assert len(results) == 3
    assert any("codeFlows" in r for r in results) and any("fixes" in r for r in results)
    assert run["invocations"][0]["executionSuccessful"] is True
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == tmp_path.resolve().as_uri() + "/"
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"] for r in results]
    assert uris == [{"uri": "name%20with%20space%231.py", "uriBaseId": "%SRCROOT%"},
                    {"uri": "pkg/net.py", "uriBaseId": "%SRCROOT%"},
                    {"uri": "web.py", "uriBaseId": "%SRCROOT%"}]


def test_sarif_rules_results_and_fingerprints(tmp_path: Path) -> None:
    write(tmp_path, "app.py", SHELL)
    report = run_review(tmp_path)
    (run,) = as_sarif(report)["runs"]
    rules = run["tool"]["driver"]["rules"]
    (result,) = run["results"]
    assert result["ruleId"] == "py.shell-injection"
    assert rules[result["ruleIndex"]]["id"] == "py.shell-injection"
    rule = rules[result["ruleIndex"]]
    assert rule["properties"]["tags"][:2] == ["security", "external/cwe/cwe-78"]
    for descriptor in rules:
        security_severity = descriptor["properties"]["security-severity"]
        assert isinstance(security_severity, str) and 0.0 <= float(security_severity) <= 10.0
    assert float(rule["properties"]["security-severity"]) >= 7.0  # high
    assert result["level"] == "error"
    assert result["partialFingerprints"] == {"secreview/v1": report.findings[0].fingerprint}
    location = result["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "app.py", "uriBaseId": "%SRCROOT%"}
    assert location["region"] == {"startLine": 3, "endLine": 3, "startColumn": 5}
    assert location["contextRegion"] == {"startLine": 3, "endLine": 3, "snippet": {"text": SHELL_CODE}}
    steps = result["codeFlows"][0]["threadFlows"][0]["locations"]
    assert [s["location"]["physicalLocation"]["region"]["startLine"] for s in steps] == [2, 3]

    # Stable when unrelated lines are inserted above.
    write(tmp_path, "app.py", "# header\n\n" + SHELL)
    (moved,) = as_sarif(run_review(tmp_path))["runs"][0]["results"]
    assert moved["locations"][0]["physicalLocation"]["region"]["startLine"] == 5
    assert moved["partialFingerprints"] == result["partialFingerprints"]


def test_sarif_fix_replaces_the_finding_lines(tmp_path: Path) -> None:
    write(tmp_path, "web.py", TLS)
    (result,) = as_sarif(run_review(tmp_path))["runs"][0]["results"]
    (fix,) = result["fixes"]
    (change,) = fix["artifactChanges"]
    (replacement,) = change["replacements"]
    assert change["artifactLocation"] == {"uri": "web.py", "uriBaseId": "%SRCROOT%"}
    assert replacement["deletedRegion"] == {"startLine": 3, "endLine": 3}
    # The region holds the line without its line break, so the new text has none.
    assert replacement["insertedContent"] == {"text": "    return requests.get(url, verify=True, timeout=10)"}


def test_sarif_severity_override_reaches_rule_metadata(tmp_path: Path) -> None:
    write(tmp_path, "app.py", SHELL)
    report = run_review(tmp_path, config=Config(severity_overrides={"py.shell-injection": Severity.LOW}))
    (run,) = as_sarif(report)["runs"]
    (result,) = run["results"]
    rule = run["tool"]["driver"]["rules"][result["ruleIndex"]]
    assert rule["properties"]["security-severity"] == result["properties"]["security-severity"]
    assert float(rule["properties"]["security-severity"]) < 4.0
    assert (rule["defaultConfiguration"]["level"], result["level"]) == ("note", "note")


def test_sarif_clean_report_is_valid(tmp_path: Path, sarif_validator) -> None:
    write(tmp_path, "safe.py", SAFE)
    log = as_sarif(run_review(tmp_path))
    assert_valid_sarif(sarif_validator, log)
    (run,) = log["runs"]
    assert run["results"] == []
    invocation = run["invocations"][0]
    assert invocation["executionSuccessful"] is True
    assert invocation["toolExecutionNotifications"] == []
    assert invocation["properties"]["verdict"] == "clean"
    assert invocation["properties"]["summary"] == CLEAN_SUMMARY


def test_sarif_incomplete_report_is_valid_and_unsuccessful(tmp_path: Path, sarif_validator) -> None:
    write(tmp_path, "good.py", SHELL)
    write(tmp_path, "bad.py", "def f(:\n")
    write(tmp_path, "bin.py", b"\x00\x01")
    log = as_sarif(run_review(tmp_path))
    assert_valid_sarif(sarif_validator, log)
    (run,) = log["runs"]
    invocation = run["invocations"][0]
    assert invocation["executionSuccessful"] is False
    assert invocation["properties"]["verdict"] == "incomplete"
    notes = invocation["toolExecutionNotifications"]
    assert [n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for n in notes] == ["bad.py", "bin.py"]
    assert all(n["level"] == "error" for n in notes)
    assert notes[0]["message"]["text"].startswith("bad.py was not analysed: syntax error at line 1")
    descriptors = run["tool"]["driver"]["notifications"]
    assert all(descriptors[n["descriptor"]["index"]]["id"] == n["descriptor"]["id"] for n in notes)
    assert len(run["results"]) == 1


# ----------------------------------------------------------- text, Markdown


def test_text_clean_report(tmp_path: Path) -> None:
    write(tmp_path, "safe.py", SAFE)
    text = render(run_review(tmp_path), "text")
    lines = text.splitlines()
    assert lines[0] == CLEAN_SUMMARY
    assert lines.count(CLEAN_SUMMARY) == 1
    coverage = lines[-1]
    assert coverage.startswith(f"Coverage: Analysed 1 file, 1 function, 3 lines with {len(all_rules())} rules in ")
    assert "Skipped 0 files." in coverage
    assert lines.index(CLEAN_SUMMARY) < lines.index(coverage)


def test_text_finding_shows_location_code_weakness_and_fix(tmp_path: Path) -> None:
    write(tmp_path, "app.py", SHELL)
    report = run_review(tmp_path)
    (finding,) = report.findings
    text = render(report, "text")
    lines = text.splitlines()
    assert lines[0] == "1 security defect found (1 high)."
    assert any(line.startswith("[1] app.py:3:5  HIGH severity, ") and
               f"{finding.confidence.label} confidence" in line for line in lines)
    assert f"    3 | {SHELL_CODE}" in lines
    assert f"    CWE-78: {cwe_name(78)}" in lines
    assert "OS Command Injection" in cwe_name(78)
    assert f"    Why: {finding.explanation}" in lines
    assert f"    Fix: {finding.fix.description}" in lines
    assert finding.fix.replacement
    assert "    Suggested code:" in lines
    assert f"      {finding.fix.replacement}" in lines
    assert "    Evidence:" in lines
    assert any(line.startswith("      - app.py:2: ") for line in lines)


def test_text_incomplete_lists_each_file_and_reason(tmp_path: Path) -> None:
    write(tmp_path, "a_bad.py", "def f(:\n")
    write(tmp_path, "b_bin.py", b"\x00")
    write(tmp_path, "ok.py", SAFE)
    text = render(run_review(tmp_path), "text")
    assert text.startswith("INCOMPLETE: Review incomplete: 2 files in scope could not be analysed")
    lines = text.splitlines()
    assert "Not analysed:" in lines
    assert "  a_bad.py: syntax error at line 1: invalid syntax" in lines
    assert "  b_bin.py: binary file (contains NUL bytes), not Python source" in lines
    assert CLEAN_SUMMARY not in text


def test_markdown_reports(tmp_path: Path) -> None:
    write(tmp_path, "app.py", SHELL)
    write(tmp_path, "bad.py", "def f(:\n")
    report = run_review(tmp_path)
    md = render(report, "markdown")
    assert md.startswith("# secreview security review\n")
    assert "> **Incomplete.** Review incomplete: 1 file in scope" in md
    assert "| `bad.py` | syntax error at line 1: invalid syntax |" in md
    assert "| 1 | `app.py:3` | CWE-78 | high |" in md
    assert f"```python\n{SHELL_CODE}\n```" in md
    assert f"`app.py` line 3 · CWE-78: {cwe_name(78)} · rule `py.shell-injection`" in md

    clean_dir = tmp_path / "clean"
    write(clean_dir, "safe.py", SAFE)
    clean = render(run_review(clean_dir), "markdown")
    assert f"**{CLEAN_SUMMARY}**" in clean
    assert "_Analysed 1 file, 1 function, 3 lines; skipped 0;" in clean


def test_markdown_fence_is_longer_than_backticks_in_code(tmp_path: Path) -> None:
    write(tmp_path, "app.py", 'import os\ndef ping(host):\n    os.system(f"echo ``` {host}")\n')
    md = render(run_review(tmp_path), "markdown")
    assert '````python\n    os.system(f"echo ``` {host}")\n````' in md


def test_verdict_is_computed(tmp_path: Path) -> None:
    assert Report().verdict is Verdict.CLEAN and Report().summary == CLEAN_SUMMARY


def test_columns_count_characters_not_utf8_bytes(tmp_path: Path) -> None:
    from secreview.config import Config
    from secreview.engine import review

    (tmp_path / "app.py").write_text('import os\n\ndef f(nom):\n    é = "ü"; os.system("echo " + nom)\n',
                                     encoding="utf-8")
    report = review([str(tmp_path)], Config(), root=str(tmp_path))
    [finding] = report.findings
    line = '    é = "ü"; os.system("echo " + nom)'
    assert finding.column == line.index("os.system")
