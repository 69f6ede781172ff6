"""Review a GitHub pull request and build the one review that says so.

Everything comes from GitHub's REST API (version 2022-11-28):

- `GET /repos/{owner}/{repo}/pulls/{n}`: the head commit (`head.sha`), which
  the review is posted against and the files are read at.
- `GET /repos/{owner}/{repo}/pulls/{n}/files` (paginated, `per_page` up to
  100, at most 3000 files): each file's `filename`, `status`,
  `previous_filename` and `patch`. The patch is one file's hunks against the
  merge base, without the `---`/`+++` header; GitHub leaves it out for binary
  files and for diffs too large to show.
- `GET /repos/{owner}/{repo}/contents/{path}?ref=SHA`: a file at the head
  commit, base64-encoded (or, for files over 1 MB, through the raw media type).
- `GET /repos/{owner}/{repo}/pulls/{n}/comments` and `.../reviews`
  (paginated): what earlier runs already said, found by the fingerprint
  markers in their text.
- `POST /repos/{owner}/{repo}/pulls/{n}/reviews`: one review with
  `commit_id`, `body`, `event: COMMENT` and line `comments`.

The old side of each Python file is rebuilt from its new side and its patch,
so only the files the pull request touches are fetched. GitHub refuses a line
comment on a line the diff does not show (HTTP 422, and then nothing of the
review is posted), so a finding is commented inline only on lines the patch
shows; every other finding is listed in the review's body. The library never
prints; every failure is a `HostError` or a `DiffError` with a safe message.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import quote

import httpx

from secreview import __version__
from secreview.changes import review_files
from secreview.config import Config
from secreview.model import Finding, Report
from secreview.report.comments import FINGERPRINT_MARK, comment_body, fingerprints_in, summary_message
from secreview.targets.diff import ChangeSet, DiffError, FileChange, old_text, parse_patch, \
    safe_relative_path
from secreview.targets.http import DEFAULT_TIMEOUT, HostClient, HostError, expect

DEFAULT_API_URL = "https://api.github.com"
API_VERSION = "2022-11-28"
MEDIA_JSON = "application/vnd.github+json"
MEDIA_RAW = "application/vnd.github.raw+json"
HOST = "GitHub API"
PER_PAGE = 100
# GitHub lists at most 3000 files of a pull request (30 pages of 100).
MAX_FILES = 3000
# Earlier comments and reviews read to find what was already said.
MAX_COMMENT_PAGES = 50
# GitHub rejects comment bodies over 65536 characters; stay well below.
MAX_BODY_CHARS = 60_000

STATUSES = frozenset({"added", "removed", "modified", "renamed", "copied", "changed", "unchanged"})
_OWNER = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})")
_NAME = re.compile(r"[A-Za-z0-9._-]{1,100}")
_SHA = re.compile(r"[0-9a-f]{40}")


def parse_repo(text: str) -> str:
    """`OWNER/NAME` as GitHub spells repositories, else ValueError.

    Both parts go into URL paths, so anything else (slashes, dots only,
    spaces, percent signs) is refused rather than escaped."""
    owner, sep, name = text.strip().partition("/")
    if not sep or not _OWNER.fullmatch(owner) or not _NAME.fullmatch(name) or name in (".", ".."):
        raise ValueError(f"{text!r} is not OWNER/NAME (e.g. octocat/hello-world)")
    return f"{owner}/{name}"


def connect(api_url: str | None = None, token: str | None = None, *, timeout: float = DEFAULT_TIMEOUT,
            transport: httpx.BaseTransport | None = None) -> HostClient:
    """A client for GitHub's REST API at `api_url` (GitHub Enterprise Server:
    `https://HOST/api/v3`), authenticated with `token` when there is one."""
    headers = {"Accept": MEDIA_JSON, "X-GitHub-Api-Version": API_VERSION,
               "User-Agent": f"secreview/{__version__}"}
    if token:
        if any(c in token for c in "\r\n\x00 "):
            raise HostError(f"{HOST}: GITHUB_TOKEN holds white space or control characters; it is not a token")
        headers["Authorization"] = f"Bearer {token}"
    return HostClient(api_url or DEFAULT_API_URL, name=HOST, headers=headers, timeout=timeout,
                        secrets=(token,) if token else (), transport=transport)


def _get(client: HostClient, path: str, params: dict[str, Any] | None = None) -> tuple[Any, httpx.Response]:
    response = client.request("GET", path, params=params, accept=MEDIA_JSON)
    return client.json(response), response


def _pages(client: HostClient, path: str, what: str, max_pages: int) -> tuple[list[Any], bool]:
    """Every item of a paginated list, and whether the list was complete.

    Pages are asked for by number (`per_page`, `page`) while the `Link`
    header names a next page, so the token is only ever sent to the API URL
    the user gave, never to a URL the response names."""
    items: list[Any] = []
    for page in range(1, max_pages + 1):
        data, response = _get(client, path, {"per_page": PER_PAGE, "page": page})
        expect(data, list, f"{what} (page {page})", HOST)
        items.extend(data)
        if not data or "next" not in response.links:
            return items, True
    return items, False


@dataclass
class PullRequest:
    """The pull request as fetched: enough to review it and post the review."""

    repo: str
    number: int
    head_sha: str
    files: list[dict[str, Any]]
    files_complete: bool = True
    # Title and description, given to the LLM reviewer as the change's message.
    text: str = ""


def fetch_pull_request(client: HostClient, repo: str, number: int) -> PullRequest:
    """The pull request's head commit and changed files."""
    data, _ = _get(client, f"repos/{repo}/pulls/{number}")
    expect(data, dict, f"pull request {repo}#{number}", HOST)
    head = expect(data.get("head"), dict, f"pull request {repo}#{number}: head", HOST)
    sha = expect(head.get("sha"), str, f"pull request {repo}#{number}: head.sha", HOST)
    if not _SHA.fullmatch(sha):
        raise HostError(f"{HOST}: pull request {repo}#{number}: head.sha {sha[:60]!r} is not a commit id")
    files, complete = _pages(client, f"repos/{repo}/pulls/{number}/files",
                             f"files of pull request {repo}#{number}", MAX_FILES // PER_PAGE)
    for index, item in enumerate(files):
        expect(item, dict, f"files of pull request {repo}#{number}: entry {index}", HOST)
    text = "\n\n".join(part.strip() for part in (data.get("title"), data.get("body"))
                       if isinstance(part, str) and part.strip())
    return PullRequest(repo, number, sha, files, complete and len(files) < MAX_FILES, text)


def existing_fingerprints(client: HostClient, repo: str, number: int) -> set[str]:
    """Fingerprints that earlier secreview reviews carry, in their line
    comments or in the list of findings outside the diff in their body."""
    texts: list[Any] = []
    for kind, what in (("comments", "review comments"), ("reviews", "reviews")):
        what = f"{what} of pull request {repo}#{number}"
        items, _ = _pages(client, f"repos/{repo}/pulls/{number}/{kind}", what, MAX_COMMENT_PAGES)
        for index, item in enumerate(items):
            expect(item, dict, f"{what}: entry {index}", HOST)
            texts.append(item.get("body"))
    return fingerprints_in(t for t in texts if isinstance(t, str))


def fetch_content(client: HostClient, repo: str, path: str, ref: str) -> bytes | None:
    """A file's bytes at commit `ref`, or None when it is not a regular file
    (a symlink pointing outside the repository, a submodule)."""
    location = f"repos/{repo}/contents/{quote(path, safe='/')}"
    data, _ = _get(client, location, {"ref": ref})
    if isinstance(data, list):
        return None  # a directory: not the file the file list named
    expect(data, dict, f"contents of {path}", HOST)
    if data.get("type") != "file":
        return None
    encoding = data.get("encoding")
    content = data.get("content")
    if encoding == "none":
        # Files of 1 to 100 MB come only through the raw media type.
        return client.request("GET", location, params={"ref": ref}, accept=MEDIA_RAW).content
    if encoding != "base64":
        raise HostError(f"{HOST}: contents of {path}: encoding {str(encoding)[:40]!r}; "
                        "the documented API gives base64")
    expect(content, str, f"contents of {path}: content", HOST)
    try:
        return base64.b64decode("".join(content.split()), validate=True)
    except (binascii.Error, ValueError):
        raise HostError(f"{HOST}: contents of {path}: content is not valid base64") from None


@dataclass
class Fetched:
    """The change a pull request makes, in the form `review_change` takes."""

    change: ChangeSet
    new: dict[str, bytes] = field(default_factory=dict)  # new path -> bytes at the head
    old: dict[str, bytes] = field(default_factory=dict)  # old path -> bytes before the change
    notes: list[str] = field(default_factory=list)  # for ChangeScope.skipped


def _text_field(item: dict[str, Any], key: str, what: str) -> str:
    return expect(item.get(key), str, f"{what}: {key}", HOST)


def _optional_text(item: dict[str, Any], key: str, what: str) -> str | None:
    return None if item.get(key) is None else _text_field(item, key, what)


def _file_paths(item: dict[str, Any], index: int) -> tuple[str, str | None, str | None]:
    """(status, old path, new path) of one entry of the file list, checked."""
    what = f"file list entry {index}"
    filename = _text_field(item, "filename", what)
    status = _text_field(item, "status", what)
    if status not in STATUSES:
        raise HostError(f"{HOST}: {what}: status {status[:40]!r} is not one the API documents "
                        f"({', '.join(sorted(STATUSES))})")
    path = _checked_path(filename, what)
    previous = (_text_field if status == "renamed" else _optional_text)(item, "previous_filename", what)
    if previous is not None:
        previous = _checked_path(previous, what)
    if status in ("added", "copied"):
        return status, None, path  # a copy is new code: every finding in it is new
    if status == "removed":
        return status, path, None
    return status, previous if status == "renamed" else path, path


def _checked_path(path: str, what: str) -> str:
    if any(c in path for c in "\r\n"):
        raise DiffError(f"{HOST}: {what}: path {path[:80]!r} contains a line break")
    return safe_relative_path(path, f"{HOST}: {what}")


def _file_change(old: str | None, new: str | None, patch: str) -> tuple[FileChange, Any]:
    """The FileChange of one file's `patch`, and its unidiff PatchedFile.

    GitHub's patch is only the hunks; the `---`/`+++` header is added here
    from the checked paths, so the patch itself cannot name a file."""
    header = f"--- {'a/' + old if old else '/dev/null'}\n+++ {'b/' + new if new else '/dev/null'}\n"
    where = new or old or ""
    pairs = parse_patch(header + "\n".join(patch.splitlines()) + "\n", description=f"patch of {where}")
    if len(pairs) != 1 or (pairs[0][0].old_path, pairs[0][0].new_path) != (old, new):
        raise DiffError(f"{HOST}: the patch of {where} does not describe that one file")
    return pairs[0]


def fetch_change(client: HostClient, pull: PullRequest) -> Fetched:
    """Each changed file as a FileChange, the Python files' bytes at the head
    and their old side rebuilt from the patch."""
    fetched = Fetched(ChangeSet(description=f"GitHub pull request {pull.repo}#{pull.number} "
                                            f"(head {pull.head_sha[:12]})", message=pull.text))
    seen: set[str] = set()
    for index, item in enumerate(pull.files):
        status, old, new = _file_paths(item, index)
        key = new or old or ""
        if key in seen:
            raise HostError(f"{HOST}: the file list names {key} twice")
        seen.add(key)
        if status == "unchanged":
            continue
        patch = _optional_text(item, "patch", f"file list entry {index}")
        _add_file(client, pull, fetched, old, new, patch, item)
    if not pull.files_complete:
        fetched.notes.append(f"files beyond the first {len(pull.files)}: GitHub lists at most {MAX_FILES} "
                             "files of a pull request")
    return fetched


def _add_file(client: HostClient, pull: PullRequest, fetched: Fetched, old: str | None, new: str | None,
              patch: str | None, item: dict[str, Any]) -> None:
    """One entry of the file list: a Python file is fetched at the head and
    its old side rebuilt from the patch; other files are only counted."""
    if not any(p is not None and p.endswith(".py") for p in (old, new)):
        fetched.change.files.append(FileChange(old, new))
        return
    content = b""
    if new is not None:
        found = fetch_content(client, pull.repo, new, pull.head_sha)
        if found is None:
            fetched.notes.append(f"{new}: not a regular file at the head commit")
            return
        content = fetched.new[new] = found
    if patch:
        change, patched = _file_change(old, new, patch)
        fetched.change.files.append(change)
        if old is not None:
            rebuilt = old_text(content.decode("utf-8", "surrogateescape"), patched, change.path)
            fetched.old[old] = rebuilt.encode("utf-8", "surrogateescape")
    elif item.get("additions") == 0 and item.get("deletions") == 0:
        # A rename, mode change or empty file without an edit: both sides are the same.
        fetched.change.files.append(FileChange(old, new))
        if old is not None:
            fetched.old[old] = content
    else:
        _add_without_patch(fetched, old, new, content)


def _add_without_patch(fetched: Fetched, old: str | None, new: str | None, content: bytes) -> None:
    """A file GitHub sent no diff for (too large, or binary): the whole file
    counts as changed, every finding in it is new and none can be commented
    inline (GitHub only takes comments on lines a diff shows)."""
    if new is None:
        fetched.change.files.append(FileChange(old, None))
        fetched.notes.append(f"the old side of {old}: GitHub sent no diff for the deleted file, so flows "
                             "its removal enables elsewhere may be missed")
        return
    lines = frozenset(range(1, content.count(b"\n") + 2))
    fetched.change.files.append(FileChange(old, new, added=lines))
    fetched.notes.append(f"line comments on {new}: GitHub sent no diff for it (too large to show), so the "
                         "whole file counts as changed and its findings are listed in this message")


@dataclass
class PullRequestReview:
    """The outcome: the report of what the pull request introduces, and the
    review to post (the request body of `POST .../reviews`)."""

    repo: str
    number: int
    head_sha: str
    report: Report
    payload: dict[str, Any]
    inline: int = 0
    outside: int = 0
    repeated: int = 0

    def to_json(self) -> str:
        return json.dumps(self.payload, indent=2, ensure_ascii=False) + "\n"


def review_pull_request(client: HostClient, repo: str, number: int, config: Config | None = None,
                        *, jobs: int | None = None,
                        enrich: Callable[[Report, ChangeSet, dict[str, bytes]], None] | None = None,
                        ) -> PullRequestReview:
    """Fetch the pull request, review what it introduces, and build the
    review. Nothing is posted; `post_review` does that. `enrich(report,
    change, new_files)` runs between the review and the building of the
    review (the LLM reviewer adds its findings there)."""
    repo = parse_repo(repo)
    pull = fetch_pull_request(client, repo, number)
    fetched = fetch_change(client, pull)
    already = existing_fingerprints(client, repo, number)
    report = review_files(fetched.new, fetched.change, fetched.old, config, jobs=jobs, what=HOST)
    if report.change is not None:
        report.change.skipped.extend(fetched.notes)
    if enrich is not None:
        enrich(report, fetched.change, fetched.new)
    return build_review(pull, report, fetched.change, already)


def _placement(finding: Finding, item: FileChange | None) -> dict[str, Any] | None:
    """Where GitHub accepts a line comment for `finding`: its whole line
    range when the diff shows all of it, else its first line the diff shows
    (then without a suggestion, which would replace the wrong lines)."""
    if item is None or not item.commentable:
        return None
    start, end = finding.line, max(finding.end_line, finding.line)
    span = range(start, end + 1)
    if all(line in item.commentable for line in span):
        spot: dict[str, Any] = {"path": item.path}
        if end > start:
            spot.update(start_line=start, start_side="RIGHT")
        spot.update(line=end, side="RIGHT", body=comment_body(finding, suggestion=True))
        return spot
    visible = [line for line in span if line in item.commentable]
    if not visible:
        return None
    return {"path": item.path, "line": visible[0], "side": "RIGHT", "body": comment_body(finding)}


def _outside_entry(finding: Finding) -> str:
    where = f"{finding.path}:{finding.line}".replace("`", "'")
    return (f"- `{where}` {finding.severity.label.upper()} ({finding.rule}): {finding.message} "
            f"Fix: {finding.fix.description} <!-- {FINGERPRINT_MARK} {finding.fingerprint} -->")


def build_review(pull: PullRequest, report: Report, change: ChangeSet, already: set[str]) -> PullRequestReview:
    """The review body and line comments for `report`'s findings.

    Findings an earlier review already carries are counted, not repeated;
    those on lines the diff does not show go into the body, each with its
    fingerprint in an HTML comment so a later run sees it too."""
    by_path = change.by_new_path()
    comments: list[dict[str, Any]] = []
    outside: list[Finding] = []
    repeated = 0
    for finding in sorted(report.findings, key=Finding.sort_key):
        if finding.fingerprint in already:
            repeated += 1
            continue
        spot = _placement(finding, by_path.get(finding.path))
        if spot is None:
            outside.append(finding)
        else:
            comments.append(spot)
    body = summary_message(report, posted=len(comments), repeated=repeated, outside=len(outside))
    if outside:
        body += ("\n\nFindings on lines outside the diff (GitHub takes line comments only on lines "
                 "the diff shows):")
        for index, finding in enumerate(outside):
            entry = "\n" + _outside_entry(finding)
            if len(body) + len(entry) > MAX_BODY_CHARS:
                body += f"\n- ... and {len(outside) - index} more; run secreview on the branch for the full list."
                break
            body += entry
    payload = {"commit_id": pull.head_sha, "body": body, "event": "COMMENT", "comments": comments}
    return PullRequestReview(pull.repo, pull.number, pull.head_sha, report, payload,
                             inline=len(comments), outside=len(outside), repeated=repeated)


def post_review(client: HostClient, review: PullRequestReview) -> dict[str, Any]:
    """Post the review (one request: GitHub creates all of it or none)."""
    response = client.request("POST", f"repos/{review.repo}/pulls/{review.number}/reviews",
                              body=review.payload, accept=MEDIA_JSON)
    if not response.content.strip():
        return {}
    data = client.json(response)
    return data if isinstance(data, dict) else {}

