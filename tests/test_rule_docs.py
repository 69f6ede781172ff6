"""Every rule documents itself in the fixed shape, and the documentation's
code is true: the Example triggers the rule, the Use-instead does not."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from secreview.cli import main
from secreview.config import Config
from secreview.cwe import is_known_cwe
from secreview.engine import review
from secreview.rules import all_rules, get_rule
from secreview.rules.base import DOC_SECTIONS, Rule, doc_sections

RULES = all_rules()
RULE_IDS = [rule.id for rule in RULES]
_CODE_BLOCK = re.compile(r"```python\n(?P<code>.*?)```", re.DOTALL)


def code_block(rule: Rule, section: str) -> str:
    """The first ```python block of a section."""
    match = _CODE_BLOCK.search(rule.doc_section(section))
    assert match, f"{rule.id}: section {section!r} has no ```python block"
    return match.group("code")


def findings_for(code: str, tmp_path: Path, rule_id: str) -> list[tuple[str, int]]:
    """Review `code` as a module of its own (not test code) and return the
    findings of `rule_id`."""
    path = tmp_path / "example.py"
    path.write_text(code, encoding="utf-8")
    report = review([str(path)], Config(), root=str(tmp_path))
    assert report.errors == [], report.errors
    return [(f.rule, f.line) for f in report.findings if f.rule == rule_id]


def test_the_rule_pack_is_complete():
    assert sorted(RULE_IDS) == [
        "py.allowed-hosts-wildcard", "py.archive-extraction", "py.assert-security", "py.code-eval",
        "py.csrf-exempt", "py.debug-enabled", "py.exception-exposure", "py.hardcoded-secret",
        "py.header-injection", "py.insecure-cookie", "py.insecure-random", "py.insecure-temp-file",
        "py.jinja-autoescape", "py.jwt-unverified", "py.ldap-injection", "py.log-injection",
        "py.missing-authorization", "py.open-redirect", "py.oslo-secret-option", "py.password-hash",
        "py.path-traversal", "py.permissive-permissions", "py.regex-injection", "py.request-timeout",
        "py.reviewer-injection", "py.sensitive-logging", "py.shell-injection", "py.sql-injection", "py.ssh-host-key", "py.ssrf",
        "py.template-injection", "py.tls-verification-disabled", "py.tls-version", "py.trust-boundary",
        "py.unsafe-deserialization", "py.weak-cipher", "py.weak-hash", "py.weak-key",
        "py.xpath-injection", "py.xss", "py.xxe"]


def test_the_readme_lists_every_rule():
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    listed = re.findall(r"^\| `(py\.[a-z0-9-]+)` \| ([0-9, ]+) \|", readme, re.MULTILINE)
    assert sorted(rule for rule, _ in listed) == sorted(RULE_IDS)
    for rule_id, cwes in listed:
        assert [int(c) for c in cwes.split(",")] == list(get_rule(rule_id).cwe), rule_id


@pytest.mark.parametrize("rule", RULES, ids=RULE_IDS)
def test_docstring_has_every_section_in_order(rule):
    sections = doc_sections(rule.doc)
    assert list(sections) == list(DOC_SECTIONS), f"{rule.id}: sections are {list(sections)}"
    for title in DOC_SECTIONS:
        assert sections[title].strip(), f"{rule.id}: section {title!r} is empty"
    assert rule.summary and rule.name and rule.id.startswith("py.")


@pytest.mark.parametrize("rule", RULES, ids=RULE_IDS)
def test_cwes_are_real_and_referenced(rule):
    assert rule.cwe, rule.id
    references = rule.doc_section("References")
    for cwe in rule.cwe:
        assert is_known_cwe(cwe), f"{rule.id}: CWE-{cwe} is not in the catalogue"
        assert f"https://cwe.mitre.org/data/definitions/{cwe}.html" in references
    assert all(line.startswith("- http") for line in references.splitlines() if line.strip())


def test_is_known_cwe_rejects_made_up_ids():
    assert not is_known_cwe(999999)


@pytest.mark.parametrize("rule", RULES, ids=RULE_IDS)
def test_example_triggers_the_rule(rule, tmp_path):
    assert findings_for(code_block(rule, "Example"), tmp_path, rule.id), (
        f"{rule.id}: the documented Example is not reported")


@pytest.mark.parametrize("rule", RULES, ids=RULE_IDS)
def test_use_instead_does_not_trigger_the_rule(rule, tmp_path):
    assert findings_for(code_block(rule, "Use instead"), tmp_path, rule.id) == []


@pytest.mark.parametrize("rule", RULES, ids=RULE_IDS)
def test_example_and_use_instead_differ(rule):
    assert code_block(rule, "Example").strip() != code_block(rule, "Use instead").strip()


# -------------------------------------------------------------------- CLI
def test_rules_command_lists_every_rule_with_its_cwe():
    result = CliRunner().invoke(main, ["rules"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) == len(RULES)
    for rule, line in zip(RULES, lines):
        assert line.split()[0] == rule.id
        for cwe in rule.cwe:
            assert f"CWE-{cwe}" in line
        assert rule.name in line


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_explain_prints_the_docs(rule_id):
    result = CliRunner().invoke(main, ["explain", rule_id])
    assert result.exit_code == 0, result.output
    rule = get_rule(rule_id)
    assert result.output.startswith(f"{rule.id}: {rule.name}\n")
    assert rule.doc in result.output
    for title in DOC_SECTIONS:
        assert f"## {title}" in result.output
    for cwe in rule.cwe:
        assert f"CWE-{cwe}" in result.output


def test_explain_unknown_rule_exits_2_and_names_the_known_ones():
    result = CliRunner().invoke(main, ["explain", "nope"])
    assert result.exit_code == 2
    assert "unknown rule 'nope'" in result.stderr
    assert all(rule_id in result.stderr for rule_id in RULE_IDS)
    assert result.stdout == ""
