"""`secreview bench`: the data set formats, CWE equivalence, the scoring
rules (exact counts on hand-made data), the real peers run beside secreview,
peers that crash or hang, and the bundled corpus."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from secreview.bench import load_manifest, load_truth, run_bench
from secreview.bench.corpus import render, truth_for
from secreview.bench.cwes import equivalents, matches
from secreview.bench.data import DataError
from secreview.bench.score import LINE_TOLERANCE, ToolFinding, score

from conftest import write

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
SEMGREP_RULES = Path(__file__).parent / "data" / "semgrep-rules"


# ------------------------------------------------------------------ CWEs
def test_a_cwe_matches_itself_its_parents_and_its_children_only():
    assert matches(89, 89)
    assert matches(943, 89) and matches(89, 943)  # SQL injection is a child of data query injection
    assert matches(564, 89)  # Hibernate SQL injection is a child of SQL injection
    assert matches(328, 327) and matches(916, 328)
    assert not matches(79, 89)
    assert not matches(707, 89)  # a grandparent (improper neutralisation) is too broad
    assert 78 in equivalents(77) and 88 in equivalents(77) and 89 not in equivalents(77)


# -------------------------------------------------------------- scoring
def _files(tmp_path: Path, *names: str) -> Path:
    for name in names:
        write(tmp_path, name, "x = 1\n" * 40)
    return tmp_path


def _truth(tmp_path: Path, entries: list[dict]) -> Path:
    path = tmp_path / "truth.json"
    path.write_text(json.dumps(entries), encoding="utf-8")
    return path


def test_line_level_scoring_counts_each_label_and_each_stray_finding(tmp_path):
    root = _files(tmp_path, "a.py", "b.py", "unlabelled.py")
    data = load_truth(_truth(tmp_path, [
        {"file": "a.py", "start_line": 10, "end_line": 12, "cwe": 89, "kind": "vulnerable"},
        {"file": "a.py", "start_line": 20, "end_line": 20, "cwe": 78, "acceptable_cwes": [88], "kind": "vulnerable"},
        {"file": "a.py", "start_line": 30, "end_line": 30, "cwe": 78, "kind": "vulnerable"},
        {"file": "b.py", "start_line": 5, "end_line": 5, "cwe": 89, "kind": "decoy"},
        {"file": "b.py", "start_line": 15, "end_line": 15, "cwe": 89, "kind": "decoy"},
    ]), root)
    findings = [
        ToolFinding("a.py", 12 + LINE_TOLERANCE, (943,)),   # matches 89 (parent), at the edge of tolerance
        ToolFinding("a.py", 11, (89,)),                     # the same label again: one TP
        ToolFinding("a.py", 20, (88,)),                     # an acceptable CWE
        ToolFinding("a.py", 30 + LINE_TOLERANCE + 1, (78,)),  # just outside: a stray FP, and 30 is missed
        ToolFinding("a.py", 30, (79,)),                     # right line, wrong CWE: a stray FP
        ToolFinding("b.py", 5, (89,)),                      # on a decoy: FP
        ToolFinding("b.py", 5, (89,)),                      # the same again: still one FP
        ToolFinding("unlabelled.py", 3, (89,)),             # a file the data set does not label: not scored
    ]
    result = score(data, findings).to_dict()
    pooled = result["pooled"]
    assert (pooled["tp"], pooled["fp"], pooled["fn"], pooled["tn"]) == (2, 3, 1, 1)
    assert pooled["precision"] == pytest.approx(2 / 5) and pooled["recall"] == pytest.approx(2 / 3)
    assert pooled["f1"] == pytest.approx(2 * 0.4 * (2 / 3) / (0.4 + 2 / 3))
    assert pooled["f2"] == pytest.approx(5 * 0.4 * (2 / 3) / (4 * 0.4 + 2 / 3))
    groups = result["groups"]
    assert (groups["CWE-89"]["tp"], groups["CWE-89"]["fp"], groups["CWE-89"]["tn"]) == (1, 1, 1)
    assert (groups["CWE-78"]["tp"], groups["CWE-78"]["fn"], groups["CWE-78"]["fp"]) == (1, 1, 1)
    assert groups["CWE-79"]["fp"] == 1
    assert result["missed"] == [{"file": "a.py", "line": 30, "cwe": 78}]


def test_a_finding_matches_only_its_nearest_label(tmp_path):
    root = _files(tmp_path, "a.py")
    data = load_truth(_truth(tmp_path, [
        {"file": "a.py", "start_line": 10, "end_line": 10, "cwe": 113, "kind": "vulnerable"},
        {"file": "a.py", "start_line": 11, "end_line": 11, "cwe": 113, "kind": "decoy"},
        {"file": "a.py", "start_line": 20, "end_line": 20, "cwe": 113, "kind": "decoy"},
    ]), root)
    pooled = score(data, [ToolFinding("a.py", 10, (113,)), ToolFinding("a.py", 19, (113,))]).to_dict()["pooled"]
    # line 10 is the vulnerable label, not also the decoy one line below;
    # line 19 is nearest to the decoy at 20
    assert (pooled["tp"], pooled["fp"], pooled["fn"], pooled["tn"]) == (1, 1, 0, 1)


def test_file_level_scoring_gives_the_owasp_score_per_category(tmp_path):
    root = _files(tmp_path, "s1.py", "s2.py", "s3.py", "s4.py", "h1.py", "h2.py")
    manifest = tmp_path / "expected.csv"
    manifest.write_text("file,category,vulnerable,cwe\n"
                        "s1.py,sqli,true,89\ns2.py,sqli,true,89\ns3.py,sqli,false,89\ns4.py,sqli,false,89\n"
                        "h1.py,hash,TRUE,CWE-328\nh2.py,hash,false,328\n", encoding="utf-8")
    data = load_manifest(manifest, root)
    findings = [ToolFinding("s1.py", 3, (89,)), ToolFinding("s3.py", 9, (943,)), ToolFinding("s4.py", 1, (79,)),
                ToolFinding("h1.py", 2, (327,)), ToolFinding("h2.py", 2, (327,))]
    result = score(data, findings).to_dict()
    sqli, hashing = result["groups"]["sqli"], result["groups"]["hash"]
    assert (sqli["tp"], sqli["fp"], sqli["fn"], sqli["tn"]) == (1, 1, 1, 1)
    assert (sqli["tpr"], sqli["fpr"], sqli["score"]) == (0.5, 0.5, 0.0)
    assert (hashing["tp"], hashing["fp"], hashing["fn"], hashing["tn"]) == (1, 1, 0, 0)
    assert (hashing["tpr"], hashing["fpr"], hashing["score"]) == (1.0, 1.0, 0.0)
    assert result["pooled"]["average_category_score"] == 0.0
    assert (result["pooled"]["tp"], result["pooled"]["fp"]) == (2, 2)


@pytest.mark.parametrize("text, message", [
    ("path,kind\na.py,x\n", "the header must name file,category,vulnerable,cwe (missing: file, category, "
                            "vulnerable, cwe)"),
    ("file,category,vulnerable,cwe\na.py,sqli,maybe,89\n", "expected.csv:2: vulnerable must be true or false"),
    ("file,category,vulnerable,cwe\na.py,sqli,true,SQL\n", "expected.csv:2: CWE must be a number"),
    ("file,category,vulnerable,cwe\nmissing.py,sqli,true,89\n", "expected.csv:2: missing.py does not exist"),
    ("file,category,vulnerable,cwe\n../a.py,sqli,true,89\n", "file must be a path inside the data set's folder"),
    ("file,category,vulnerable,cwe\na.py,sqli,true,89\na.py,sqli,true,89\n", "expected.csv:3: a.py is listed twice"),
    ("file,category,vulnerable,cwe\n", "the manifest has no rows"),
])
def test_a_bad_manifest_is_an_error_naming_the_row(tmp_path, text, message):
    root = _files(tmp_path, "a.py")
    manifest = tmp_path / "expected.csv"
    manifest.write_text(text, encoding="utf-8")
    with pytest.raises(DataError, match=None) as info:
        load_manifest(manifest, root)
    assert message in str(info.value)


@pytest.mark.parametrize("entries, message", [
    ({"file": "a.py"}, "must be a non-empty JSON list"),
    ([{"file": "a.py", "start_line": 3, "cwe": 89}], "entry 0: missing kind"),
    ([{"file": "a.py", "start_line": 3, "end_line": 2, "cwe": 89, "kind": "vulnerable"}], "start <= end"),
    ([{"file": "a.py", "start_line": 3, "cwe": 89, "kind": "bug"}], "kind must be 'vulnerable' or 'decoy'"),
    ([{"file": "/etc/passwd", "start_line": 3, "cwe": 89, "kind": "decoy"}], "inside the data set's folder"),
])
def test_bad_truth_is_an_error_naming_the_entry(tmp_path, entries, message):
    root = _files(tmp_path, "a.py")
    with pytest.raises(DataError) as info:
        load_truth(_truth(tmp_path, entries), root)
    assert message in str(info.value)


# ------------------------------------------------- the real tools, end to end
SHELL_VULN = """\
import subprocess

