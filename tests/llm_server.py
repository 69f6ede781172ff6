"""A fake OpenAI-compatible API on loopback, for the LLM reviewer tests.

It answers the two endpoints the reviewer uses, shaped as the OpenAI REST API
documents them, so that the official `openai` Python client works against it:

- POST /v1/chat/completions
  https://platform.openai.com/docs/api-reference/chat/create and
  https://platform.openai.com/docs/api-reference/chat/object: a
  `chat.completion` object with `id`, `object`, `created`, `model`, `choices`
  [{`index`, `message` {`role`: "assistant", `content`}, `finish_reason`,
  `logprobs`: null}] and `usage` {`prompt_tokens`, `completion_tokens`,
  `total_tokens`}; extra usage keys a provider adds (OpenRouter's `cost`) are
  passed through.
- GET /v1/models
  https://platform.openai.com/docs/api-reference/models/list:
  {"object": "list", "data": [{"id", "object": "model", "created", "owned_by"}]}.

Errors use the documented envelope {"error": {"message", "type", "param",
"code"}} with the type and code OpenAI sends for each status (a wrong key is
401 `invalid_request_error`/`invalid_api_key`, an unknown model 404
`model_not_found`, a rate limit 429 `requests`/`rate_limit_exceeded`,
https://platform.openai.com/docs/guides/error-codes).

Answers are scripted: a queue of `Reply` objects (or a function of the
request JSON). When the queue runs dry the server answers 500 "the test
script ran out of replies", so a test that makes more calls than it planned
fails loudly. A request with `n` > 1 takes n replies from the queue, one per
choice (see `OpenAIServer._answer`).

Retries: the openai client retries 408, 409, 429 and >= 500, and waits what
`retry-after-ms` (milliseconds) or `retry-after` (seconds) says when that is
above 0 and at most 60 s; otherwise it backs off from 0.5 s. Put
{"retry-after-ms": "1"} on a scripted error for a near-instant retry
({"retry-after": "0"} falls back to the 0.5 s back-off). `x-should-retry`
("true"/"false") overrides the client's choice.

Every request is recorded as {"method", "path", "headers", "json"} with
lower-case header names; `json` is None when the body is not JSON.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Iterable
from urllib.parse import urlsplit

CREATED = 1_700_000_000  # a fixed Unix time for `created`, so bodies compare exactly
OUT_OF_REPLIES = "the test script ran out of replies"
NO_STREAMING = "streaming not supported by the test server"

# status -> (error type, error code), as OpenAI's API sends them.
# Other 4xx: invalid_request_error without a code; 5xx: server_error without a code.
ERROR_KINDS: dict[int, tuple[str, str | None]] = {
    401: ("invalid_request_error", "invalid_api_key"),
    404: ("invalid_request_error", "model_not_found"),
    429: ("requests", "rate_limit_exceeded"),
}
USUAL = "usual code for the status"  # marker: take the code from ERROR_KINDS

Answer = tuple[int, dict[str, str], bytes]


@dataclass
class Reply:
    """One scripted answer to a chat completion request."""

    content: str | None = None  # the assistant message content
    status: int = 200
    finish_reason: str = "stop"  # "length" for truncated answers
    usage: dict[str, Any] | None = None  # merged over the computed token counts
    delay: float = 0.0  # seconds to wait before answering (a slow model)
    headers: dict[str, str] = field(default_factory=dict)  # sent with the answer, e.g. retry-after
    error: str | None = None  # for status >= 400: the error message
    raw: bytes | None = None  # send exactly these bytes as the body
    hold: Callable[[], object] | None = None  # called (outside the server's lock) before answering


ReplySource = Callable[[dict[str, Any]], Reply]


def tokens(text: str) -> int:
    """The fake tokenizer: four characters a token, at least one."""
    return max(1, len(text) // 4)


def prompt_text(body: dict[str, Any]) -> str:
    """All message text of a request (string contents and text parts)."""
    texts: list[str] = []
    for message in body.get("messages") or []:
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, str):
            texts.append(content)
        elif isinstance(content, list):
            texts += [part.get("text", "") for part in content if isinstance(part, dict)]
    return "\n".join(texts)


def error_kind(status: int) -> tuple[str, str | None]:
    """The error type and code OpenAI sends with a status."""
    return ERROR_KINDS.get(status, ("server_error", None) if status >= 500 else ("invalid_request_error", None))


def error_body(status: int, message: str, *, code: str | None = USUAL, param: str | None = None) -> bytes:
    """The documented error envelope for a status."""
    kind, usual_code = error_kind(status)
    return json.dumps({"error": {"message": message, "type": kind, "param": param,
                                 "code": usual_code if code == USUAL else code}}).encode()


def _json_answer(status: int, body: bytes, headers: dict[str, str] | None = None) -> Answer:
    return status, {"Content-Type": "application/json", **(headers or {})}, body


def _error(status: int, message: str, *, code: str | None = USUAL, param: str | None = None,
           headers: dict[str, str] | None = None) -> Answer:
    return _json_answer(status, error_body(status, message, code=code, param=param), headers)


class OpenAIServer:
    """The fake API. Use as a context manager; `base_url` ends in /v1."""

    def __init__(self, replies: Iterable[Reply] | ReplySource | None = None, *,
                 models: Iterable[str] = ("test-model",), api_key: str = "sk-test-123") -> None:
        self.api_key = api_key
        self.models: list[str] = list(models)
        self.requests: list[dict[str, Any]] = []
        self._source: ReplySource | None = replies if callable(replies) else None
        self._queue: deque[Reply] = deque() if callable(replies) else deque(replies or ())
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- set-up -----------------------------------------------------------
    def push(self, *replies: Reply) -> None:
        """Queue more scripted replies."""
        with self._lock:
            self._queue.extend(replies)

    @property
    def remaining(self) -> int:
        """Scripted replies not yet used."""
        with self._lock:
            return len(self._queue)

    @property
    def base_url(self) -> str:
        assert self._server is not None, "the server is not running"
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def completions(self) -> list[dict[str, Any]]:
        """The recorded chat completion requests."""
        with self._lock:
            return [r for r in self.requests if r["method"] == "POST" and r["path"] == "/v1/chat/completions"]

    # -- life cycle -------------------------------------------------------
    def __enter__(self) -> "OpenAIServer":
        fake = self

        class Handler(_Handler):
            server_fake = fake

        self._server = _Server(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stopping.set()  # cut short any scripted delay
        assert self._server is not None and self._thread is not None
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    # -- answering --------------------------------------------------------
    def handle(self, method: str, path: str, headers: dict[str, str], raw: bytes) -> Answer:
        body = _parse(raw)
        with self._lock:
            self.requests.append({"method": method, "path": path, "headers": headers,
                                  "json": body if isinstance(body, dict) else None})
        refusal = self._check_auth(headers.get("authorization", ""))
        if refusal is not None:
            return refusal
        if (method, path) == ("GET", "/v1/models"):
            return _json_answer(200, json.dumps(self._model_list()).encode())
        if (method, path) == ("POST", "/v1/chat/completions"):
            return self._chat(body)
        return _error(404, f"Invalid URL ({method} {path})", code=None)

    def _check_auth(self, header: str) -> Answer | None:
        if not header.startswith("Bearer "):
            return _error(401, "You didn't provide an API key. You need to provide your API key in an "
                               "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).")
        given = header[len("Bearer "):]
        if given != self.api_key:
            return _error(401, f"Incorrect API key provided: {_masked(given)}.")
        return None

    def _model_list(self) -> dict[str, Any]:
        return {"object": "list",
                "data": [{"id": model, "object": "model", "created": CREATED, "owned_by": "secreview-tests"}
                         for model in self.models]}

    def _chat(self, body: Any) -> Answer:
        if not isinstance(body, dict):
            return _error(400, "We could not parse the JSON body of your request. The OpenAI API expects "
                               "a JSON payload.")
        model = body.get("model")
        if not isinstance(model, str) or not model:
            return _error(400, "you must provide a model parameter", param="model")
        if model not in self.models:
            return _error(404, f"The model `{model}` does not exist or you do not have access to it.")
        if not isinstance(body.get("messages"), list) or not body["messages"]:
            return _error(400, "Missing required parameter: 'messages'.", param="messages")
        if body.get("stream"):
            return _error(400, NO_STREAMING, param="stream")
        n = 1 if body.get("n") is None else body["n"]  # nullable, default 1
        if not isinstance(n, int) or isinstance(n, bool) or n < 1:
            return _error(400, f"{n!r} is less than the minimum of 1 - 'n'", param="n")
        return self._answer(body, n)

    def _answer(self, body: dict[str, Any], n: int) -> Answer:
        """The answer to a valid request. With n > 1 the first reply decides the
        outcome: an error or raw reply is sent alone and is the only one used;
        a 200 reply takes n - 1 more, each giving one more choice (all must be
        plain 200 replies), with the first one's delay, headers and usage extras."""
        first = self._next(body)
        if isinstance(first, str):
            return _error(500, first)
        if first.hold is not None:
            try:
                first.hold()
            except Exception as exc:  # e.g. a broken barrier: say so in the answer
                return _error(500, f"the reply's hold raised {type(exc).__name__}: {exc}")
        if first.delay:
            self._stopping.wait(first.delay)
        if first.raw is not None:
            return _json_answer(first.status, first.raw, first.headers)
        if first.status >= 400:
            return _error(first.status, first.error or f"scripted error {first.status}", headers=first.headers)
        replies = [first]
        for index in range(1, n):
            more = self._next(body)
            if isinstance(more, str):
                return _error(500, f"{more} (choice {index} of n={n})")
            if more.status != 200 or more.raw is not None:
                return _error(500, f"scripted reply for choice {index} of n={n} must be a plain 200 answer")
            replies.append(more)
        return _json_answer(200, json.dumps(completion(body, replies)).encode(), first.headers)

    def _next(self, body: dict[str, Any]) -> Reply | str:
        """The next scripted reply, or why there is none."""
        with self._lock:
            if self._source is None:
                return self._queue.popleft() if self._queue else OUT_OF_REPLIES
            try:
                return self._source(body)
            except Exception as exc:  # the test's reply function is broken: say so in the answer
                return f"the reply function raised {type(exc).__name__}: {exc}"


def completion(body: dict[str, Any], replies: list[Reply]) -> dict[str, Any]:
    """The `chat.completion` object for a request, one choice per reply."""
    completion_tokens = sum(tokens(reply.content or "") for reply in replies)
    prompt_tokens = tokens(prompt_text(body))
    usage = {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
             "total_tokens": prompt_tokens + completion_tokens, **(replies[0].usage or {})}
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
        "object": "chat.completion",
        "created": CREATED,
        "model": body["model"],
        "choices": [{"index": index, "message": {"role": "assistant", "content": reply.content},
                     "finish_reason": reply.finish_reason, "logprobs": None}
                    for index, reply in enumerate(replies)],
        "usage": usage,
    }


def _parse(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return None


def _masked(key: str) -> str:
    """A key as OpenAI echoes it: the first and last four characters."""
    return key if len(key) <= 8 else f"{key[:4]}{'*' * (len(key) - 8)}{key[-4:]}"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # The default listen backlog of 5 drops connections when the reviewer's
    # workers all connect at once; the client then waits a second to retry.
    request_queue_size = 128


class _Handler(BaseHTTPRequestHandler):
    server_fake: OpenAIServer

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        headers = {key.lower(): value for key, value in self.headers.items()}
        status, answer_headers, payload = self.server_fake.handle(self.command, urlsplit(self.path).path,
                                                                  headers, raw)
        try:
            self.send_response(status)
            for key, value in {"x-request-id": f"req_{uuid.uuid4().hex}", **answer_headers}.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test)

    do_GET = _serve
    do_POST = _serve
    do_PUT = _serve
    do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass
