"""A fake Gerrit on loopback: the REST endpoints `secreview gerrit` uses, with
responses shaped as Gerrit documents them, and every request recorded.

Shapes follow Gerrit's REST documentation:
- https://gerrit-review.googlesource.com/Documentation/rest-api.html
  (authentication by prefixing the endpoint with /a/, HTTP basic with the
  HTTP password; JSON responses start with the `)]}'` line against XSSI)
- https://gerrit-review.googlesource.com/Documentation/rest-api-changes.html
  #get-change (ChangeInfo; `revisions` and `current_revision` only with
  o=CURRENT_REVISION or o=ALL_REVISIONS), #list-files (path -> FileInfo, with
  /COMMIT_MSG; `status` A/D/R/C/W, absent when modified; `old_path`; `binary`),
  #get-diff (DiffInfo: meta_a, meta_b, change_type, diff_header, content of
  DiffContent chunks `a`/`b`/`ab`/`skip`; `context=ALL` for the whole file;
  lines split at line feeds, the empty piece after a final one kept),
  #get-content (base64 text, Content-Type text/plain, X-FYI-Content-Encoding),
  #list-change-comments (path -> CommentInfo list with `patch_set`, `author`),
  #set-review (ReviewInput in, ReviewResult with `labels` out), and the IDs
  section ({change-id} "<project>~<number>" with the project URL-encoded, a
  number or a Change-Id; {revision-id} a commit id, patch set number or
  `current`; {file-id} the URL-encoded path).

Faults (a status, a body, headers, a delay) can be put on any request to
test how the client copes with auth failures, missing changes, rate
limiting, malformed JSON and slow answers.
"""

from __future__ import annotations

import base64
import difflib
import hashlib
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

PREFIX = ")]}'\n"
# Common lines kept around each change when the whole file is not asked for.
DEFAULT_CONTEXT = 3


@dataclass
class Recorded:
    """One request as the server saw it (path still URL-encoded)."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Fault:
    """An answer to give instead of the real one, to requests matching `pattern`."""

    method: str
    pattern: str  # searched in the URL-encoded path
    status: int = 200
    body: str | bytes = ""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    times: int | None = None  # None: every matching request


@dataclass
class PatchSet:
    files: dict[str, bytes]  # the whole tree of the patch set
    renames: dict[str, str]  # new path -> old path
    sha: str
    number: int


class FakeGerrit:
    """One change with patch sets over a base tree, comments, and faults."""

    def __init__(self, *, user: str = "secreview-bot", password: str = "gerrit-http-pw-7f3a9c",
                 project: str = "demo/app", number: int = 4711, base: dict[str, bytes] | None = None) -> None:
        self.user, self.password = user, password
        self.project, self.number = project, number
        self.change_id = "I" + hashlib.sha1(f"{project}{number}".encode()).hexdigest()
        self.base: dict[str, bytes] = dict(base or {})
        self.patch_sets: list[PatchSet] = []
        self.comments: dict[str, list[dict[str, Any]]] = {}
        self.requests: list[Recorded] = []
        self.faults: list[Fault] = []
        self.skip_common = False  # leave out common lines even when context=ALL is asked for
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- set-up -------------------------------------------------------------------------------

    def add_patch_set(self, files: dict[str, bytes], renames: dict[str, str] | None = None) -> str:
        number = len(self.patch_sets) + 1
        sha = hashlib.sha1(f"{self.number}/{number}".encode()).hexdigest()
        self.patch_sets.append(PatchSet(dict(files), dict(renames or {}), sha, number))
        return sha

    def fail(self, method: str, pattern: str, status: int = 200, body: str | bytes = "",
             headers: dict[str, str] | None = None, delay: float = 0.0, times: int | None = None) -> None:
        self.faults.append(Fault(method, pattern, status, body, dict(headers or {}), delay, times))

    def add_comment(self, path: str, patch_set: int, line: int, message: str, tag: str | None = None) -> None:
        comment = {"patch_set": patch_set, "id": f"c{len(self.requests)}-{sum(map(len, self.comments.values()))}",
                   "line": line, "message": message, "updated": "2024-05-06 07:08:09.000000000",
                   "author": {"_account_id": 1000001, "name": "secreview bot"}, "unresolved": True}
        if tag:
            comment["tag"] = tag
        self.comments.setdefault(path, []).append(comment)

    # --- running ------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def posts(self) -> list[Recorded]:
        return [r for r in self.requests if r.method == "POST"]

    def paths(self, method: str = "GET") -> list[str]:
        return [r.path for r in self.requests if r.method == method]

    def start(self) -> "FakeGerrit":
        fake = self

        class Handler(_Handler):
            server_fake = fake

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> "FakeGerrit":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- answering ----------------------------------------------------------------------------

    def handle(self, request: Recorded) -> tuple[int, dict[str, str], bytes]:
        with self._lock:
            self.requests.append(request)
            fault = self._fault(request)
        if fault is not None:
            if fault.delay:
                self._stopping.wait(fault.delay)
            body = fault.body.encode() if isinstance(fault.body, str) else fault.body
            return fault.status, {"Content-Type": "application/json; charset=UTF-8", **fault.headers}, body
        path = request.path
        if path.startswith("/a/"):
            if not self._authorised(request.headers.get("authorization", "")):
                return 401, {"WWW-Authenticate": 'Basic realm="Gerrit Code Review"',
                             "Content-Type": "text/plain"}, b"Unauthorized"
            path = path[2:]
        elif request.method != "GET":
            return 403, {"Content-Type": "text/plain"}, b"Authentication required"
        return self._route(request, path)

    def _fault(self, request: Recorded) -> Fault | None:
        for fault in self.faults:
            if fault.method == request.method and re.search(fault.pattern, request.path):
                if fault.times is not None:
                    if fault.times <= 0:
                        continue
                    fault.times -= 1
                return fault
        return None

    def _authorised(self, header: str) -> bool:
        expected = base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
        return header == f"Basic {expected}"

    def _route(self, request: Recorded, path: str) -> tuple[int, dict[str, str], bytes]:
        parts = path.split("/")  # ['', 'changes', '{change-id}', ...]; {file-id} keeps its %2F
        if len(parts) < 3 or parts[1] != "changes" or not self._is_change(parts[2]):
            return _text(404, f"Not found: {unquote(parts[2]) if len(parts) > 2 else path}")
        rest = parts[3:]
        if rest and rest[-1] == "":
            rest = rest[:-1]
        if request.method == "GET" and not rest:
            return _json(self._change_info(request.query.get("o", [])))
        if request.method == "GET" and rest == ["comments"]:
            return _json(self.comments)
        if len(rest) < 2 or rest[0] != "revisions":
            return _text(404, "Not found")
        ps = self._patch_set(rest[1])
        if ps is None:
            return _text(404, f"Not found: {rest[1]}")
        tail = rest[2:]
        if request.method == "POST" and tail == ["review"]:
            return self._set_review(request, ps)
        if request.method == "GET" and tail == ["files"]:
            return _json(self._files(ps))
        if request.method == "GET" and len(tail) == 3 and tail[0] == "files":
            file_id = unquote(tail[1])
            if tail[2] == "diff":
                return self._diff(ps, file_id, request.query.get("context", [""])[0])
            if tail[2] == "content":
                data = ps.files.get(file_id)
                if data is None:
                    return _text(404, f"Not found: {file_id}")
                return 200, {"Content-Type": "text/plain; charset=ISO-8859-1", "X-FYI-Content-Encoding": "base64",
                             "X-FYI-Content-Type": "text/x-python"}, base64.b64encode(data)
        return _text(404, "Not found")

    def _is_change(self, raw: str) -> bool:
        given = unquote(raw)
        return given in (f"{self.project}~{self.number}", str(self.number), self.change_id,
                         f"{self.project}~master~{self.change_id}")

    def _patch_set(self, revision: str) -> PatchSet | None:
        if revision == "current":
            return self.patch_sets[-1] if self.patch_sets else None
        for ps in self.patch_sets:
            if revision in (ps.sha, str(ps.number)) or (len(revision) >= 4 and ps.sha.startswith(revision)):
                return ps
        return None

    def _change_info(self, options: list[str]) -> dict[str, Any]:
        info: dict[str, Any] = {
            "id": f"{quote(self.project, safe='')}~{self.number}",
            "triplet_id": f"{quote(self.project, safe='')}~master~{self.change_id}",
            "project": self.project, "branch": "master", "change_id": self.change_id,
            "subject": "Add user lookup", "status": "NEW",
            "created": "2024-05-06 07:00:00.000000000", "updated": "2024-05-06 08:00:00.000000000",
            "insertions": 12, "deletions": 0, "_number": self.number,
            "owner": {"_account_id": 1000096}, "current_revision_number": len(self.patch_sets),
        }
        wanted = self.patch_sets if "ALL_REVISIONS" in options else \
            self.patch_sets[-1:] if "CURRENT_REVISION" in options else []
        if wanted:
            info["current_revision"] = self.patch_sets[-1].sha
            info["revisions"] = {ps.sha: {"kind": "REWORK", "_number": ps.number,
                                          "created": "2024-05-06 07:00:00.000000000",
                                          "uploader": {"_account_id": 1000096},
                                          "ref": f"refs/changes/{self.number % 100:02d}/{self.number}/{ps.number}",
                                          "fetch": {}} for ps in wanted}
            if "ALL_COMMITS" in options:  # CommitInfo of every revision returned
                for ps in wanted:
                    info["revisions"][ps.sha]["commit"] = {
                        "parents": [{"commit": "0" * 40, "subject": "Initial import"}],
                        "subject": "Add user lookup",
                        "message": f"Add user lookup\n\nLook users up by name.\n\nChange-Id: {self.change_id}\n"}
        return info

    def _old_path(self, ps: PatchSet, path: str) -> str | None:
        if path in ps.renames:
            return ps.renames[path]
        return path if path in self.base else None

    def _files(self, ps: PatchSet) -> dict[str, Any]:
        files: dict[str, Any] = {"/COMMIT_MSG": {"status": "A", "lines_inserted": 7, "size_delta": 551, "size": 551}}
        renamed_from = set(ps.renames.values())
        for path in sorted(set(ps.files) | set(self.base)):
            new = ps.files.get(path)
            old_path = self._old_path(ps, path) if new is not None else path
            old = self.base.get(old_path) if old_path else None
            if new is None and path in renamed_from:
                continue
            if new is not None and old == new and old_path == path:
                continue
            info: dict[str, Any] = {}
            if new is None:
                info["status"] = "D"
            elif old_path is None:
                info["status"] = "A"
            elif old_path != path:
                info["status"] = "R"
                info["old_path"] = old_path
            if b"\0" in (new or b"") or b"\0" in (old or b""):
                info["binary"] = True
            else:
                a, b = _split(old), _split(new)
                inserted = sum(1 for line in difflib.ndiff(a, b) if line.startswith("+ "))
                deleted = sum(1 for line in difflib.ndiff(a, b) if line.startswith("- "))
                if inserted:
                    info["lines_inserted"] = inserted
                if deleted:
                    info["lines_deleted"] = deleted
            info["size_delta"] = len(new or b"") - len(old or b"")
            info["size"] = len(new or b"")
            files[path] = info
        return files

    def _diff(self, ps: PatchSet, path: str, context: str) -> tuple[int, dict[str, str], bytes]:
        new = ps.files.get(path)
        old_path = self._old_path(ps, path) if new is not None else path
        old = self.base.get(old_path) if old_path else None
        if new is None and old is None:
            return _text(404, f"Not found: {path}")
        a, b = _split(old), _split(new)
        whole = context == "ALL" and not self.skip_common
        content: list[dict[str, Any]] = []
        opcodes = difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
        for index, (tag, i1, i2, j1, j2) in enumerate(opcodes):
            if tag == "equal":
                content += _common(a[i1:i2], whole, first=index == 0, last=index == len(opcodes) - 1)
                continue
            chunk: dict[str, Any] = {}
            if i2 > i1:
                chunk["a"] = a[i1:i2]
            if j2 > j1:
                chunk["b"] = b[j1:j2]
            content.append(chunk)
        info: dict[str, Any] = {
            "change_type": "ADDED" if old is None else "DELETED" if new is None else
            "RENAMED" if old_path != path else "MODIFIED",
            "diff_header": [f"diff --git a/{old_path or path} b/{path}"],
            "content": content,
        }
        if old is not None:
            info["meta_a"] = {"name": old_path, "content_type": "text/x-python", "lines": len(a)}
        if new is not None:
            info["meta_b"] = {"name": path, "content_type": "text/x-python", "lines": len(b)}
        return _json(info)

    def _set_review(self, request: Recorded, ps: PatchSet) -> tuple[int, dict[str, str], bytes]:
        try:
            review = request.json()
        except ValueError:
            return _text(400, "Invalid JSON")
        for path, items in (review.get("comments") or {}).items():
            for item in items:
                self.add_comment(path, ps.number, item.get("line", 0), item.get("message", ""), review.get("tag"))
        return _json({"labels": review.get("labels", {})})


def _split(data: bytes | None) -> list[str]:
    """A file's lines as Gerrit's DiffInfo gives them: split at line feeds."""
    return [] if data is None else data.decode("utf-8").split("\n")


def _common(lines: list[str], whole: bool, *, first: bool, last: bool) -> list[dict[str, Any]]:
    """Common lines: all of them, or some context and a `skip` for the rest."""
    if whole:
        return [{"ab": lines}]
    head = [] if first else lines[:DEFAULT_CONTEXT]
    tail = [] if last else lines[-DEFAULT_CONTEXT:]
    if len(head) + len(tail) >= len(lines):
        return [{"ab": lines}]
    middle = len(lines) - len(head) - len(tail)
    return [c for c in ({"ab": head} if head else None, {"skip": middle}, {"ab": tail} if tail else None) if c]


def _json(data: Any, status: int = 200) -> tuple[int, dict[str, str], bytes]:
    return status, {"Content-Type": "application/json; charset=UTF-8",
                    "Content-Disposition": "attachment"}, (PREFIX + json.dumps(data)).encode()


def _text(status: int, text: str) -> tuple[int, dict[str, str], bytes]:
    return status, {"Content-Type": "text/plain; charset=UTF-8"}, text.encode()


class _Handler(BaseHTTPRequestHandler):
    server_fake: FakeGerrit

    def _serve(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        request = Recorded(self.command, parts.path, parse_qs(parts.query, keep_blank_values=True),
                           {k.lower(): v for k, v in self.headers.items()}, body)
        status, headers, payload = self.server_fake.handle(request)
        try:
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test)

    do_GET = _serve
    do_POST = _serve

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass
