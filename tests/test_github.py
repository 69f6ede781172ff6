"""`secreview github` against a fake GitHub REST API on loopback
(tests/github_server.py, which cites the documentation of every endpoint).

Each test sets up a pull request, runs the command in-process and asserts
what it fetched, the exact review it posted (or that it posted nothing) and
its exit code. Every failure must exit 2, post nothing and never print the
token.

The API facts the fake and these tests rely on (REST API version 2022-11-28):
- pull request and its files (per_page <= 100, at most 3000 files, `patch`
  absent for large or binary diffs):
  https://docs.github.com/en/rest/pulls/pulls#get-a-pull-request
  https://docs.github.com/en/rest/pulls/pulls#list-pull-requests-files
  https://github.com/octokit/octokit.net/issues/1521
- file contents at a commit (base64; raw media type above 1 MB):
  https://docs.github.com/en/rest/repos/contents#get-repository-content
- earlier comments and reviews:
  https://docs.github.com/en/rest/pulls/comments#list-review-comments-on-a-pull-request
  https://docs.github.com/en/rest/pulls/reviews#list-reviews-for-a-pull-request
- creating the review (line/side, start_line/start_side; 422 for a line
  outside the diff, and then nothing is created):
  https://docs.github.com/en/rest/pulls/reviews#create-a-review-for-a-pull-request
  https://github.com/parkerbxyz/suggest-changes/issues/28
- pagination, errors and rate limits:
  https://docs.github.com/en/rest/using-the-rest-api/using-pagination-in-the-rest-api
  https://docs.github.com/en/rest/using-the-rest-api/troubleshooting-the-rest-api
  https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

import pytest
from click.testing import CliRunner

from conftest import run_process, write
from github_server import HEAD_SHA, TOKEN, FakeGitHub, github_patch, pull_file, review_comment
from secreview.cli import main
from secreview.config import Config
from secreview.engine import review
from secreview.model import Finding
from secreview.report.comments import comment_body
from secreview.targets.github import connect, parse_repo, post_review, review_pull_request
from secreview.targets.http import HostError

BASE_APP = '''\
import os
import subprocess

from flask import Flask, request

app = Flask(__name__)


def legacy(name):
    os.system(f"echo {name}")


@app.route("/")
def index():
    return "hello"
'''
# The pull request adds a route whose query parameter reaches a shell
# (py.shell-injection on line 21); legacy() on line 10 is an old defect.
HEAD_APP = BASE_APP + '''

@app.route("/ping")
def ping():
    host = request.args["host"]
    subprocess.run(f"ping -c 1 {host}", shell=True, check=False)
    return "ok"
'''
NEW_FLOW_LINE = 21

# Removing the quoting on line 12 makes the call on line 16 (17 before) a
# shell injection; line 16 is more than three lines below the change, so the
# diff does not show it and GitHub would refuse a comment there.
BASE_PING = '''\
import os
import shlex

from flask import Flask, request

app = Flask(__name__)


@app.route("/ping")
def ping():
    host = request.args["host"]
    host = shlex.quote(host)
    count = 1
    timeout = 5
    flags = "-n"
    options = f"{flags} -c {count} -W {timeout}"
    os.system(f"ping {options} {host}")
    return "ok"
'''
HEAD_PING = BASE_PING.replace("    host = shlex.quote(host)\n", "")
OUTSIDE_LINE = 16

# py.weak-hash over lines 5-7, with a mechanical fix for exactly those lines.
WEAK_HASH = '''\
import hashlib


def token(user_id, secret):
    return hashlib.md5(
        f"{user_id}:{secret}".encode()
    ).hexdigest()
'''


@pytest.fixture
def github(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGitHub]:
    monkeypatch.chdir(tmp_path)  # no pyproject.toml of the test run's own
    with FakeGitHub() as fake:
        yield fake


def run(fake: FakeGitHub, *args: str, token: str | None = TOKEN, timeout: str = "5") -> tuple[int, str, str]:
    """`secreview github --repo octo/app ARGS` against the fake API."""
    env = {"GITHUB_TOKEN": token, "GITHUB_API_URL": fake.url}
    result = CliRunner().invoke(main, ["github", "--repo", "octo/app", "--timeout", timeout, *args], env=env,
                                catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def findings_of(tmp_path: Path, path: str, text: str) -> list[Finding]:
    """What a plain review of `text` (at `path`) reports, for the expected comments."""
    folder = tmp_path / "expected"
    write(folder, path, text)
    return review([str(folder)], Config(), root=str(folder)).findings


def app_pull(fake: FakeGitHub, number: int = 7, **kwargs: Any) -> None:
    fake.add_pull(number, [pull_file("app.py", patch=github_patch(BASE_APP, HEAD_APP)),
                           pull_file("README.md", patch="@@ -1 +1 @@\n-Old\n+New")],
                  {"app.py": HEAD_APP, "README.md": "New\n"}, **kwargs)


def assert_failed(fake: FakeGitHub, code: int, out: str, err: str, message: str) -> None:
    """Exit 2, the message on stderr, nothing posted, no token anywhere."""
    assert code == 2, (out, err)
    assert err.startswith("secreview: github: "), err
    assert message in err, err
    assert out == ""
    assert fake.posts() == []
    assert TOKEN not in out + err
    assert "wrong-token" not in out + err


# -- what gets posted ---------------------------------------------------------

def test_posts_one_review_with_one_comment_on_the_new_flow(github: FakeGitHub, tmp_path: Path) -> None:
    app_pull(github)
    code, out, err = run(github, "--pr", "7", "--post")
    assert code == 1, err
    assert out == ""
    assert err == ("Posted a review on octo/app#7: 1 line comment(s), 0 finding(s) in its message, "
                   "0 already commented: https://github.com/octo/app/pull/7#pullrequestreview-80.\n")
    assert [(r.method, r.path) for r in github.requests] == [
        ("GET", "/repos/octo/app/pulls/7"),
        ("GET", "/repos/octo/app/pulls/7/files"),
        ("GET", "/repos/octo/app/contents/app.py"),  # README.md is not fetched
        ("GET", "/repos/octo/app/pulls/7/comments"),
        ("GET", "/repos/octo/app/pulls/7/reviews"),
        ("POST", "/repos/octo/app/pulls/7/reviews"),
    ]
    for request in github.requests:
        assert request.headers["authorization"] == f"Bearer {TOKEN}"
        assert request.headers["accept"] == "application/vnd.github+json"
        assert request.headers["x-github-api-version"] == "2022-11-28"
    assert github.requests[1].query == {"per_page": ["100"], "page": ["1"]}
    assert github.requests[2].query == {"ref": [HEAD_SHA]}

    expected = [f for f in findings_of(tmp_path, "app.py", HEAD_APP) if f.line == NEW_FLOW_LINE]
    assert [f.rule for f in expected] == ["py.shell-injection"]
    posted = github.posts()[0].body
    assert set(posted) == {"commit_id", "body", "event", "comments"}
    assert posted["commit_id"] == HEAD_SHA
    assert posted["event"] == "COMMENT"
    assert posted["comments"] == [{"path": "app.py", "line": NEW_FLOW_LINE, "side": "RIGHT",
                                   "body": comment_body(expected[0], suggestion=True)}]
    assert posted["comments"][0]["body"].endswith(f"secreview-fingerprint: {expected[0].fingerprint}")
    body = posted["body"].splitlines()
    assert body[0] == "secreview: 1 security defect found (1 high)."
    assert body[-1] == "1 inline comment(s)."
    assert (f"Change GitHub pull request octo/app#7 (head {HEAD_SHA[:12]}): 2 file(s) changed, 1 of them Python; "
            "only the changed files were at hand and were analysed on both sides, so flows through the rest of "
            "the project were not followed, and only findings the change introduces are reported.") in body
    assert "1 finding(s) already present before the change are not reported." in body
    # The old defect in legacy() is neither commented nor listed.
    assert "py.shell-injection" not in posted["body"]
    assert "legacy" not in json.dumps(posted)


def test_without_post_prints_the_review_and_posts_nothing(github: FakeGitHub, tmp_path: Path) -> None:
    app_pull(github)
    code, out, err = run(github, "--pr", "7")
    assert code == 1 and err == ""
    assert github.posts() == []
    printed = json.loads(out)
    assert [c["line"] for c in printed["comments"]] == [NEW_FLOW_LINE]

    target = tmp_path / "review.json"
    code, out, err = run(github, "--pr", "7", "-o", str(target))
    assert code == 1 and out == ""
    assert err == ("1 security defect found (1 high). Review written to "
                   f"{target}; nothing posted.\n")
    assert json.loads(target.read_text()) == printed
    assert github.posts() == []

    code, _, _ = run(github, "--pr", "7", "--post")
    assert code == 1
    assert [r.body for r in github.posts()] == [printed]  # exactly what was printed


def test_finding_outside_the_diff_goes_to_the_body(github: FakeGitHub, tmp_path: Path) -> None:
    patch = github_patch(BASE_PING, HEAD_PING)
    assert patch.startswith("@@ -9,7 +9,6 @@")  # shows new lines 9-14 only
    github.add_pull(3, [pull_file("svc/ping.py", patch=patch)], {"svc/ping.py": HEAD_PING})
    code, out, err = run(github, "--pr", "3", "--post")
    assert code == 1, err
    [finding] = findings_of(tmp_path, "svc/ping.py", HEAD_PING)
    assert finding.line == OUTSIDE_LINE
    posted = github.posts()[0].body
    assert posted["comments"] == []
    body = posted["body"].splitlines()
    assert "1 finding(s) on lines outside the diff are listed below instead of inline." in body
    assert body[-2:] == [
        "Findings on lines outside the diff (GitHub takes line comments only on lines the diff shows):",
        f"- `svc/ping.py:{OUTSIDE_LINE}` HIGH (py.shell-injection): {finding.message} "
        f"Fix: {finding.fix.description} <!-- secreview-fingerprint: {finding.fingerprint} -->",
    ]
    assert "inline comment(s)" not in posted["body"]

    # The next run finds the marker in the posted review and does not list it again.
    code, out, err = run(github, "--pr", "3", "--post")
    assert code == 1
    again = github.posts()[1].body
    assert again["comments"] == []
    assert "1 finding(s) that an earlier secreview review already commented on are not repeated." in again["body"]
    assert "svc/ping.py:16" not in again["body"]


def test_fake_refuses_a_comment_outside_the_diff(github: FakeGitHub) -> None:
    """The fake enforces GitHub's 422, so the tests above would catch a
    comment placed on a line the diff does not show."""
    github.add_pull(3, [pull_file("svc/ping.py", patch=github_patch(BASE_PING, HEAD_PING))],
                    {"svc/ping.py": HEAD_PING})
    with connect(github.url, TOKEN, timeout=5) as client:
        result = review_pull_request(client, "octo/app", 3)
        result.payload["comments"] = [{"path": "svc/ping.py", "line": OUTSIDE_LINE, "side": "RIGHT",
                                       "body": "x"}]
        with pytest.raises(HostError, match=r"HTTP 422.*line must be part of the diff"):
            post_review(client, result)
    assert github.pulls[3].reviews == []


def test_already_commented_finding_is_not_repeated(github: FakeGitHub) -> None:
    app_pull(github, comments=[review_comment(1, "app.py", NEW_FLOW_LINE, "**HIGH** earlier run\n\n"
                                              "secreview-fingerprint: 8de9e4d413bcfd7dabaa0927a3db05a4")])
    code, out, err = run(github, "--pr", "7", "--post")
    assert code == 1  # the pull request still introduces it
    posted = github.posts()[0].body
    assert posted["comments"] == []
    assert "1 finding(s) that an earlier secreview review already commented on are not repeated." in posted["body"]
    assert "inline comment(s)" not in posted["body"]


def test_multi_line_finding_gets_a_range_and_a_suggestion(github: FakeGitHub, tmp_path: Path) -> None:
    github.add_pull(5, [pull_file("auth/tokens.py", status="added", patch=github_patch("", WEAK_HASH))],
                    {"auth/tokens.py": WEAK_HASH})
    code, out, err = run(github, "--pr", "5", "--post")
    assert code == 1, err
    [finding] = findings_of(tmp_path, "auth/tokens.py", WEAK_HASH)
    assert (finding.rule, finding.line, finding.end_line) == ("py.weak-hash", 5, 7)
    [comment] = github.posts()[0].body["comments"]
    assert comment == {"path": "auth/tokens.py", "start_line": 5, "start_side": "RIGHT", "line": 7,
                       "side": "RIGHT", "body": comment_body(finding, suggestion=True)}
    assert ("```suggestion\n    return hashlib.sha256(\n        f\"{user_id}:{secret}\".encode()\n"
            "    ).hexdigest()\n```") in comment["body"]


def test_missing_patch_counts_the_whole_file_and_lists_its_findings(github: FakeGitHub, tmp_path: Path) -> None:
    """GitHub leaves `patch` out for diffs too large to show: no old side,
    so the old defect counts as new too, and no line can be commented."""
    github.add_pull(9, [pull_file("big.py", additions=4000, deletions=12)], {"big.py": HEAD_APP})
    code, out, err = run(github, "--pr", "9", "--post")
    assert code == 1, err
    posted = github.posts()[0].body
    assert posted["comments"] == []
    lines = [f.line for f in findings_of(tmp_path, "big.py", HEAD_APP)]
    assert lines == [10, NEW_FLOW_LINE]
    assert "2 finding(s) on lines outside the diff are listed below instead of inline." in posted["body"]
    assert "- `big.py:10` HIGH (py.shell-injection)" in posted["body"]
    assert f"- `big.py:{NEW_FLOW_LINE}` HIGH (py.shell-injection)" in posted["body"]
    assert ("Skipped line comments on big.py: GitHub sent no diff for it (too large to show), so the whole "
            "file counts as changed and its findings are listed in this message.") in posted["body"].splitlines()


def test_rename_keeps_old_defects_old(github: FakeGitHub) -> None:
    moved = HEAD_APP.replace('return "hello"', 'return "hello!"')
    patch = github_patch(HEAD_APP, moved)
    github.add_pull(4, [pull_file("web/app.py", status="renamed", previous_filename="app.py", patch=patch),
                        pull_file("web/util.py", status="renamed", previous_filename="util.py",
                                  additions=0, deletions=0)],
                    {"web/app.py": moved, "web/util.py": BASE_PING})
    code, out, err = run(github, "--pr", "4")
    assert code == 0, err
    printed = json.loads(out)
    assert printed["comments"] == []
    assert printed["body"].startswith("secreview: No security defects are detected in the code.")
    assert "2 finding(s) already present before the change are not reported." in printed["body"]


def test_removed_file_takes_its_findings_along(github: FakeGitHub) -> None:
    github.add_pull(6, [pull_file("old_ping.py", status="removed", patch=github_patch(HEAD_PING, "")),
                        pull_file("app.py", patch=github_patch(HEAD_APP, BASE_APP))],
                    {"app.py": BASE_APP})
    code, out, err = run(github, "--pr", "6")
    assert code == 0, err
    printed = json.loads(out)
    assert printed["comments"] == []
    assert printed["body"].startswith("secreview: No security defects are detected in the code.")
    assert "2 file(s) changed, 2 of them Python" in printed["body"]
    assert "1 finding(s) already present before the change are not reported." in printed["body"]
    assert not any("/contents/old_ping.py" in r.path for r in github.requests)


def test_no_newline_at_end_of_file(github: FakeGitHub) -> None:
    head = HEAD_APP.rstrip("\n")
    patch = github_patch(BASE_APP, HEAD_APP) + "\n\\ No newline at end of file"
    github.add_pull(8, [pull_file("app.py", patch=patch)], {"app.py": head})
    code, out, err = run(github, "--pr", "8")
    assert code == 1, err
    assert [c["line"] for c in json.loads(out)["comments"]] == [NEW_FLOW_LINE]


def test_large_file_is_fetched_through_the_raw_media_type(github: FakeGitHub) -> None:
    github.raw_only_above = 100  # as GitHub does above 1 MB
    app_pull(github)
    code, out, err = run(github, "--pr", "7")
    assert code == 1, err
    fetches = github.gets("/contents/app.py")
    assert [r.headers["accept"] for r in fetches] == ["application/vnd.github+json",
                                                      "application/vnd.github.raw+json"]
    assert [c["line"] for c in json.loads(out)["comments"]] == [NEW_FLOW_LINE]


def test_pagination_of_files_and_comments(github: FakeGitHub) -> None:
    """150 files (pages of 100), app.py on the second page; 130 earlier
    comments, the one naming the finding on the second page."""
    files = [pull_file(f"docs/page{i:03}.md", patch="@@ -1 +1 @@\n-a\n+b") for i in range(149)]
    files.insert(120, pull_file("app.py", patch=github_patch(BASE_APP, HEAD_APP)))
    comments = [review_comment(i, "docs/page000.md", 1, f"nit {i}") for i in range(129)]
    comments.append(review_comment(500, "app.py", NEW_FLOW_LINE,
                                   "secreview-fingerprint: 8de9e4d413bcfd7dabaa0927a3db05a4"))
    github.add_pull(11, files, {"app.py": HEAD_APP}, comments=comments)
    code, out, err = run(github, "--pr", "11")
    assert code == 1, err
    assert [r.query for r in github.gets("/pulls/11/files")] == [
        {"per_page": ["100"], "page": ["1"]}, {"per_page": ["100"], "page": ["2"]}]
    assert [r.query["page"] for r in github.gets("/pulls/11/comments")] == [["1"], ["2"]]
    assert len(github.gets("/pulls/11/reviews")) == 1  # no Link header: one page
    printed = json.loads(out)
    assert printed["comments"] == []  # the finding on page 2 of the files was seen, and already commented
    assert "150 file(s) changed" in printed["body"]
    assert "1 finding(s) that an earlier secreview review already commented on are not repeated." in printed["body"]


# -- failures: exit 2, nothing posted, no token printed -----------------------

def test_bad_token(github: FakeGitHub) -> None:
    app_pull(github)
    code, out, err = run(github, "--pr", "7", "--post", token="wrong-token-123")
    assert_failed(github, code, out, err, "GET http://127.0.0.1:")
    assert "authentication failed or not allowed (HTTP 401)" in err
    assert "Bad credentials" in err
    assert len(github.requests) == 1


def test_unknown_pull_request(github: FakeGitHub) -> None:
    app_pull(github)
    code, out, err = run(github, "--pr", "99", "--post")
    assert_failed(github, code, out, err, "/repos/octo/app/pulls/99: not found (HTTP 404)")


@pytest.mark.parametrize("status, headers, message", [
    (403, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1700000000"},
     "rate limited (HTTP 403, no requests left); the quota resets at 1700000000 (Unix time)"),
    (429, {"x-ratelimit-remaining": "0", "retry-after": "60"},
     "rate limited (HTTP 429, no requests left); retry after 60 s"),
    (429, {"retry-after": "30"}, "rate limited (HTTP 429); retry after 30 s"),
])
def test_rate_limited(github: FakeGitHub, status: int, headers: dict[str, str], message: str) -> None:
    app_pull(github)
    github.fail("GET", r".*/contents/.*", status, {"message": "API rate limit exceeded for user ID 1."}, headers)
    code, out, err = run(github, "--pr", "7", "--post")
    assert_failed(github, code, out, err, message)


@pytest.mark.parametrize("pattern, body, message", [
    (r".*/pulls/7/files", b"[{\"filename\": ", "response is not valid JSON"),
    (r".*/pulls/7/files", {"filename": "app.py"},
     "GitHub API: files of pull request octo/app#7 (page 1) is dict, the documented API gives list"),
    (r".*/pulls/7", {"head": {"ref": "x"}}, "GitHub API: pull request octo/app#7: head.sha is NoneType"),
    (r".*/pulls/7", {"head": {"sha": "not-a-sha"}}, "head.sha 'not-a-sha' is not a commit id"),
    (r".*/pulls/7/files", [{"filename": "app.py", "status": "mangled"}], "status 'mangled' is not one"),
    (r".*/pulls/7/files", [{"filename": 7, "status": "added"}], "file list entry 0: filename is int"),
    (r".*/pulls/7/files", [{"filename": "app.py", "status": "modified", "patch": "@@ -1,3 +1,4 @@\n a\n+b"}],
     "malformed unified diff"),
    (r".*/contents/app.py", {"type": "file", "encoding": "base64", "content": "!!not base64!!"},
     "contents of app.py: content is not valid base64"),
    (r".*/contents/app.py", {"type": "file", "encoding": "utf-16", "content": "x"}, "encoding 'utf-16'"),
    (r".*/pulls/7/comments", {"message": "oops"},
     "GitHub API: review comments of pull request octo/app#7 (page 1) is dict"),
    (r".*/pulls/7/reviews", [17], "GitHub API: reviews of pull request octo/app#7: entry 0 is int"),
])
def test_malformed_answers(github: FakeGitHub, pattern: str, body: Any, message: str) -> None:
    app_pull(github)
    github.fail("GET", pattern, 200, body)
    code, out, err = run(github, "--pr", "7", "--post")
    assert_failed(github, code, out, err, message)


def test_patch_that_does_not_match_the_file(github: FakeGitHub) -> None:
    github.add_pull(7, [pull_file("app.py", patch=github_patch(BASE_APP, HEAD_APP))], {"app.py": BASE_APP})
    code, out, err = run(github, "--pr", "7", "--post")
    assert_failed(github, code, out, err, "the patch does not match the file")


@pytest.mark.parametrize("filename, message", [
    ("../x.py", "path '../x.py' leaves the project"),
    ("/etc/x.py", "path '/etc/x.py' is absolute"),
    ("a/../../x.py", "leaves the project"),
    ("ok.py\n+++ b/evil.py", "contains a line break"),
    ("nul\x00.py", "contains a NUL byte"),
])
def test_hostile_filenames(github: FakeGitHub, filename: str, message: str) -> None:
    github.add_pull(7, [pull_file(filename, status="added", patch="@@ -0,0 +1 @@\n+import os")], {})
    code, out, err = run(github, "--pr", "7", "--post")
    assert_failed(github, code, out, err, message)
    assert not any("/contents/" in r.path for r in github.requests)  # nothing fetched for it


def test_hostile_previous_filename(github: FakeGitHub) -> None:
    github.add_pull(7, [pull_file("app.py", status="renamed", previous_filename="../../etc/app.py",
                                  patch="@@ -1 +1 @@\n-a\n+b")], {"app.py": "b\n"})
    code, out, err = run(github, "--pr", "7", "--post")
    assert_failed(github, code, out, err, "leaves the project")


def test_timeout(github: FakeGitHub) -> None:
    app_pull(github)
    github.fail("GET", r".*/pulls/7/comments", 200, [], delay=3)
    code, out, err = run(github, "--pr", "7", "--post", timeout="0.5")
    assert_failed(github, code, out, err, "GET http://127.0.0.1:")
    assert err.endswith("/repos/octo/app/pulls/7/comments timed out\n")


def test_server_error_late_posts_nothing(github: FakeGitHub) -> None:
    app_pull(github)
    github.fail("GET", r".*/pulls/7/reviews", 502, "<html>Bad gateway</html>")
    code, out, err = run(github, "--pr", "7", "--post")
    assert_failed(github, code, out, err, "HTTP 502")


def test_error_body_echoing_the_token_is_redacted(github: FakeGitHub) -> None:
    app_pull(github)
    github.fail("GET", r".*/pulls/7", 400, f"Problems parsing JSON: Authorization: Bearer {TOKEN}")
    code, out, err = run(github, "--pr", "7", "--post")
    assert_failed(github, code, out, err, "HTTP 400: Problems parsing JSON")


def test_rejected_review_exits_2(github: FakeGitHub) -> None:
    app_pull(github)
    github.fail("POST", r".*/pulls/7/reviews", 422,
                {"message": "Unprocessable Entity", "errors": ["Pull request review thread line must be part "
                                                               "of the diff"]})
    code, out, err = run(github, "--pr", "7", "--post")
    assert code == 2
    assert "HTTP 422" in err and "line must be part of the diff" in err
    assert github.pulls[7].reviews == []
    assert TOKEN not in out + err


def test_post_needs_a_token(github: FakeGitHub) -> None:
    app_pull(github)
    code, out, err = run(github, "--pr", "7", "--post", token=None)
    assert code == 2
    assert err == "secreview: github: --post needs a token in GITHUB_TOKEN (with write access to pull requests)\n"
    assert github.requests == []


def test_without_token_reads_anonymously(github: FakeGitHub) -> None:
    app_pull(github)
    code, out, err = run(github, "--pr", "7", token=None)
    assert code == 1, err
    assert all("authorization" not in r.headers for r in github.requests)
    assert github.posts() == []


@pytest.mark.parametrize("repo", ["octo", "octo/app/x", "../app", "octo/..", "octo/a b", "-octo/app", "octo/%2e"])
def test_bad_repo_is_refused_before_any_request(github: FakeGitHub, repo: str) -> None:
    result = CliRunner().invoke(main, ["github", "--repo", repo, "--pr", "7"],
                                env={"GITHUB_TOKEN": TOKEN, "GITHUB_API_URL": github.url})
    assert result.exit_code == 2
    assert "--repo" in result.stderr
    assert github.requests == []
    with pytest.raises(ValueError):
        parse_repo(repo)


@pytest.mark.parametrize("number", ["0", "-1", "seven"])
def test_bad_pull_request_number(github: FakeGitHub, number: str) -> None:
    result = CliRunner().invoke(main, ["github", "--repo", "octo/app", "--pr", number],
                                env={"GITHUB_TOKEN": TOKEN, "GITHUB_API_URL": github.url})
    assert result.exit_code == 2
    assert "--pr" in result.stderr
    assert github.requests == []


def test_api_url_must_be_http(github: FakeGitHub) -> None:
    from secreview import cli_github
    from secreview.targets import github as library

    assert cli_github.DEFAULT_API_URL == library.DEFAULT_API_URL == "https://api.github.com"
    code, out, err = run(github, "--pr", "7", "--api-url", "file:///etc/passwd")
    assert code == 2
    assert "is not an http(s) URL" in err
    assert github.requests == []


def test_installed_command_in_a_process(github: FakeGitHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app_pull(github)
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    monkeypatch.setenv("GITHUB_API_URL", github.url)
    done = run_process("github", "--repo", "octo/app", "--pr", "7", "--post", cwd=tmp_path, timeout=60)
    assert done.exit_code == 1, done.stderr
    assert done.stderr.startswith("Posted a review on octo/app#7: 1 line comment(s)")
    assert [c["line"] for c in github.posts()[0].body["comments"]] == [NEW_FLOW_LINE]
    assert TOKEN not in done.stdout + done.stderr
