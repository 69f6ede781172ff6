"""`secreview gerrit` against a fake Gerrit on loopback (tests/gerrit_server.py).

The fake answers the documented endpoints with the documented shapes:
https://gerrit-review.googlesource.com/Documentation/rest-api-changes.html
(#get-change, #list-files, #get-diff, #get-content, #list-change-comments,
#set-review, #review-input, #comment-input, #fix-suggestion-info,
#fix-replacement-info, #comment-range, #diff-info, #diff-content, #file-info)
and https://gerrit-review.googlesource.com/Documentation/rest-api.html
(authentication under /a/, the `)]}'` prefix).

The change: a Flask app whose parent already has a weak hash (an old defect
left untouched); patch set 1 adds a request with TLS verification disabled
(a finding with a mechanical fix), patch set 2 also adds an SQL injection.
Every failure case runs with --post and checks that no POST reached the
server and that no credential is printed.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from secreview.model import Confidence, Finding, Fix, Severity
from secreview.targets.gerrit import (
    DEFAULT_TAG,
    diff_sides,
    fix_suggestion,
    parse_votes,
)
from secreview.targets.http import HostError
from conftest import Run, write
from gerrit_server import FakeGerrit

BASE = '''import hashlib
import sqlite3

import requests
from flask import Flask, request

app = Flask(__name__)


def legacy_token(value):
    return hashlib.md5(value.encode()).hexdigest()


@app.route("/health")
def health():
    return "ok"
'''
FETCH = '''

@app.route("/fetch")
def fetch():
    return requests.get("https://example.com/api", verify=False, timeout=10).text
'''
USER = '''

@app.route("/user")
def user():
    conn = sqlite3.connect("app.db")
    cur = conn.cursor()
    cur.execute("SELECT * FROM t WHERE name = '%s'" % request.args["name"])
    return str(cur.fetchall())
'''
PS1 = BASE + FETCH
PS2 = BASE + USER + FETCH
SQL_LINE = 23  # cur.execute(...) in patch set 2
TLS_LINE_PS1, TLS_LINE_PS2 = 21, 29  # return requests.get(..., verify=False, ...)
TLS_CODE = '    return requests.get("https://example.com/api", verify=False, timeout=10).text'
TLS_FIXED = '    return requests.get("https://example.com/api", verify=True, timeout=10).text'
TREE = {"app/__init__.py": b"", "app/views.py": BASE.encode(), "README.rst": b"Demo\n"}
CHANGE = "demo/app~4711"
CHANGE_PATH = "/a/changes/demo%2Fapp~4711"
USER_NAME, PASSWORD = "secreview-bot", "gerrit-http-pw-7f3a9c"


@pytest.fixture
def gerrit(project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGerrit]:
    """The fake Gerrit with both patch sets, credentials in the environment,
    and no ~/.netrc of the person running the tests in the way."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("NETRC", raising=False)
    monkeypatch.setenv("GERRIT_USER", USER_NAME)
    monkeypatch.setenv("GERRIT_PASSWORD", PASSWORD)
    fake = FakeGerrit(user=USER_NAME, password=PASSWORD, base=TREE)
    changed = {"README.rst": b"Demo app\n", "logo.png": b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"}
    fake.add_patch_set({**TREE, **changed, "app/views.py": PS1.encode()})
    fake.add_patch_set({**TREE, **changed, "app/views.py": PS2.encode()})
    with fake:
        yield fake


@pytest.fixture
def run(cli: Callable[..., Run], gerrit: FakeGerrit) -> Callable[..., Run]:
    """`secreview gerrit --url FAKE --change demo/app~4711 ARGS`."""

    def invoke(*args: str, change: str = CHANGE) -> Run:
        return cli("gerrit", "--url", gerrit.url, "--change", change, *args)

    return invoke


def local_fingerprints(cli: Callable[..., Run], project: Path, source: str) -> dict[str, str]:
    """rule -> fingerprint from a plain `secreview review` of the same file:
    fingerprints do not depend on where the code came from."""
    folder = project / "local"
    write(folder, "app/views.py", source)
    result = cli("review", "-f", "json", "--root", str(folder), str(folder))
    return {f["rule"]: f["fingerprint"] for f in result.json()["findings"]}


def assert_failed_safely(result: Run, gerrit: FakeGerrit, *needles: str) -> None:
    """Exit 2, a clear message, nothing posted, no credential shown."""
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert result.stderr.startswith("secreview: gerrit: "), result.stderr
    for needle in needles:
        assert needle in result.stderr, result.stderr
    assert result.stdout == ""
    assert gerrit.posts == []
    output = result.stdout + result.stderr
    assert PASSWORD not in output
    assert base64.b64encode(f"{USER_NAME}:{PASSWORD}".encode()).decode() not in output


def message_lines(review: dict[str, Any]) -> list[str]:
    return review["message"].split("\n")


# --- the review --------------------------------------------------------------------------------

def test_without_post_prints_the_review_input_and_posts_nothing(run, gerrit, cli, project) -> None:
    result = run()
    assert result.exit_code == 1, result.stderr
    assert gerrit.posts == []
    review = json.loads(result.stdout)
    fingerprints = local_fingerprints(cli, project, PS2)
    sql, tls = review["comments"]["app/views.py"]
    assert set(review) == {"message", "tag", "comments", "omit_duplicate_comments"}
    assert review["tag"] == DEFAULT_TAG == "autogenerated:secreview"
    assert list(review["comments"]) == ["app/views.py"]  # not README.rst, logo.png, or the untouched app/__init__.py

    assert sql["line"] == SQL_LINE and sql["unresolved"] is True and "fix_suggestions" not in sql
    assert sql["message"].startswith("**HIGH severity, high confidence: CWE-89: Improper Neutralization of "
                                     "Special Elements used in an SQL Command ('SQL Injection') (py.sql-injection)**")
    assert f"- app/views.py:{SQL_LINE}: `request.args[\"name\"]`" in sql["message"]
    assert sql["message"].endswith(f"\n\nsecreview-fingerprint: {fingerprints['py.sql-injection']}")

    assert tls["line"] == TLS_LINE_PS2 and tls["unresolved"] is True
    assert tls["message"].startswith("**HIGH severity, high confidence: CWE-295: Improper Certificate Validation "
                                     "(py.tls-verification-disabled)**")
    assert tls["message"].endswith(f"secreview-fingerprint: {fingerprints['py.tls-verification-disabled']}")
    assert tls["fix_suggestions"] == [{
        "description": "Remove verify=False (verification is on by default) or pass the path of the CA bundle "
                       "that signs the server's certificate.",
        "replacements": [{
            "path": "app/views.py",
            "range": {"start_line": TLS_LINE_PS2, "start_character": 0,
                      "end_line": TLS_LINE_PS2, "end_character": len(TLS_CODE)},
            "replacement": TLS_FIXED,
        }],
    }]

    lines = message_lines(review)
    assert lines[0] == "secreview: 2 security defects found (2 high)."
    assert lines[1] == ("Change 4711 patch set 2 of demo/app on Gerrit: 3 file(s) changed, 1 of them Python; "
                        "only the changed files were at hand and were analysed on both sides, so flows through "
                        "the rest of the project were not followed, and only findings the change introduces "
                        "are reported.")
    assert "1 finding(s) already present before the change are not reported." in lines  # the md5, untouched
    assert "Skipped logo.png: binary file." in lines
    assert "Skipped README.rst: not a Python file." in lines
    assert not any("whole project" in line for line in lines)
    assert lines[-1] == "2 inline comment(s)."
    assert not any("earlier patch set" in line for line in lines)

    # What was fetched: the documented endpoints, authenticated, ids URL-encoded.
    sha = gerrit.patch_sets[1].sha
    assert gerrit.paths() == [
        CHANGE_PATH,
        f"{CHANGE_PATH}/revisions/{sha}/files/",
        f"{CHANGE_PATH}/revisions/{sha}/files/app%2Fviews.py/diff",
        f"{CHANGE_PATH}/comments",
    ]
    assert gerrit.requests[0].query == {"o": ["ALL_REVISIONS", "ALL_COMMITS"]}
    assert gerrit.requests[2].query == {"context": ["ALL"]}
    assert all(r.headers["authorization"].startswith("Basic ") for r in gerrit.requests)


def test_post_then_next_patch_set_does_not_repeat_the_earlier_comment(run, gerrit, cli, project) -> None:
    first = run("--revision", "1", "--post")
    assert first.exit_code == 1, first.stderr
    assert first.stdout == ""
    assert first.stderr.startswith("secreview: posted the review of change 4711 patch set 1: 1 inline comment(s).")
    [posted] = gerrit.posts
    assert posted.path == f"{CHANGE_PATH}/revisions/{gerrit.patch_sets[0].sha}/review"
    body = posted.json()
    [tls] = body["comments"]["app/views.py"]
    assert tls["line"] == TLS_LINE_PS1
    assert tls["fix_suggestions"][0]["replacements"][0]["range"]["start_line"] == TLS_LINE_PS1
    assert [c["patch_set"] for c in gerrit.comments["app/views.py"]] == [1]  # stored by the fake, as Gerrit would

    would_post = json.loads(run().stdout)
    second = run("--post")
    assert second.exit_code == 1, second.stderr
    assert len(gerrit.posts) == 2
    latest = gerrit.posts[-1]
    assert latest.path == f"{CHANGE_PATH}/revisions/{gerrit.patch_sets[1].sha}/review"
    review = latest.json()
    assert review == would_post  # the dry run printed exactly what is posted
    assert set(review) == {"message", "tag", "comments", "omit_duplicate_comments"}
    [sql] = review["comments"]["app/views.py"]  # the TLS finding is not commented on again
    assert set(sql) == {"line", "message", "unresolved"}
    fingerprints = local_fingerprints(cli, project, PS2)
    assert sql["line"] == SQL_LINE
    assert sql["message"].endswith(f"secreview-fingerprint: {fingerprints['py.sql-injection']}")
    lines = message_lines(review)
    assert lines[0] == "secreview: 2 security defects found (2 high)."  # the verdict still counts both
    assert "1 finding(s) that an earlier secreview review already commented on are not repeated." in lines
    assert lines[-1] == "1 inline comment(s)."
    assert second.stderr.startswith("secreview: posted the review of change 4711 patch set 2: 1 inline comment(s).")


def test_later_patch_set_comments_do_not_count_for_an_earlier_one(run, gerrit, cli, project) -> None:
    fingerprints = local_fingerprints(cli, project, PS2)
    gerrit.add_comment("app/views.py", 2, TLS_LINE_PS2,
                       f"old words\n\nsecreview-fingerprint: {fingerprints['py.tls-verification-disabled']}")
    result = run("--revision", "1")
    review = json.loads(result.stdout)
    assert [c["line"] for c in review["comments"]["app/views.py"]] == [TLS_LINE_PS1]


def test_votes_go_into_labels(run, gerrit) -> None:
    result = run("--post", "--vote", "Code-Review=-1", "--vote", "Verified=+1", "-o", "review.json")
    assert result.exit_code == 1, result.stderr
    review = gerrit.posts[0].json()
    assert review["labels"] == {"Code-Review": -1, "Verified": 1}
    assert json.loads(Path("review.json").read_text()) == review  # -o keeps a copy of what was posted
    assert "1 of them Python" in review["message"]
    assert ", Code-Review=-1, Verified=+1." in result.stderr


def test_bad_vote_is_a_usage_error_before_any_request(run, gerrit) -> None:
    result = run("--post", "--vote", "Code-Review")
    assert result.exit_code == 2
    assert "LABEL=VALUE" in result.stderr
    assert gerrit.requests == []


def test_clean_patch_set_posts_the_clean_verdict(run, gerrit) -> None:
    gerrit.add_patch_set({**TREE, "README.rst": b"Only words\n",
                          "app/views.py": (BASE + "\n\ndef add(a, b):\n    return a + b\n").encode()})
    result = run("--post", "--vote", "Verified=+1")
    assert result.exit_code == 0, result.stderr
    review = gerrit.posts[0].json()
    assert "comments" not in review
    assert review["labels"] == {"Verified": 1}
    lines = message_lines(review)
    assert lines[0] == "secreview: No security defects are detected in the code."
    assert "1 finding(s) already present before the change are not reported." in lines


def test_change_without_python_files_says_so(run, gerrit) -> None:
    gerrit.add_patch_set({**TREE, "README.rst": b"Only words\n"})
    result = run()
    assert result.exit_code == 0, result.stderr
    review = json.loads(result.stdout)
    lines = message_lines(review)
    assert lines[1] == ("Change 4711 patch set 3 of demo/app on Gerrit: 1 file(s) changed, none of them Python "
                        "source, so there was nothing to review.")
    assert "Skipped README.rst: not a Python file." in lines
    assert not any("/diff" in p for p in gerrit.paths())


def test_renamed_file_keeps_its_old_findings_old(run, gerrit) -> None:
    tree = {k: v for k, v in TREE.items() if k != "app/views.py"}
    gerrit.add_patch_set({**tree, "app/web.py": BASE.encode()}, renames={"app/web.py": "app/views.py"})
    result = run()
    assert result.exit_code == 0, (result.stdout, result.stderr)
    review = json.loads(result.stdout)
    assert "comments" not in review
    assert "1 finding(s) already present before the change are not reported." in message_lines(review)


def test_skipped_common_lines_are_read_from_the_file_content(run, gerrit) -> None:
    expected = json.loads(run().stdout)
    gerrit.requests.clear()
    gerrit.skip_common = True  # Gerrit leaves common lines out even with context=ALL
    result = run()
    assert result.exit_code == 1, result.stderr
    assert json.loads(result.stdout) == expected
    sha = gerrit.patch_sets[1].sha
    assert f"{CHANGE_PATH}/revisions/{sha}/files/app%2Fviews.py/content" in gerrit.paths()


def test_change_id_is_url_encoded_once(run, gerrit) -> None:
    assert run(change="demo%2Fapp~4711").exit_code == 1
    assert run(change="4711").exit_code == 1
    assert {p.split("/revisions/")[0] for p in gerrit.paths()} == {
        CHANGE_PATH, f"{CHANGE_PATH}/comments", "/a/changes/4711", "/a/changes/4711/comments"}


def test_output_file_without_post(run, gerrit) -> None:
    result = run("-o", "review.json")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "written to review.json, not posted" in result.stderr
    assert len(json.loads(Path("review.json").read_text())["comments"]["app/views.py"]) == 2
    assert gerrit.posts == []


# --- credentials -------------------------------------------------------------------------------

def test_anonymous_uses_the_plain_paths_and_cannot_post(run, gerrit, monkeypatch) -> None:
    monkeypatch.delenv("GERRIT_USER")
    monkeypatch.delenv("GERRIT_PASSWORD")
    result = run()
    assert result.exit_code == 1, result.stderr
    assert gerrit.paths()[0] == "/changes/demo%2Fapp~4711"
    assert all(not p.startswith("/a/") for p in gerrit.paths())
    assert all("authorization" not in r.headers for r in gerrit.requests)
    gerrit.requests.clear()
    refused = run("--post")
    assert refused.exit_code == 2
    assert refused.stderr.startswith("secreview: gerrit: --post needs credentials")
    assert gerrit.requests == []


def test_netrc_credentials(run, gerrit, monkeypatch, tmp_path) -> None:
    monkeypatch.delenv("GERRIT_USER")
    monkeypatch.delenv("GERRIT_PASSWORD")
    netrc = tmp_path / "netrc"
    netrc.write_text(f"machine 127.0.0.1\n  login {USER_NAME}\n  password {PASSWORD}\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    result = run("--post")
    assert result.exit_code == 1, result.stderr
    expected = "Basic " + base64.b64encode(f"{USER_NAME}:{PASSWORD}".encode()).decode()
    assert all(r.path.startswith("/a/") and r.headers["authorization"] == expected for r in gerrit.requests)
    assert len(gerrit.posts) == 1
    assert PASSWORD not in result.stdout + result.stderr


def test_netrc_for_another_host_means_anonymous(run, gerrit, monkeypatch, tmp_path) -> None:
    monkeypatch.delenv("GERRIT_USER")
    monkeypatch.delenv("GERRIT_PASSWORD")
    netrc = tmp_path / "netrc"
    netrc.write_text(f"machine review.example.org login {USER_NAME} password {PASSWORD}\n")
    monkeypatch.setenv("NETRC", str(netrc))
    result = run()
    assert result.exit_code == 1
    assert gerrit.paths()[0] == "/changes/demo%2Fapp~4711"


def test_broken_netrc_does_not_quote_its_password(run, gerrit, monkeypatch, tmp_path) -> None:
    monkeypatch.delenv("GERRIT_USER")
    monkeypatch.delenv("GERRIT_PASSWORD")
    netrc = tmp_path / "netrc"
    netrc.write_text(f"machine 127.0.0.1 login {USER_NAME} password\n{PASSWORD} \"unterminated\nbogus {PASSWORD}\n")
    monkeypatch.setenv("NETRC", str(netrc))
    result = run("--post")
    assert_failed_safely(result, gerrit, "cannot parse")
    assert gerrit.requests == []


def test_half_set_environment_is_an_error(run, gerrit, monkeypatch) -> None:
    monkeypatch.delenv("GERRIT_USER")
    result = run("--post")
    assert_failed_safely(result, gerrit, "GERRIT_USER is not set")
    assert gerrit.requests == []


def test_wrong_password_is_an_authentication_failure(run, gerrit, monkeypatch) -> None:
    monkeypatch.setenv("GERRIT_PASSWORD", "wrong-pw-e91b")
    result = run("--post")
    assert_failed_safely(result, gerrit, f"GET {gerrit.url}{CHANGE_PATH}", "authentication failed",
                         "HTTP 401", "check the credentials")
    assert "wrong-pw-e91b" not in result.stdout + result.stderr
    assert len(gerrit.requests) == 1


# --- what Gerrit may answer instead ------------------------------------------------------------

def test_unknown_change_is_not_found(run, gerrit) -> None:
    result = run("--post", change="demo/app~9999")
    assert_failed_safely(result, gerrit, "/a/changes/demo%2Fapp~9999: not found (HTTP 404)")


def test_unknown_patch_set(run, gerrit) -> None:
    result = run("--post", "--revision", "7")
    assert_failed_safely(result, gerrit, "no patch set matches --revision 7 (patch sets: 1, 2)")


def test_rate_limited_with_retry_after(run, gerrit) -> None:
    gerrit.fail("GET", r"/files/$", status=429, body="Too many requests", headers={"Retry-After": "120"})
    result = run("--post")
    assert_failed_safely(result, gerrit, "rate limited (HTTP 429); retry after 120 s")


@pytest.mark.parametrize("pattern, body, needle", [
    (r"/comments$", ")]}'\n{\"app/views.py\": [", "response is not valid JSON"),
    (r"~4711$", json.dumps({"_number": 4711}), "response does not start with \")]}'\""),
    (r"/diff$", ")]}'\n" + json.dumps({"content": "ab"}), "DiffInfo.content of app/views.py is str"),
    (r"/diff$", ")]}'\n" + json.dumps({"content": [{"ab": ["x", 3]}]}), "a line of DiffContent.ab of app/views.py"),
    (r"/files/$", ")]}'\n[]", "the file list (map of path to FileInfo) is list"),
    (r"~4711$", ")]}'\n" + json.dumps({"_number": 4711, "current_revision": "0" * 40, "revisions": {}}),
     "the current revision 000000000000 is not among the change's revisions"),
])
def test_malformed_answers(run, gerrit, pattern, body, needle) -> None:
    gerrit.fail("GET", pattern, body=body)
    result = run("--post")
    assert_failed_safely(result, gerrit, needle)


@pytest.mark.parametrize("files, needle", [
    ({"../etc/passwd": {"status": "A"}}, "leaves the project"),
    ({"/etc/passwd": {"status": "A"}}, "is absolute"),
    ({"app/evil.py": {"status": "R", "old_path": "../../home/user/.bashrc"}}, "leaves the project"),
    ({"app/\u0000.py": {"status": "A"}}, "NUL byte"),
    ({"app/./views.py": {}}, "is not in canonical form"),
])
def test_hostile_paths_in_the_file_list(run, gerrit, files, needle) -> None:
    gerrit.fail("GET", r"/files/$", body=")]}'\n" + json.dumps({"/COMMIT_MSG": {"status": "A"}, **files}))
    result = run("--post")
    assert_failed_safely(result, gerrit, needle)
    assert not any("/diff" in p or "/content" in p for p in gerrit.paths())


def test_timeout(run, gerrit) -> None:
    gerrit.fail("GET", r"/diff$", delay=3.0)
    result = run("--post", "--timeout", "0.3")
    assert_failed_safely(result, gerrit, "app%2Fviews.py/diff timed out")


def test_server_error_while_fetching(run, gerrit) -> None:
    gerrit.fail("GET", r"/comments$", status=500, body="Internal server error")
    result = run("--post")
    assert_failed_safely(result, gerrit, "HTTP 500: Internal server error")


def test_rejected_post_is_reported(run, gerrit) -> None:
    gerrit.fail("POST", r"/review$", status=409, body="change is closed", times=1)
    result = run("--post")
    assert result.exit_code == 2
    assert "secreview: gerrit: POST" in result.stderr and "HTTP 409: change is closed" in result.stderr
    assert len(gerrit.posts) == 1  # tried once, not retried
    assert gerrit.comments == {}
    assert PASSWORD not in result.stdout + result.stderr


def test_credentials_in_the_url_are_refused(cli, gerrit) -> None:
    url = gerrit.url.replace("http://", f"http://{USER_NAME}:{PASSWORD}@")
    result = cli("gerrit", "--url", url, "--change", CHANGE)
    assert_failed_safely(result, gerrit, "do not put credentials in the URL")
    assert gerrit.requests == []


# --- the pieces --------------------------------------------------------------------------------

def test_diff_sides_follows_the_documented_chunks() -> None:
    content = [{"ab": ["a", "b"]}, {"a": ["old c"], "b": ["new c", "new d"]}, {"ab": ["e"]},
               {"a": ["gone"]}, {"ab": ["f", ""]}]
    sides = diff_sides(content, "x.py")
    assert "\n".join(sides.old) == "a\nb\nold c\ne\ngone\nf\n"
    assert "\n".join(sides.new) == "a\nb\nnew c\nnew d\ne\nf\n"
    assert sides.added == {3, 4}
    assert sides.commentable == {1, 2, 3, 4, 5, 6, 7}
    assert sides.removed_at == {3, 6}


def test_diff_sides_fills_skips_from_the_content_and_checks_them() -> None:
    sides = diff_sides([{"skip": 2}, {"b": ["c"]}, {"ab": [""]}], "x.py", ["a", "b", "c", ""])
    assert sides.old == ["a", "b", ""] and sides.new == ["a", "b", "c", ""]
    assert sides.added == {3}
    with pytest.raises(HostError, match="does not match"):
        diff_sides([{"skip": 2}, {"b": ["c"]}], "x.py", ["a", "b", "X"])
    with pytest.raises(HostError, match="past the end"):
        diff_sides([{"skip": 9}], "x.py", ["a"])
    with pytest.raises(HostError, match="content is not available"):
        diff_sides([{"skip": 1}], "x.py")


def test_fix_suggestion_counts_characters_as_gerrit_does() -> None:
    finding = Finding("py.x", [295], Severity.HIGH, Confidence.HIGH, "x.py", 2, 2, 0, "code", "m", "e",
                      Fix("Use the fix.", "s = 'é😀'  # fixed"))
    lines = ["first", "s = 'é😀'", ""]
    fix = fix_suggestion(finding, "x.py", lines)
    assert fix == {"description": "Use the fix.", "replacements": [{
        "path": "x.py", "range": {"start_line": 2, "start_character": 0, "end_line": 2, "end_character": 9},
        "replacement": "s = 'é😀'  # fixed"}]}
    assert fix_suggestion(Finding("py.x", [295], Severity.HIGH, Confidence.HIGH, "x.py", 5, 5, 0, "c", "m", "e",
                                  Fix("f", "r")), "x.py", lines) is None


def test_parse_votes() -> None:
    assert parse_votes(["Code-Review=-2", "Verified=+1", "My_Label=0"]) == {
        "Code-Review": -2, "Verified": 1, "My_Label": 0}
    for bad in ["Code-Review", "=1", "Code-Review=high", "Code Review=1"]:
        with pytest.raises(ValueError):
            parse_votes([bad])
    with pytest.raises(ValueError, match="twice"):
        parse_votes(["Verified=1", "Verified=-1"])
