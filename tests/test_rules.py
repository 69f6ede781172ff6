"""Pin each rule's behaviour on its fixtures: exact findings, exact silence.

`corpus/rules/<rule id without "py.">/bad.py` marks every expected
finding with a trailing `# expect: RULE[, RULE]` comment on the line the
finding must be reported on; `good.py` holds safe look-alikes a pattern
matcher would flag and must produce nothing at all.
"""

from __future__ import annotations

import ast
import re
import shutil
import textwrap
import tokenize
import tomllib
from collections import Counter
from pathlib import Path

import pytest

from secreview.config import Config
from secreview.engine import review
from secreview.model import Confidence, Finding, Report, Severity
from secreview.rules import all_rules, get_rule

FIXTURES = Path(__file__).parent.parent / "corpus" / "rules"
TEST_CODE = FIXTURES / "test-code"
RULE_IDS = [rule.id for rule in all_rules()]

# Each fixture folder holds `expect.toml`: the weakness the rule reports
# (`cwe`, written out so a change to a rule's CWE fails here), what a pattern
# matcher such as Bandit keys on (`lookalikes`, a regex: good.py must be full
# of it, so its silence means the rule told the safe use apart), and whether
# the weakness is harmless in test code (`harmless_in_tests`).
EXPECT = {rule_id: tomllib.loads((FIXTURES / rule_id.removeprefix("py.") / "expect.toml").read_text())
          for rule_id in RULE_IDS
          if (FIXTURES / rule_id.removeprefix("py.") / "expect.toml").is_file()}
EXPECTED_CWE = {rule_id: spec["cwe"] for rule_id, spec in EXPECT.items()}
SINK_PATTERNS = {rule_id: spec["lookalikes"] for rule_id, spec in EXPECT.items()}
# Findings whose weakness is more specific than the rule's default:
# `check_hostname = False` keeps chain verification, so it is CWE-297.
SPECIFIC_CWE = {("py.tls-verification-disabled", "ctx.check_hostname = False"): [297]}
MIN_LOOKALIKES = 6
_EXPECT = re.compile(r"expect:\s*(?P<rules>[\w.\-]+(?:\s*,\s*[\w.\-]+)*)")


# ----------------------------------------------------------------- helpers
def expected_findings(path: Path) -> set[tuple[str, int]]:
    """(rule, line) for every `# expect: RULE` comment (real comments only,
    found with the tokenizer, so the text inside strings does not count)."""
    out: set[tuple[str, int]] = set()
    with path.open(encoding="utf-8") as handle:
        for tok in tokenize.generate_tokens(handle.readline):
            if tok.type != tokenize.COMMENT:
                continue
            match = _EXPECT.search(tok.string)
            if match:
                for rule in match.group("rules").split(","):
                    out.add((rule.strip(), tok.start[0]))
    return out


def run(path: Path, root: Path, config: Config | None = None) -> Report:
    report = review([str(path)], config or Config(), root=str(root))
    assert report.errors == [], report.errors
    return report


def fixture(rule_id: str, kind: str) -> Path:
    return FIXTURES / rule_id.removeprefix("py.") / f"{kind}.py"


def findings_of(rule_id: str) -> list[Finding]:
    path = fixture(rule_id, "bad")
    return run(path, path.parent).findings


def line_of(path: Path, snippet: str) -> int:
    """The only line of `path` containing `snippet`."""
    lines = [n for n, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if snippet in text]
    assert len(lines) == 1, f"{snippet!r} occurs on lines {lines} of {path}"
    return lines[0]


def finding_at(rule_id: str, snippet: str) -> tuple[Finding, Path]:
    path = fixture(rule_id, "bad")
    line = line_of(path, snippet)
    matches = [f for f in findings_of(rule_id) if f.line == line]
    assert len(matches) == 1, f"expected one finding on line {line}, got {matches}"
    return matches[0], path


def finding_in(rule_id: str, scope: str) -> tuple[Finding, Path]:
    """The one finding of `rule_id`'s bad fixture inside function `scope`."""
    path = fixture(rule_id, "bad")
    matches = [f for f in findings_of(rule_id) if f.scope == scope]
    assert len(matches) == 1, f"expected one finding in {scope}(), got {matches}"
    return matches[0], path


def compiles(replacement: str) -> None:
    """The replacement is valid Python once dedented (statements such as
    `return` or `await` are compiled inside an async function)."""
    body = textwrap.dedent(replacement)
    if body.rstrip().split("#", 1)[0].rstrip().endswith(":"):
        body += "\n    pass"
    compile("async def _replacement():\n" + textwrap.indent(body, "    ") + "\n", "<fix>", "exec")


def leading_space(text: str) -> str:
    return text[: len(text) - len(text.lstrip())]


# ------------------------------------------------------- fixture contract
def test_every_rule_has_its_fixtures_and_an_expected_cwe():
    assert sorted(RULE_IDS) == sorted(EXPECTED_CWE)
    for rule_id in RULE_IDS:
        assert fixture(rule_id, "bad").is_file(), rule_id
        assert fixture(rule_id, "good").is_file(), rule_id


def test_expect_markers_are_parsed_from_comments_only(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text('x = "# expect: py.code-eval"\neval(x)  # expect: py.code-eval, py.weak-hash\n')
    assert expected_findings(sample) == {("py.code-eval", 2), ("py.weak-hash", 2)}


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_bad_fixture_findings_are_exact(rule_id):
    path = fixture(rule_id, "bad")
    expected = expected_findings(path)
    assert len(expected) >= 10, "a rule needs a real spread of vulnerable cases"
    assert {rule for rule, _ in expected} == {rule_id}
    findings = run(path, path.parent).findings
    found = Counter((f.rule, f.line) for f in findings)
    assert set(found) == expected, (
        f"missed: {sorted(expected - set(found))}; unexpected: {sorted(set(found) - expected)}")
    assert all(count == 1 for count in found.values()), f"duplicate findings: {found}"


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_findings_carry_the_rules_cwe_and_location(rule_id):
    path = fixture(rule_id, "bad")
    lines = path.read_text(encoding="utf-8").splitlines()
    for finding in findings_of(rule_id):
        code = lines[finding.line - 1].split("#")[0].strip()
        expected = SPECIFIC_CWE.get((rule_id, code), EXPECTED_CWE[rule_id])
        if len(expected) > 1:  # a rule for two weaknesses names the one each finding shows
            assert finding.cwe and set(finding.cwe) <= set(expected), finding.cwe
        else:
            assert finding.cwe == expected
        assert finding.path == "bad.py"
        assert finding.in_test is False
        assert finding.origin == "static"
        assert finding.end_line >= finding.line
        assert finding.code.splitlines()[0] == lines[finding.line - 1]
        assert finding.message and finding.explanation and finding.fix.description
    # Each weakness a rule claims is shown by at least one fixture case.
    assert {cwe for f in findings_of(rule_id) for cwe in f.cwe} >= set(EXPECTED_CWE[rule_id])


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_good_fixture_is_silent(rule_id):
    path = fixture(rule_id, "good")
    lookalikes = re.findall(SINK_PATTERNS[rule_id], path.read_text(encoding="utf-8"))
    assert len(lookalikes) >= MIN_LOOKALIKES, "good.py must be full of look-alikes"
    report = run(path, path.parent, Config(include_tests=True))
    assert [(f.rule, f.line, f.message) for f in report.findings] == []
    assert report.suppressed == []
    assert report.stats.files_analyzed == 1


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_fixes_are_exact_line_rewrites_that_clear_the_finding(rule_id, tmp_path):
    """Every mechanical fix keeps the indentation, compiles, and applying it
    makes the rule fall silent on those lines."""
    path = fixture(rule_id, "bad")
    lines = path.read_text(encoding="utf-8").splitlines()
    fixed = [f for f in findings_of(rule_id) if f.fix.replacement is not None]
    if not get_rule(rule_id).mechanical_fixes:
        assert fixed == [], f"{rule_id} says it offers no rewrites"
        return
    assert fixed, f"{rule_id} offers no mechanical fix on any fixture"
    for finding in fixed:
        replacement = finding.fix.replacement
        original = "\n".join(lines[finding.line - 1: finding.end_line])
        assert replacement != original
        assert leading_space(replacement) == leading_space(original)
        compiles(replacement)
        patched = lines[: finding.line - 1] + replacement.splitlines() + lines[finding.end_line:]
        target = tmp_path / "bad.py"
        target.write_text("\n".join(patched) + "\n", encoding="utf-8")
        after = run(target, tmp_path).findings
        span = range(finding.line, finding.line + len(replacement.splitlines()))
        assert [f for f in after if f.rule == rule_id and f.line in span] == [], replacement


# ------------------------------------------------ evidence and fixes, per rule
def test_shell_injection_names_the_parameter_and_fixes_to_an_argument_list():
    finding, path = finding_in("py.shell-injection", "ping")
    assert "`host` is a parameter of `ping()`" in finding.explanation
    assert "`os.system`" in finding.explanation
    assert [step.line for step in finding.trace] == [line_of(path, "def ping(host):")]
    assert finding.fix.replacement == (
        '    subprocess.run(["ping", "-c", "1", host]).returncode  # expect: py.shell-injection')
    assert finding.severity is Severity.HIGH


def test_shell_injection_traces_a_value_assigned_from_a_call():
    finding, path = finding_in("py.shell-injection", "from_a_call")
    # The taint engine follows the value from input() to the shell.
    source_line = line_of(path, 'command = input("command? ")')
    assert f'`input("command? ")` (standard input, line {source_line})' in finding.explanation
    assert [step.line for step in finding.trace] == [source_line, finding.line]
    assert finding.confidence is Confidence.HIGH  # input() is outside data
    assert finding.fix.replacement is None  # a whole command in a variable: no mechanical fix


def test_shell_injection_fix_drops_shell_true():
    finding, _ = finding_in("py.shell-injection", "run_with_shell")
    assert finding.fix.replacement == (
        '    subprocess.run(["grep", "-r", name, "/etc"])  # expect: py.shell-injection')
    finding, _ = finding_in("py.shell-injection", "aliased_module")
    assert finding.fix.replacement == '    sp.Popen(["nslookup", target])  # expect: py.shell-injection'


def test_shell_injection_multi_line_call_is_reported_on_its_first_line():
    finding, path = finding_in("py.shell-injection", "multi_line")
    assert finding.end_line == finding.line + 4
    assert {step.line for step in finding.trace} == {line_of(path, "def multi_line(host, count):")}
    assert "`count`, `host`" in finding.message


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_shell_injection_fix_handles_non_ascii_text_on_the_line(tmp_path, newline):
    source = tmp_path / "tool.py"
    text = 'import os\n"""\u2028 ünïcode docstring"""\n\ndef go(host):\n    print("héllo"); os.system("ping " + host)\n'
    source.write_bytes(text.replace("\n", newline).encode("utf-8"))
    (finding,) = run(source, tmp_path).findings
    assert finding.line == 5
    assert finding.fix.replacement == '    print("héllo"); subprocess.run(["ping", host]).returncode'


def test_code_eval_names_the_parameter_and_offers_literal_eval():
    finding, path = finding_in("py.code-eval", "parse_limit")
    assert "`text` is a parameter of `parse_limit()`" in finding.explanation
    assert [step.line for step in finding.trace] == [line_of(path, "def parse_limit(text):")]
    assert finding.fix.replacement == "    return ast.literal_eval(text)  # expect: py.code-eval"


def test_code_eval_gives_no_rewrite_when_literal_eval_cannot_take_the_arguments():
    finding, _ = finding_in("py.code-eval", "sandboxed")
    assert finding.fix.replacement is None
    finding, _ = finding_in("py.code-eval", "run_plugin")
    assert finding.fix.replacement is None


def test_code_eval_input_is_high_confidence():
    finding, _ = finding_in("py.code-eval", "calculator")
    assert finding.confidence is Confidence.HIGH
    assert "`input(\"expression: \")` (standard input, line 11) is data from outside" in finding.explanation


def test_unsafe_deserialization_names_the_data_and_fixes_to_a_safe_loader():
    finding, path = finding_in("py.unsafe-deserialization", "yaml_default")
    assert "`blob` is a parameter of `yaml_default()`" in finding.explanation
    assert [step.line for step in finding.trace] == [line_of(path, "def yaml_default(blob):")]
    assert finding.fix.replacement == "    return yaml.safe_load(blob)  # expect: py.unsafe-deserialization"

    finding, _ = finding_in("py.unsafe-deserialization", "load_settings")
    assert finding.fix.replacement == (
        "    return yaml.load(blob, Loader=yaml.SafeLoader)  # expect: py.unsafe-deserialization")
    finding, _ = finding_in("py.unsafe-deserialization", "imported_load")
    assert finding.fix.replacement == "    return yaml.safe_load(blob)  # expect: py.unsafe-deserialization"


def test_unsafe_deserialization_reports_six_moves_by_its_real_name():
    finding, _ = finding_in("py.unsafe-deserialization", "six_moves")
    assert "`six.moves.cPickle.loads`" in finding.message


def test_unsafe_deserialization_shelve_is_medium():
    finding, _ = finding_in("py.unsafe-deserialization", "open_shelf")
    assert finding.severity is Severity.MEDIUM
    assert "`name` is a parameter of `open_shelf()`" in finding.explanation


def test_tls_fix_turns_verification_back_on():
    finding, _ = finding_in("py.tls-verification-disabled", "fetch")
    assert "`verify=False`" in finding.message
    assert finding.fix.replacement == (
        "    return requests.get(url, verify=True, timeout=10)  # expect: py.tls-verification-disabled")
    finding, _ = finding_at("py.tls-verification-disabled", "ctx.verify_mode = ssl.CERT_NONE")
    assert finding.fix.replacement == (
        "    ctx.verify_mode = ssl.CERT_REQUIRED  # expect: py.tls-verification-disabled")
    finding, _ = finding_in("py.tls-verification-disabled", "unverified_context")
    assert finding.fix.replacement == (
        "    return ssl.create_default_context()  # expect: py.tls-verification-disabled")


def test_tls_false_through_a_constant_is_traced_to_its_binding():
    finding, path = finding_in("py.tls-verification-disabled", "through_constant")
    assert "`verify=VERIFY`" in finding.message
    assert "`VERIFY` is assigned from `False`" in finding.explanation
    assert [step.line for step in finding.trace] == [line_of(path, "VERIFY = False")]
    assert finding.fix.replacement == (
        "    return requests.get(url, verify=True, timeout=10)  # expect: py.tls-verification-disabled")


def test_weak_hash_says_what_reveals_the_purpose():
    finding, _ = finding_in("py.weak-hash", "store_password")
    assert "the hashed value mentions password" in finding.explanation
    assert finding.severity is Severity.HIGH
    assert finding.fix.replacement is None  # passwords need a KDF, not a faster swap
    assert "pbkdf2_hmac" in finding.fix.description


def test_weak_hash_token_fix_swaps_in_sha256():
    finding, _ = finding_in("py.weak-hash", "make_token")
    assert "the function `make_token()` mentions token" in finding.explanation
    assert finding.severity is Severity.MEDIUM
    assert finding.fix.replacement == (
        "    return hashlib.sha256(str(user_id).encode()).hexdigest()  # expect: py.weak-hash")


def test_weak_hash_follows_update_calls_on_the_hash_object():
    finding, _ = finding_in("py.weak-hash", "incremental")
    assert "the hashed value mentions password, salt" in finding.explanation
    finding, _ = finding_in("py.weak-hash", "legacy_digest")
    assert "MD5" in finding.message


# ------------------------------------------------------- test-code policy
HARMLESS_IN_TESTS = {rule_id for rule_id, spec in EXPECT.items() if spec["harmless_in_tests"]}


def test_harmless_in_tests_flags_match_the_policy():
    assert {r.id for r in all_rules() if r.harmless_in_tests} == HARMLESS_IN_TESTS


def _test_code_cases(tmp_path: Path) -> list[tuple[Path, Path, bool]]:
    """(file, root, is test code): the fixture under tests/, a copy named
    test_*.py, and a copy under a neutral name as the control."""
    helpers = TEST_CODE / "tests" / "helpers.py"
    named = tmp_path / "named" / "test_helpers.py"
    plain = tmp_path / "plain" / "helpers.py"
    for copy in (named, plain):
        copy.parent.mkdir()
        shutil.copy(helpers, copy)
    return [(helpers, TEST_CODE, True), (named, named.parent, True), (plain, plain.parent, False)]


def test_test_code_is_checked_only_by_rules_that_matter_there_by_default(tmp_path):
    expected = expected_findings(TEST_CODE / "tests" / "helpers.py")
    # The fixture holds a case of several harmless-in-tests rules and one rule
    # that stays reported in tests.
    assert {rule for rule, _ in expected} - {"py.shell-injection"} <= HARMLESS_IN_TESTS
    assert len({rule for rule, _ in expected}) >= 4
    for path, root, is_test in _test_code_cases(tmp_path):
        report = run(path, root)
        reported = {(f.rule, f.line) for f in report.findings}
        assert report.stats.test_files == int(is_test), path
        if is_test:
            assert reported == {e for e in expected if e[0] == "py.shell-injection"}, path
            (shell,) = report.findings
            assert shell.in_test is True
            assert "`command` is a parameter of `run_in_sandbox()`" in shell.explanation
        else:
            assert reported == expected, path
            assert all(f.in_test is False for f in report.findings)


def test_include_tests_reports_everything_marked_in_test(tmp_path):
    expected = expected_findings(TEST_CODE / "tests" / "helpers.py")
    for path, root, is_test in _test_code_cases(tmp_path):
        report = run(path, root, Config(include_tests=True))
        assert {(f.rule, f.line) for f in report.findings} == expected, path
        assert all(f.in_test is is_test for f in report.findings), path


# ------------------------------------- precision details the fixtures rely on
@pytest.mark.parametrize("source", [
    # a comprehension variable over constants is constant
    "import os\nCMDS = ('sync', 'uptime')\nfor_each = [os.system(c) for c in CMDS]\n",
    # a parameter named like the builtin is not the builtin
    "def run(eval):\n    return eval(input())\n",
    # a name imported inside a function resolves through that import
    "def parse(text):\n    from ast import literal_eval as eval\n    return eval(text)\n",
    # a loader assigned through a constant chain stays safe
    "import yaml\nL = yaml.SafeLoader\nM = L\ndef f(b):\n    return yaml.load(b, Loader=M)\n",
])
def test_safe_scoping_cases_are_silent(tmp_path, source):
    path = tmp_path / "case.py"
    path.write_text(source, encoding="utf-8")
    assert [(f.rule, f.line) for f in run(path, tmp_path).findings] == []


@pytest.mark.parametrize("source, rule, line", [
    # a comprehension variable over a parameter is not constant
    ("import os\ndef f(cmds):\n    return [os.system(c) for c in cmds]\n", "py.shell-injection", 3),
    # the first iterable of a comprehension is read in the enclosing scope
    ("import os\ndef f(c):\n    return [os.system(c) for c in [c]]\n", "py.shell-injection", 3),
    # a local name that shadows a safe loader is not the safe loader
    ("import yaml\ndef f(b, SafeLoader):\n    return yaml.load(b, Loader=SafeLoader)\n",
     "py.unsafe-deserialization", 3),
])
def test_unsafe_scoping_cases_are_reported(tmp_path, source, rule, line):
    path = tmp_path / "case.py"
    path.write_text(source, encoding="utf-8")
    assert [(f.rule, f.line) for f in run(path, tmp_path).findings] == [(rule, line)]


def test_fixture_sources_parse_with_this_python():
    """The fixtures use no syntax the fast parser rejects, so a fallback
    parse can never be what makes a fixture pass."""
    paths = sorted(FIXTURES.rglob("*.py"))
    assert len(paths) == 2 * len(RULE_IDS) + 1
    for path in paths:
        ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def test_unchecked_host_name_is_cwe_297_medium_and_says_the_chain_is_verified():
    [finding] = [f for f in findings_of("py.tls-verification-disabled") if "check_hostname" in f.code]
    assert (finding.cwe, finding.severity.label) == ([297], "medium")
    assert "chain is still verified" in finding.explanation
