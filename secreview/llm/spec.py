"""`--llm SPEC`: which model reviews the code, and where it runs.

    openai:MODEL               OpenAI, or any server named by OPENAI_BASE_URL; key from OPENAI_API_KEY
    ollama:MODEL               Ollama's OpenAI-compatible endpoint (OLLAMA_HOST, default 127.0.0.1:11434)
    http://HOST:PORT/v1#MODEL  any OpenAI-compatible server (vLLM, llama.cpp, LM Studio, a hosted
                               provider); key from SECREVIEW_LLM_API_KEY when the server needs one
    gguf:PATH                  a local GGUF file run in-process by llama-cpp-python (the `local` extra)

A key is read from the environment only, never from the command line (where
it would land in shell history and process listings), and a key meant for
one provider is never sent to another: OPENAI_API_KEY goes to `openai:` only.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Mapping
from urllib.parse import urlsplit

from secreview.targets.http import strip_userinfo

KINDS = ("openai", "ollama", "http", "gguf")
OLLAMA_DEFAULT = "127.0.0.1:11434"
# An OpenAI-compatible server without authentication still needs some key in
# the client; this one says so in the server's logs.
NO_KEY = "no-key"


class SpecError(ValueError):
    """`--llm` names no model secreview can use; the message says why."""


@dataclass(frozen=True)
class ModelSpec:
    kind: str  # one of KINDS
    model: str  # the model name the server knows, or the GGUF file's path
    base_url: str | None = None  # None: the client's default (api.openai.com) or in-process
    api_key: str = field(default=NO_KEY, repr=False)

    @property
    def label(self) -> str:
        """How reports name the model: never a key, never a password in a URL."""
        if self.kind == "http":
            return f"{strip_userinfo(self.base_url or '')}#{self.model}"
        if self.kind == "gguf":
            return f"gguf:{os.path.basename(self.model)}"
        return f"{self.kind}:{self.model}"

    @property
    def secrets(self) -> tuple[str, ...]:
        """What must never appear in output."""
        return (self.api_key,) if self.api_key != NO_KEY else ()


def parse_spec(text: str, env: Mapping[str, str] | None = None) -> ModelSpec:
    env = os.environ if env is None else env
    text = text.strip()
    if text.startswith(("http://", "https://")):
        return _http(text, env)
    kind, sep, rest = text.partition(":")
    if not sep or kind not in ("openai", "ollama", "gguf") or not rest.strip():
        raise SpecError(f"{text!r} names no model: use openai:MODEL, ollama:MODEL, "
                        "http://HOST:PORT/v1#MODEL or gguf:PATH")
    rest = rest.strip()
    if kind == "openai":
        key = env.get("OPENAI_API_KEY", "").strip()
        base = env.get("OPENAI_BASE_URL", "").strip() or None
        if not key:
            raise SpecError("openai: set OPENAI_API_KEY in the environment (it is never read from the "
                            "command line); for a server that needs no key use http://HOST:PORT/v1#MODEL")
        return ModelSpec("openai", rest, base, key)
    if kind == "ollama":
        host = env.get("OLLAMA_HOST", "").strip() or OLLAMA_DEFAULT
        if not host.startswith(("http://", "https://")):
            host = f"http://{host}"
        return ModelSpec("ollama", rest, host.rstrip("/") + "/v1", NO_KEY)
    path = os.path.expanduser(rest)
    if not os.path.isfile(path):
        raise SpecError(f"gguf: {rest}: no such file")
    return ModelSpec("gguf", os.path.abspath(path))


def _http(text: str, env: Mapping[str, str]) -> ModelSpec:
    url, sep, model = text.partition("#")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        raise SpecError(f"{parts.scheme}://{parts.hostname or ''}...: the port is not a number") from None
    if not sep or not model.strip():
        raise SpecError(f"{strip_userinfo(url)}: name the model after '#', e.g. http://127.0.0.1:8000/v1#qwen2.5-coder")
    if not parts.hostname:
        raise SpecError(f"{strip_userinfo(url)}: no host in the URL")
    if parts.username or parts.password:
        raise SpecError("put no credentials in the URL; set SECREVIEW_LLM_API_KEY instead")
    key = env.get("SECREVIEW_LLM_API_KEY", "").strip() or NO_KEY
    return ModelSpec("http", model.strip(), url.rstrip("/"), key)