from flask import Flask, request

app = Flask(__name__)


@app.route("/ping")
def ping():
    host = request.args["host"]
    return subprocess.run("ping -c 1 " + host, shell=True, capture_output=True).stdout
"""
SHELL_SAFE = """\
import subprocess


def disk_usage():
    return subprocess.run(["df", "-h"], capture_output=True, check=True).stdout
"""
HASH_VULN = """\
import hashlib


def store_password(password: str) -> str:
    return hashlib.md5(password.encode()).hexdigest()
"""
HASH_SAFE = """\
import hashlib


def cache_key(url: str) -> str:
    return hashlib.md5(url.encode(), usedforsecurity=False).hexdigest()
"""
MANIFEST = ("file,category,vulnerable,cwe\n"
            "cmd/ping.py,cmdi,true,78\ncmd/disk.py,cmdi,false,78\n"
            "hash/store.py,hash,true,328\nhash/cache.py,hash,false,328\n")


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    root = tmp_path / "data"
    for name, text in (("cmd/ping.py", SHELL_VULN), ("cmd/disk.py", SHELL_SAFE),
                       ("hash/store.py", HASH_VULN), ("hash/cache.py", HASH_SAFE)):
        write(root, name, text)
    (tmp_path / "expected.csv").write_text(MANIFEST, encoding="utf-8")
    return root


def _bench(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "secreview", "bench", *args], capture_output=True, text=True,
                          env=env, timeout=600)


def test_bench_scores_secreview_and_bandit_on_a_manifest_and_writes_the_results(dataset, tmp_path):
    out = tmp_path / "out"
    run = _bench("--manifest", str(tmp_path / "expected.csv"), str(dataset), "--tools", "secreview,bandit",
                 "--out", str(out))
    assert run.returncode == 0, run.stderr
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    tools = {t["name"]: t for t in results["tools"]}
    assert [t["status"] for t in results["tools"]] == ["ok", "ok"]
    ours = tools["secreview"]["score"]["groups"]
    assert {name: (g["tp"], g["fp"], g["fn"], g["tn"]) for name, g in ours.items()} == {
        "cmdi": (1, 0, 0, 1), "hash": (1, 0, 0, 1)}
    assert tools["secreview"]["score"]["pooled"]["score"] == 1.0
    # Bandit flags every subprocess call (B603/B404, CWE-78), the safe one too.
    assert tools["bandit"]["score"]["groups"]["cmdi"]["fp"] == 1
    assert tools["bandit"]["wall_vs_secreview"] > 0 and tools["secreview"]["peak_mib"] > 0
    assert results["data_set"] == {"root": str(dataset), "source": str(tmp_path / "expected.csv"), "level": "file",
                                   "labels": 4, "vulnerable": 2, "line_tolerance": None}
    assert (out / "chart.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    table = (out / "results.md").read_text(encoding="utf-8")
    assert "| secreview 0.1.0 | ok |" in table and "| cmdi (CWE-78) | 1 | 0 | 0 | 1 |" in table
    assert "TPR - FPR" in run.stdout and "CWE equivalence used" in run.stdout


def _fake_semgrep(folder: Path, body: str) -> dict[str, str]:
    folder.mkdir()
    exe = folder / "semgrep"
    exe.write_text(f"#!{sys.executable}\nimport sys, time\n{body}\n", encoding="utf-8")
    exe.chmod(exe.stat().st_mode | stat.S_IEXEC)
    return {**os.environ, "PATH": f"{folder}{os.pathsep}{os.environ['PATH']}"}


@pytest.mark.parametrize("body, status, detail", [
    ("if '--version' in sys.argv: print('9.9.9')\nelse: sys.stderr.write('fatal: rules broken\\n'); sys.exit(7)",
     "crashed", "exit status 7: fatal: rules broken"),
    ("if '--version' in sys.argv: print('9.9.9')\nelse: time.sleep(60)", "timed out", "stopped after 3 s"),
    ("if '--version' in sys.argv: print('9.9.9')\nelse: print('not json')", "crashed", "unreadable output"),
])
def test_a_peer_that_crashes_or_hangs_is_reported_and_the_others_still_run(dataset, tmp_path, body, status, detail):
    env = _fake_semgrep(tmp_path / "bin", body)
    run = _bench("--manifest", str(tmp_path / "expected.csv"), str(dataset), "--tools", "semgrep,secreview",
                 "--semgrep-rules", str(SEMGREP_RULES), "--timeout", "3", "-f", "json", env=env)
    assert run.returncode == 0, run.stderr
    tools = {t["name"]: t for t in json.loads(run.stdout)["tools"]}
    assert tools["semgrep"]["status"] == status and detail in tools["semgrep"]["detail"]
    assert "score" not in tools["semgrep"]
    assert tools["secreview"]["status"] == "ok" and tools["secreview"]["score"]["pooled"]["tp"] == 2


def test_semgrep_without_local_rules_is_skipped_with_the_reason(dataset, tmp_path):
    run = _bench("--manifest", str(tmp_path / "expected.csv"), str(dataset), "--tools", "secreview,semgrep",
                 "-f", "json")
    tools = {t["name"]: t for t in json.loads(run.stdout)["tools"]}
    assert tools["semgrep"]["status"] == "skipped"
    assert "--semgrep-rules" in tools["semgrep"]["detail"]


@pytest.mark.skipif(shutil.which("semgrep") is None, reason="Semgrep is not installed (optional peer)")
def test_semgrep_runs_offline_on_local_rules(dataset, tmp_path):
    run = _bench("--manifest", str(tmp_path / "expected.csv"), str(dataset), "--tools", "semgrep",
                 "--semgrep-rules", str(SEMGREP_RULES), "-f", "json")
    [semgrep] = json.loads(run.stdout)["tools"]
    assert semgrep["status"] == "ok", semgrep["detail"]
    assert semgrep["score"]["groups"]["cmdi"]["tp"] == 1 and semgrep["wall_seconds"] < 60


@pytest.mark.parametrize("args, message", [
    (["nowhere"], "nowhere: no such folder"),
    (["corpus-missing"], "no such folder"),
    (["--manifest", "x.csv", "--truth", "y.json", "."], "give --manifest or --truth, not both"),
    (["--tools", "secreview,pylint", "."], "unknown tool(s) pylint"),
    (["."], "truth.json: no labels (give --manifest CSV or --truth JSON)"),
])
def test_bench_usage_errors_exit_2_with_a_message(tmp_path, args, message):
    for name in ("x.csv", "y.json"):
        (tmp_path / name).write_text("", encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "secreview", "bench", *args], capture_output=True, text=True,
                         cwd=tmp_path)
    assert run.returncode == 2 and message in run.stderr, run.stderr


# ------------------------------------------------------------ our corpus
def test_the_corpus_truth_is_generated_from_its_labels_and_current():
    entries = truth_for(CORPUS)
    assert (CORPUS / "truth.json").read_text(encoding="utf-8") == render(entries), \
        "run: python -m secreview.bench.corpus corpus"
    vulnerable = [e for e in entries if e["kind"] == "vulnerable"]
    decoys = [e for e in entries if e["kind"] == "decoy"]
    assert len(entries) >= 300 and len(decoys) >= len(vulnerable)
    assert {e["note"] for e in vulnerable} == {e["note"] for e in decoys}  # every rule has both kinds


def test_secreview_on_its_corpus_has_no_false_positive():
    data = load_truth(CORPUS / "truth.json", CORPUS)
    result = run_bench(data, ("secreview",))
    [run] = result.runs
    assert run.status == "ok", run.detail
    scored = result.scores["secreview"].to_dict()
    assert scored["pooled"]["fp"] == 0, scored["false_positives"][:5]
    # `DEBUG = True` in a folder named debug-enabled is, by the rule's own
    # policy, development configuration: the only label missed when the
    # corpus is reviewed as one tree.
    assert scored["missed"] == [{"file": "rules/debug-enabled/bad.py", "line": 17, "cwe": 489}]
