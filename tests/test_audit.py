"""`secreview audit`: every claim of a review checked against the code.

The two seed reviews (tests/data/seeds/) are audited against code written to
be like the Nova files they were about (tests/data/audit/nova/): review-000
must come out with its contradiction, wrong lines and invented identifiers,
review-004 with none of them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import write

DATA = Path(__file__).parent / "data"
NOVA = DATA / "audit"
MOVING = "nova/tests/functional/servers_moving.py"
REGRESSION = "nova/tests/functional/regressions/regression_no_valid_host.py"


@pytest.fixture
def nova(monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(NOVA)
    return NOVA


def failed(claim: dict) -> dict[str, dict]:
    return {c["name"]: c for c in claim["checks"] if c["ok"] is False}


def test_review_000_is_flagged_for_contradiction_wrong_lines_and_invented_identifiers(nova: Path, cli) -> None:
    run = cli("audit", "--code", MOVING, "--project", "nova", "--review", str(DATA / "seeds" / "review-000.txt"),
              "-f", "json")
    assert run.exit_code == 1
    report = run.json()
    assert report["passed"] is False
    assert report["review_verdict"] == "clean"
    [consistency] = report["review_checks"]
    assert consistency["ok"] is False and consistency["verdict"] == "contradiction"
    assert "then claims 6 defect(s)" in consistency["reason"]
    claims = report["claims"]
    assert len(claims) == 6
    # Every one contradicts the opening verdict; that is the verdict each gets.
    assert [c["verdict"] for c in claims] == ["contradiction"] * 6
    checks = [failed(c) for c in claims]
    # Wrong lines: the quoted code is elsewhere, and the audit says where.
    assert [(c.get("location") or {}).get("found_line") for c in checks] == [47, 53, None, None, 75, None]
    assert checks[0]["location"]["reason"] == ("`self.assertEqual(dest_host, server['OS-EXT-SRV-ATTR:host'])` "
                                               "is on line 47, not line 40")
    assert "location" not in checks[2] and "location" not in checks[3]  # lines 30 and 59 are right
    # The variable the file never defines: the quoted line is not in the code at all.
    assert checks[5]["location"]["verdict"] == "not in code"
    assert "`dest_rp_usages`" in checks[5]["identifiers"]["reason"]
    # Invented API methods proposed as fixes.
    assert "proposes `api.get_server_ext_attr` as the fix, which does not exist" in checks[0]["identifiers"]["reason"]
    assert "`api.get_resource_provider`" in checks[4]["identifiers"]["reason"]
    assert "`api.get_provider_usages`" in checks[5]["identifiers"]["reason"]
    # Methods that do exist are accepted: post_server_action, get_flavors, get_server.
    assert "identifiers" not in checks[1] and "identifiers" not in checks[2] and "identifiers" not in checks[3]
    # All six are about assertions and helpers in a functional test.
    assert all(c["test-context"]["verdict"] == "test-only" for c in checks)
    assert report["score"] == 0.0


def test_review_004_is_grounded(nova: Path, cli) -> None:
    run = cli("audit", "--code", REGRESSION, "--project", "nova", "--review", str(DATA / "seeds" / "review-004.txt"),
              "-f", "json")
    report = run.json()
    assert [(c["claim"]["index"], c["verdict"], failed(c)) for c in report["claims"]] == [
        (n, "grounded", {}) for n in range(1, 7)]
    assert report["review_checks"][0]["ok"] is True
    assert (report["passed"], report["score"], run.exit_code) == (True, 1.0, 0)


def test_text_report_says_why_for_each_claim(nova: Path, cli) -> None:
    run = cli("audit", "--code", MOVING, "--project", "nova", "--review", str(DATA / "seeds" / "review-000.txt"))
    assert run.exit_code == 1
    assert run.stdout.startswith("FAILED: 0 of 6 claim(s) grounded; score 0.00 (review verdict: clean).")
    assert "    verdict: contradiction" in run.stdout
    assert "    - location: `self.assertEqual(dest_host, server['OS-EXT-SRV-ATTR:host'])` is on line 47, " \
           "not line 40" in run.stdout
    markdown = cli("audit", "--code", MOVING, "--project", "nova", "--review", str(DATA / "seeds" / "review-000.txt"),
                   "-f", "markdown")
    assert "| # | Claim | Cited line | Verdict | Why |" in markdown.stdout
    assert markdown.stdout.count("| contradiction |") == 6


APP = '''\
import sqlite3

from flask import Flask, request

app = Flask(__name__)


@app.route("/user")
def user():
    name = request.args["name"]
    cur = sqlite3.connect("app.db").cursor()
    cur.execute("SELECT * FROM users WHERE name = '%s'" % name)
    return str(cur.fetchall())


@app.route("/health")
def health():
    return "ok"
'''


def audit_text(cli, review: str, *extra: str):
    write(Path.cwd(), "review.md", review)
    return cli("audit", "--code", "app.py", "--review", "review.md", "-f", "json", *extra)


@pytest.mark.parametrize(("review", "verdict", "check", "reason"), [
    # Grounded, even with the quote re-spaced.
    ("1. **SQL injection (CWE-89)** on line 12: `cur.execute(\"SELECT * FROM users WHERE name = '%s'\"  %  name)` "
     "splices request data into SQL. Fix: pass it as a parameter, "
     "`cur.execute(\"SELECT * FROM users WHERE name = ?\", (name,))`.\n", "grounded", None, None),
    # The same claim one function off.
    ("1. **SQL injection (CWE-89)** on line 18: `cur.execute(\"SELECT * FROM users WHERE name = '%s'\" % name)` "
     "splices request data into SQL. Fix: use a bound parameter with `cur.execute`.\n",
     "wrong line", "location", "is on line 12, not line 18"),
    # A line that does not exist.
    ("1. **SQL injection (CWE-89)** on line 90 splices request data into SQL. Fix: bind it with `cur.execute`.\n",
     "not in code", "location", "line 90 does not exist: app.py has 18 lines"),
    # Code that is not there.
    ("1. **SQL injection (CWE-89)** on line 12: `db.session.execute(raw_sql)` is unsafe. "
     "Fix: use `cur.execute` with parameters.\n", "not in code", "location", "`db.session.execute(raw_sql)` is not in app.py"),
    # A fix that names an API nobody defined.
    ("1. **SQL injection (CWE-89)** on line 12: `cur.execute(\"SELECT * FROM users WHERE name = '%s'\" % name)`. "
     "Fix: use `cur.execute_safely()` instead.\n", "invented identifier", "identifiers",
     "proposes `cur.execute_safely` as the fix, which does not exist"),
    # A weakness the line cannot have.
    ("1. **SQL injection (CWE-89)** on line 18: `return \"ok\"` builds a query. Fix: use `cur.execute` with parameters.\n",
     "not in code", "weakness", "needs a query"),
    ("1. **Weakness CWE-99999** on line 12: `cur.execute(\"SELECT * FROM users WHERE name = '%s'\" % name)`. "
     "Fix: bind it with `cur.execute`.\n", "invented identifier", "weakness", "CWE-99999 is not in the CWE catalogue"),
    # Hedging with nothing to hold on to.
    ("1. **Potential issue**: the code could potentially be insecure without proper authorization; consider "
     "using appropriate authentication and authorization mechanisms.\n", "vague", "actionability", "lacks a location"),
])
def test_hand_written_claims_about_code(project: Path, cli, review: str, verdict: str, check: str | None,
                                        reason: str | None) -> None:
    write(project, "app.py", APP)
    run = audit_text(cli, review)
    [claim] = run.json()["claims"]
    assert claim["verdict"] == verdict, claim
    if check is None:
        assert failed(claim) == {}
        assert run.exit_code == 0
    else:
        assert reason in failed(claim)[check]["reason"]
        assert run.exit_code == 1


def test_defects_verdict_without_defect_claims_is_a_contradiction(project: Path, cli) -> None:
    write(project, "app.py", APP)
    run = audit_text(cli, "I found the following security defects:\n\n"
                          "1. The `health` view on line 17 returns a constant, which is fine.\n")
    report = run.json()
    assert report["review_verdict"] == "defects"
    assert report["review_checks"][0]["verdict"] == "contradiction"
    assert report["claims"][0]["verdict"] == "grounded"
    assert (run.exit_code, report["score"]) == (1, 0.5)


PATCHED = APP.replace('    return "ok"\n', '    token = request.args["token"]\n    return "ok " + token\n')


def test_diff_claims_are_checked_on_the_lines_and_side_they_claim(project: Path, cli, tmp_path: Path) -> None:
    write(project, "app.py", PATCHED)
    patch = ("--- a/app.py\n+++ b/app.py\n@@ -15,4 +15,5 @@\n \n @app.route(\"/health\")\n def health():\n"
             "-    return \"ok\"\n+    token = request.args[\"token\"]\n+    return \"ok \" + token\n")
    write(project, "change.patch", patch)
    comments = [
        {"path": "app.py", "line": 19, "side": "RIGHT",
         "body": "Reflected XSS (CWE-79): `return \"ok \" + token` echoes the query parameter. "
                 "Fix: escape it with `html.escape(token)`."},
        {"path": "app.py", "line": 12, "side": "RIGHT",
         "body": "SQL injection (CWE-89): `cur.execute(\"SELECT * FROM users WHERE name = '%s'\" % name)`. "
                 "Fix: bind it with `cur.execute`."},
        {"path": "app.py", "line": 18, "side": "LEFT",
         "body": "The old `return \"ok\"` returned a constant, which was fine."},
    ]
    write(project, "review.json", json.dumps(comments))
    run = cli("audit", "--code", "app.py", "--diff", "change.patch", "--review", "review.json", "-f", "json")
    claims = run.json()["claims"]
    assert [c["verdict"] for c in claims] == ["grounded", "wrong line", "grounded"]
    assert failed(claims[1])["location"]["reason"] == "line 12 is outside the diff (lines 15-19 shown on the new side)"
    assert run.exit_code == 1


def test_unreadable_inputs_are_clear_errors(project: Path, cli) -> None:
    write(project, "app.py", APP)
    run = cli("audit", "--code", "app.py", "--review", "missing.md")
    assert run.exit_code == 2
    write(project, "review.json", '{"comments": 5}')
    run = cli("audit", "--code", "app.py", "--review", "review.json")
    assert run.exit_code == 2 and run.stderr.startswith("secreview: audit: review.json:")
    write(project, "bad.patch", "--- a/other.py\n+++ b/other.py\n@@ -1 +1 @@\n-a\n+b\n")
    write(project, "review.md", "Nothing to say.\n")
    run = cli("audit", "--code", "app.py", "--diff", "bad.patch", "--review", "review.md")
    assert run.exit_code == 2
    assert "other.py" in run.stderr


def test_the_library_api_grounds_one_claim_and_says_where_the_code_really_is(project: Path) -> None:
    from secreview.grounding import NameIndex, Verdict, ground, load_units, parse_claim

    write(project, "app.py", APP)
    units = load_units(["app.py"], root=".")  # a relative root still gives relative paths
    assert [u.path for u in units] == ["app.py"]
    index = NameIndex({u.path: u.text for u in units})
    quote = "`cur.execute(\"SELECT * FROM users WHERE name = '%s'\" % name)`"
    for line, verdict, found in ((12, Verdict.GROUNDED, None), (9, Verdict.WRONG_LINE, 12)):
        claim = parse_claim(f"{quote} on line {line} builds SQL from request data (CWE-89). "
                            "Fix: pass `name` as a parameter.", lines=[line], path="app.py")
        result = ground(claim, units, index)
        assert result.verdict is verdict
        assert [c.found_line for c in result.failed] == ([] if found is None else [found])


def test_a_claim_about_a_file_that_was_not_reviewed(project: Path, cli) -> None:
    write(project, "app.py", APP)
    run = audit_text(cli, "1. **SQL injection (CWE-89)** in `db.py:4`: `cur.execute(q)`. Fix: bind with `cur.execute`.\n")
    [claim] = run.json()["claims"]
    assert (claim["verdict"], failed(claim)["location"]["reason"]) == (
        "not in code", "the claim is about db.py, which is not in the reviewed code")
