"""A small JSON client for code hosts (Gerrit, GitHub) over httpx.

Every failure becomes a `HostError` whose message says what went wrong in
words a user can act on, and never holds a credential: authorisation headers
are not echoed, user:password in a URL is dropped from every message, and
response bodies are quoted only in short, redacted excerpts.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

DEFAULT_TIMEOUT = 30.0
# Responses larger than this are refused (a host answering with gigabytes is broken).
MAX_RESPONSE_BYTES = 32 * 1024 * 1024


class HostError(Exception):
    """The code host could not be used; the message is safe to print."""


def strip_userinfo(url: str) -> str:
    """`url` without any user:password part."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "<invalid URL>"
    host = parts.hostname or ""
    if port:
        host = f"{host}:{port}"
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


_SECRETISH = re.compile(r"(?i)(authorization|token|password|secret)(\"?\s*[:=]\s*\"?)[^\s\",}]+")


def redact(text: str, secrets: tuple[str, ...] = ()) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return _SECRETISH.sub(r"\1\2***", text)


class HostClient:
    """GET and POST JSON against one host's REST API.

    `json_prefix` is stripped from every response body before parsing
    (Gerrit prefixes its JSON with `)]}'` against XSSI)."""

    def __init__(self, base_url: str, *, name: str, auth: httpx.Auth | tuple[str, str] | None = None,
                 headers: dict[str, str] | None = None, timeout: float = DEFAULT_TIMEOUT,
                 json_prefix: str = "", secrets: tuple[str, ...] = (),
                 transport: httpx.BaseTransport | None = None) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise HostError(f"{name}: {strip_userinfo(base_url)!r} is not an http(s) URL")
        if parts.username or parts.password:
            raise HostError(f"{name}: do not put credentials in the URL; use the environment or .netrc")
        self.name = name
        self.base_url = base_url.rstrip("/")
        self.json_prefix = json_prefix
        self.secrets = tuple(s for s in secrets if s)
        self._client = httpx.Client(auth=auth, headers=headers, timeout=timeout, follow_redirects=False,
                                    transport=transport, trust_env=False)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> "HostClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _url(self, path: str) -> str:
        return f"{self.base_url}/{path.lstrip('/')}"

    def request(self, method: str, path: str, *, params: dict[str, Any] | None = None,
                body: Any = None, accept: str = "application/json") -> httpx.Response:
        url = self._url(path)
        shown = strip_userinfo(url)
        try:
            response = self._client.request(method, url, params=params,
                                            json=body if body is not None else None,
                                            headers={"Accept": accept})
        except httpx.TimeoutException:
            raise HostError(f"{self.name}: {method} {shown} timed out") from None
        except httpx.HTTPError as exc:
            raise HostError(f"{self.name}: cannot reach {shown} ({type(exc).__name__}: "
                            f"{redact(str(exc), self.secrets)})") from None
        if len(response.content) > MAX_RESPONSE_BYTES:
            raise HostError(f"{self.name}: {method} {shown} answered {len(response.content)} bytes "
                            f"(more than {MAX_RESPONSE_BYTES})")
        if response.status_code >= 400:
            raise HostError(self._status_message(method, shown, response))
        if 300 <= response.status_code < 400:
            raise HostError(f"{self.name}: {method} {shown} redirected (HTTP {response.status_code}) to "
                            f"{strip_userinfo(response.headers.get('location', '?'))}; give the final URL")
        return response

    def _status_message(self, method: str, shown: str, response: httpx.Response) -> str:
        code = response.status_code
        excerpt = redact(response.text[:200].strip(), self.secrets).replace("\n", " ")
        detail = f": {excerpt}" if excerpt else ""
        if code in (403, 429) and response.headers.get("x-ratelimit-remaining") == "0":
            # GitHub's spent quota: 403 or 429, reset time in Unix seconds.
            return f"{self.name}: {method} {shown}: rate limited (HTTP {code}, no requests left){_wait(response)}"
        if code == 429:
            return f"{self.name}: {method} {shown}: rate limited (HTTP 429){_wait(response)}"
        if code in (401, 403):
            return (f"{self.name}: {method} {shown}: authentication failed or not allowed (HTTP {code}); "
                    f"check the credentials{detail}")
        if code == 404:
            return f"{self.name}: {method} {shown}: not found (HTTP 404){detail}"
        return f"{self.name}: {method} {shown}: HTTP {code}{detail}"

    def json(self, response: httpx.Response) -> Any:
        text = response.text
        if self.json_prefix:
            if not text.startswith(self.json_prefix):
                raise HostError(f"{self.name}: {strip_userinfo(str(response.url))}: response does not start "
                                f"with {self.json_prefix!r}; it is not the documented JSON")
            text = text[len(self.json_prefix):]
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise HostError(f"{self.name}: {strip_userinfo(str(response.url))}: response is not valid JSON "
                            f"({exc.msg} at position {exc.pos})") from None

    def get_json(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self.json(self.request("GET", path, params=params))

    def get_text(self, path: str, params: dict[str, Any] | None = None, accept: str = "text/plain") -> str:
        return self.request("GET", path, params=params, accept=accept).text

    def post_json(self, path: str, body: Any) -> Any:
        response = self.request("POST", path, body=body)
        if not response.content.strip():
            return None
        return self.json(response)


def _wait(response: httpx.Response) -> str:
    """When to try again, as the rate-limit headers say ("" when they do not)."""
    retry = response.headers.get("retry-after", "").strip()
    reset = response.headers.get("x-ratelimit-reset", "").strip()
    if retry:
        return f"; retry after {retry} s" if retry.isdigit() else f"; retry after {retry}"
    if reset.isdigit():
        return f"; the quota resets at {reset} (Unix time)"
    return ""


def expect(value: Any, kind: type | tuple[type, ...], what: str, host: str) -> Any:
    """`value` if it has the documented type, else HostError naming the field."""
    if not isinstance(value, kind):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise HostError(f"{host}: {what} is {type(value).__name__}, the documented API gives {names}")
    return value
