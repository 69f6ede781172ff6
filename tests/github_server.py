"""A fake GitHub REST API on loopback, for the `secreview github` tests.

It implements the endpoints the command uses, with the response shapes,
status codes and headers GitHub documents (API version 2022-11-28):

- GET  /repos/{owner}/{repo}/pulls/{n}
  https://docs.github.com/en/rest/pulls/pulls#get-a-pull-request
- GET  /repos/{owner}/{repo}/pulls/{n}/files   (per_page <= 100, page; 3000 files at most)
  https://docs.github.com/en/rest/pulls/pulls#list-pull-requests-files
  (`status` is one of added, removed, modified, renamed, copied, changed,
  unchanged; `patch` is absent for binary files and diffs too large to show:
  https://github.com/octokit/octokit.net/issues/1521,
  https://github.com/47degrees/github4s/issues/180)
- GET  /repos/{owner}/{repo}/contents/{path}?ref=SHA   (base64 JSON; raw with
  Accept: application/vnd.github.raw+json; over 1 MB only raw, `encoding: none`)
  https://docs.github.com/en/rest/repos/contents#get-repository-content
- GET  /repos/{owner}/{repo}/pulls/{n}/comments
  https://docs.github.com/en/rest/pulls/comments#list-review-comments-on-a-pull-request
- GET  /repos/{owner}/{repo}/pulls/{n}/reviews
  https://docs.github.com/en/rest/pulls/reviews#list-reviews-for-a-pull-request
- POST /repos/{owner}/{repo}/pulls/{n}/reviews   (commit_id, body, event, comments
  [{path, line, side, start_line, start_side, body}]); a comment on a line the
  diff does not show is refused with 422 "Pull request review thread line must
  be part of the diff", and then nothing of the review is created
  https://docs.github.com/en/rest/pulls/reviews#create-a-review-for-a-pull-request
  https://github.com/parkerbxyz/suggest-changes/issues/28

Pagination follows https://docs.github.com/en/rest/using-the-rest-api/using-pagination-in-the-rest-api
(a `Link` header with rel="next" and rel="last" while more pages exist); errors
follow https://docs.github.com/en/rest/using-the-rest-api/troubleshooting-the-rest-api
and https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api
(401 "Bad credentials"; 403 or 429 with x-ratelimit-remaining: 0 when the quota
is spent, x-ratelimit-reset in Unix seconds; retry-after on secondary limits).

Every request is recorded (method, path, query, headers, parsed body) so a test
can assert what was fetched and what was posted; `fail()` makes chosen
requests answer with an error, malformed data or a delay.
"""

from __future__ import annotations

import base64
import difflib
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

TOKEN = "ghp_fakeTokenForTests0123456789abcdefABCD"
HEAD_SHA = "6dcb09b5b57875f334f61aebed695e2e4193db5e"
BASE_SHA = "9c4b2e8d3f1a0b7e6d5c4b3a29180716f5e4d3c2"
REPO_ID = 1296269
# Files over this size come only through the raw media type (GitHub: 1 MB).
RAW_ONLY_ABOVE = 1024 * 1024


def github_patch(old: str, new: str, context: int = 3) -> str:
    """One file's patch as the files endpoint gives it: the hunks of a
    unified diff, without the ---/+++ header and without a final newline."""
    lines = list(difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True), n=context))
    return "".join(lines[2:]).rstrip("\n")


def right_side_hunks(patch: str) -> list[set[int]]:
    """The new-side line numbers each hunk shows (context and added lines):
    where GitHub accepts a comment with side RIGHT."""
    hunks: list[set[int]] = []
    line = 0
    for text in patch.split("\n"):
        header = re.match(r"@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@", text)
        if header:
            line = int(header.group(1))
            hunks.append(set())
        elif hunks and text[:1] in (" ", "+"):
            hunks[-1].add(line)
            line += 1
    return hunks


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: Any = None


@dataclass
class Fault:
    method: str
    pattern: str  # regular expression matched against the whole path
    status: int = 500
    body: bytes | str | Any = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    times: int | None = None  # None: always


@dataclass
class Pull:
    number: int
    head_sha: str
    files: list[dict[str, Any]]
    comments: list[dict[str, Any]] = field(default_factory=list)
    reviews: list[dict[str, Any]] = field(default_factory=list)


def _user(login: str = "octocat") -> dict[str, Any]:
    return {"login": login, "id": 1, "node_id": "MDQ6VXNlcjE=", "type": "User", "site_admin": False,
            "url": f"https://api.github.com/users/{login}", "html_url": f"https://github.com/{login}"}


def pull_file(filename: str, status: str = "modified", patch: str | None = None,
              previous_filename: str | None = None, additions: int | None = None,
              deletions: int | None = None) -> dict[str, Any]:
    """One entry of the files list, shaped like GitHub's diff entry."""
    if patch is not None:
        body = [line for line in patch.split("\n") if not line.startswith("@@")]
        additions = sum(1 for line in body if line.startswith("+")) if additions is None else additions
        deletions = sum(1 for line in body if line.startswith("-")) if deletions is None else deletions
    additions = additions or 0
    deletions = deletions or 0
    entry: dict[str, Any] = {
        "sha": "bbcd538c8e72b8c175046e27cc8f907076331401",
        "filename": filename,
        "status": status,
        "additions": additions,
        "deletions": deletions,
        "changes": additions + deletions,
        "blob_url": f"https://github.com/octo/app/blob/{HEAD_SHA}/{filename}",
        "raw_url": f"https://github.com/octo/app/raw/{HEAD_SHA}/{filename}",
        "contents_url": f"https://api.github.com/repos/octo/app/contents/{filename}?ref={HEAD_SHA}",
    }
    if patch is not None:
        entry["patch"] = patch
    if previous_filename is not None:
        entry["previous_filename"] = previous_filename
    return entry


def review_comment(comment_id: int, path: str, line: int, body: str) -> dict[str, Any]:
    """An existing review comment, as the comments endpoint lists it."""
    return {"url": f"https://api.github.com/repos/octo/app/pulls/comments/{comment_id}", "id": comment_id,
            "node_id": "MDI0OlB1bGxSZXF1ZXN0UmV2aWV3Q29tbWVudDEw", "pull_request_review_id": 42,
            "diff_hunk": "@@ -16,33 +16,40 @@ public class Connection : IConnection...", "path": path,
            "commit_id": HEAD_SHA, "original_commit_id": HEAD_SHA, "user": _user(), "body": body,
            "created_at": "2011-04-14T16:00:49Z", "updated_at": "2011-04-14T16:00:49Z",
            "html_url": f"https://github.com/octo/app/pull/1#discussion-diff-{comment_id}",
            "author_association": "NONE", "line": line, "side": "RIGHT", "original_line": line}


class FakeGitHub:
    """The fake API. Use as a context manager; `url` is the API root."""

    def __init__(self, owner: str = "octo", repo: str = "app", token: str = TOKEN) -> None:
        self.owner, self.repo, self.token = owner, repo, token
        self.pulls: dict[int, Pull] = {}
        self.blobs: dict[tuple[str, str], bytes] = {}
        self.requests: list[Recorded] = []
        self.faults: list[Fault] = []
        self.raw_only_above = RAW_ONLY_ABOVE
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- set-up -----------------------------------------------------------
    def add_pull(self, number: int, files: list[dict[str, Any]], contents: dict[str, str | bytes],
                 head_sha: str = HEAD_SHA, comments: list[dict[str, Any]] | None = None) -> Pull:
        """A pull request whose head commit holds `contents` (path -> text)."""
        pull = Pull(number, head_sha, files, list(comments or []))
        self.pulls[number] = pull
        for path, text in contents.items():
            self.blobs[(head_sha, path)] = text.encode("utf-8") if isinstance(text, str) else text
        return pull

    def fail(self, method: str, pattern: str, status: int = 500, body: bytes | str | Any = b"",
             headers: dict[str, str] | None = None, delay: float = 0.0, times: int | None = None) -> None:
        """Answer requests matching METHOD and the path pattern with this instead."""
        self.faults.append(Fault(method, pattern, status, body, dict(headers or {}), delay, times))

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def posts(self) -> list[Recorded]:
        return [r for r in self.requests if r.method != "GET"]

    def gets(self, suffix: str = "") -> list[Recorded]:
        return [r for r in self.requests if r.method == "GET" and r.path.endswith(suffix)]

    # -- life cycle -------------------------------------------------------
    def __enter__(self) -> "FakeGitHub":
        fake = self

        class Handler(_Handler):
            github = fake

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stopping.set()
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()

    # -- answers ----------------------------------------------------------
    def answer(self, request: Recorded) -> tuple[int, dict[str, str], bytes, float]:
        """(status, headers, body, delay) for one request."""
        with self._lock:
            self.requests.append(request)
            for fault in self.faults:
                if fault.method == request.method and re.fullmatch(fault.pattern, request.path):
                    if fault.times is not None:
                        if fault.times <= 0:
                            continue
                        fault.times -= 1
                    body = fault.body
                    if not isinstance(body, (bytes, str)):
                        body = json.dumps(body)
                    return fault.status, {"content-type": "application/json; charset=utf-8", **fault.headers}, \
                        body.encode() if isinstance(body, str) else body, fault.delay
        status, headers, payload = self._route(request)
        if isinstance(payload, bytes):
            return status, headers, payload, 0.0
        return status, {"content-type": "application/json; charset=utf-8", **headers}, \
            json.dumps(payload).encode(), 0.0

    def _route(self, request: Recorded) -> tuple[int, dict[str, str], Any]:
        auth = request.headers.get("authorization")
        if auth is not None and auth != f"Bearer {self.token}":
            return 401, {}, {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest",
                             "status": "401"}
        prefix = f"/repos/{self.owner}/{self.repo}/"
        if not request.path.startswith(prefix):
            return self._not_found("repos/repos#get-a-repository")
        rest = request.path[len(prefix):]
        if request.method == "POST":
            match = re.fullmatch(r"pulls/(\d+)/reviews", rest)
            if not match:
                return self._not_found("rest")
            if auth is None:
                return 401, {}, {"message": "Requires authentication", "status": "401",
                                 "documentation_url": "https://docs.github.com/rest/pulls/reviews"}
            return self._create_review(int(match.group(1)), request.body)
        if request.method != "GET":
            return self._not_found("rest")
        match = re.fullmatch(r"pulls/(\d+)(/files|/comments|/reviews)?", rest)
        if match:
            pull = self.pulls.get(int(match.group(1)))
            if pull is None:
                return self._not_found("pulls/pulls#get-a-pull-request")
            kind = match.group(2)
            if kind is None:
                return 200, {}, self._pull_json(pull)
            items = {"/files": pull.files, "/comments": pull.comments, "/reviews": pull.reviews}[kind]
            return self._page(request, items)
        if rest.startswith("contents/"):
            return self._contents(request, unquote(rest[len("contents/"):]))
        return self._not_found("rest")

    def _not_found(self, doc: str) -> tuple[int, dict[str, str], Any]:
        return 404, {}, {"message": "Not Found", "documentation_url": f"https://docs.github.com/{doc}",
                         "status": "404"}

    def _pull_json(self, pull: Pull) -> dict[str, Any]:
        repo = {"id": REPO_ID, "name": self.repo, "full_name": f"{self.owner}/{self.repo}",
                "owner": _user(self.owner), "private": False}
        return {
            "url": f"https://api.github.com/repos/{self.owner}/{self.repo}/pulls/{pull.number}",
            "id": 1, "node_id": "MDExOlB1bGxSZXF1ZXN0MQ==", "number": pull.number, "state": "open",
            "locked": False, "title": "Add a ping endpoint", "user": _user(), "body": "Please pull these changes",
            "html_url": f"https://github.com/{self.owner}/{self.repo}/pull/{pull.number}",
            "diff_url": f"https://github.com/{self.owner}/{self.repo}/pull/{pull.number}.diff",
            "created_at": "2011-01-26T19:01:12Z", "updated_at": "2011-01-26T19:01:12Z",
            "head": {"label": "octocat:new-topic", "ref": "new-topic", "sha": pull.head_sha, "user": _user(),
                     "repo": repo},
            "base": {"label": "octocat:main", "ref": "main", "sha": BASE_SHA, "user": _user(), "repo": repo},
            "draft": False, "merged": False, "changed_files": len(pull.files),
        }

    def _page(self, request: Recorded, items: list[Any]) -> tuple[int, dict[str, str], Any]:
        per_page = min(int(request.query.get("per_page", ["30"])[0]), 100)
        page = max(int(request.query.get("page", ["1"])[0]), 1)
        items = items[:3000]
        last = max((len(items) + per_page - 1) // per_page, 1)
        chunk = items[(page - 1) * per_page: page * per_page]
        headers: dict[str, str] = {}
        if page < last:
            # GitHub's links name the repository by id, not by OWNER/NAME.
            base = f"{self.url}/repositories/{REPO_ID}{request.path.split('/' + self.repo, 1)[1]}"
            headers["link"] = (f'<{base}?per_page={per_page}&page={page + 1}>; rel="next", '
                               f'<{base}?per_page={per_page}&page={last}>; rel="last"')
        return 200, headers, chunk

    def _contents(self, request: Recorded, path: str) -> tuple[int, dict[str, str], Any]:
        ref = request.query.get("ref", [""])[0]
        data = self.blobs.get((ref, path))
        if data is None:
            return self._not_found("rest/repos/contents#get-repository-content")
        if request.headers.get("accept") == "application/vnd.github.raw+json":
            return 200, {"content-type": "application/vnd.github.raw+json"}, data
        raw_only = len(data) > self.raw_only_above
        encoded = base64.b64encode(data).decode()
        wrapped = "\n".join(encoded[i:i + 60] for i in range(0, len(encoded), 60)) + "\n"
        name = path.rsplit("/", 1)[-1]
        api = f"https://api.github.com/repos/{self.owner}/{self.repo}/contents/{path}?ref={ref}"
        return 200, {}, {
            "type": "file", "encoding": "none" if raw_only else "base64", "size": len(data), "name": name,
            "path": path, "content": "" if raw_only else wrapped, "sha": "3d21ec53a331a6f037a91c368710b99387d012c1",
            "url": api, "git_url": None, "html_url": None, "download_url": None,
            "_links": {"self": api, "git": None, "html": None},
        }

    def _create_review(self, number: int, body: Any) -> tuple[int, dict[str, str], Any]:
        pull = self.pulls.get(number)
        if pull is None:
            return self._not_found("rest/pulls/reviews#create-a-review-for-a-pull-request")
        problems = self._review_problems(pull, body)
        if problems:
            return 422, {}, {"message": "Unprocessable Entity", "errors": [", ".join(problems)],
                             "documentation_url": "https://docs.github.com/rest/pulls/reviews"
                                                  "#create-a-review-for-a-pull-request", "status": "422"}
        review_id = 80 + len(pull.reviews)
        review = {"id": review_id, "node_id": "MDE3OlB1bGxSZXF1ZXN0UmV2aWV3ODA=", "user": _user("secreview-bot"),
                  "body": body.get("body", ""), "state": "COMMENTED", "commit_id": body.get("commit_id"),
                  "html_url": f"https://github.com/{self.owner}/{self.repo}/pull/{number}"
                              f"#pullrequestreview-{review_id}",
                  "pull_request_url": f"https://api.github.com/repos/{self.owner}/{self.repo}/pulls/{number}",
                  "author_association": "COLLABORATOR", "submitted_at": "2019-11-17T17:43:43Z"}
        with self._lock:
            pull.reviews.append(review)
            for index, comment in enumerate(body.get("comments") or []):
                pull.comments.append(review_comment(1000 + len(pull.comments) + index, comment["path"],
                                                    comment["line"], comment["body"]))
        return 200, {}, review

    def _review_problems(self, pull: Pull, body: Any) -> list[str]:
        """What GitHub would refuse in a review request (422)."""
        if not isinstance(body, dict):
            return ["Invalid request. Body must be a JSON object"]
        problems = []
        if body.get("event") not in ("APPROVE", "REQUEST_CHANGES", "COMMENT"):
            problems.append("event is not one of APPROVE, REQUEST_CHANGES, COMMENT")
        if body.get("event") in ("REQUEST_CHANGES", "COMMENT") and not body.get("body"):
            problems.append("Body is required for this event")
        if body.get("commit_id") != pull.head_sha:
            problems.append("commit_id is not part of the pull request")
        patches = {f["filename"]: f.get("patch") for f in pull.files}
        for comment in body.get("comments") or []:
            hunks = right_side_hunks(patches.get(comment.get("path")) or "")
            line, start = comment.get("line"), comment.get("start_line")
            if comment.get("path") not in patches:
                problems.append("Pull request review thread path is invalid")
            elif comment.get("side", "RIGHT") != "RIGHT" or not any(line in h for h in hunks):
                problems.append("Pull request review thread line must be part of the diff")
            elif start is not None and (start >= line or comment.get("start_side", "RIGHT") != "RIGHT"
                                        or not any(start in h and line in h for h in hunks)):
                problems.append("Pull request review thread start line must be part of the same hunk as the line.")
            if not isinstance(comment.get("body"), str) or not comment.get("body"):
                problems.append("Pull request review thread body can't be blank")
        return problems


class _Handler(BaseHTTPRequestHandler):
    github: FakeGitHub
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
        pass

    def _handle(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        request = Recorded(self.command, parts.path, parse_qs(parts.query),
                           {k.lower(): v for k, v in self.headers.items()}, body)
        status, headers, payload, delay = self.github.answer(request)
        if delay and self.github._stopping.wait(delay):
            return
        try:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle
