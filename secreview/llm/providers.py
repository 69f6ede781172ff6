"""Talking to a model: OpenAI-compatible servers through the official
`openai` client, and GGUF files in-process through `llama-cpp-python`.

A provider turns a list of chat messages and a JSON schema into a
`Completion`. Structured output is asked for in the strongest form the
provider supports: a strict JSON-schema response format (OpenAI, vLLM,
Ollama), else a JSON-object response format carrying the schema (the
llama-cpp-python server turns it into a grammar), else a plain JSON-object
response format, else the schema in the prompt only; a server that rejects a
form (HTTP 400 or 422 naming the response format) is asked with the next
one, and the provider remembers what worked.
With llama.cpp the schema becomes a grammar, so the answer is valid JSON by
construction.

Retries with backoff on rate limits (honouring Retry-After) and server
errors are the `openai` client's own (`max_retries`). Every failure is a
`ProviderError` whose message is safe to print: the key is redacted.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any, Protocol

from secreview.llm.spec import ModelSpec
from secreview.targets.http import redact

# How structured output is asked for, strongest first.
FORMATS = ("json_schema", "json_object+schema", "json_object", "prompt")


@dataclass
class Completion:
    text: str
    finish_reason: str = "stop"
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float | None = None  # when the provider reports it (OpenRouter's usage.cost, ...)
    cached: bool = False
    # The form of structured output the answer was asked in (FORMATS).
    format: str = "json_schema"


class ProviderError(Exception):
    """A call failed. `fatal`: no later call can succeed either (wrong key,
    unknown model, server unreachable), so the review stops asking."""

    def __init__(self, message: str, *, kind: str, fatal: bool = False):
        super().__init__(message)
        self.kind = kind
        self.fatal = fatal

    def __reduce__(self) -> tuple[Any, tuple[str, str, bool]]:
        # Crosses process boundaries intact (a call run as a Ray task).
        return _provider_error, (str(self), self.kind, self.fatal)


def _provider_error(message: str, kind: str, fatal: bool) -> ProviderError:
    return ProviderError(message, kind=kind, fatal=fatal)


@dataclass(frozen=True)
class CallSettings:
    temperature: float = 0.0
    seed: int | None = 0
    max_tokens: int = 2048


class Provider(Protocol):
    spec: ModelSpec

    def complete(self, messages: list[dict[str, str]], schema: dict[str, Any], name: str,
                 settings: CallSettings) -> Completion: ...

    def close(self) -> None: ...


class OpenAICompatible:
    """Any server that speaks OpenAI's chat completions API."""

    def __init__(self, spec: ModelSpec, *, timeout: float = 120.0, retries: int = 2) -> None:
        from openai import OpenAI

        self.spec = spec
        self._client = OpenAI(api_key=spec.api_key, base_url=spec.base_url, timeout=timeout,
                              max_retries=retries)
        self._format = 0  # index in FORMATS of the strongest form the server accepted
        self._lock = threading.Lock()

    def complete(self, messages: list[dict[str, str]], schema: dict[str, Any], name: str,
                 settings: CallSettings) -> Completion:
        import openai

        while True:
            form = FORMATS[self._format]
            try:
                response = self._client.chat.completions.create(
                    model=self.spec.model, messages=messages,  # type: ignore[arg-type]
                    temperature=settings.temperature, max_tokens=settings.max_tokens,
                    **({"seed": settings.seed} if settings.seed is not None else {}),
                    **_response_format(form, schema, name))
            except openai.APIStatusError as exc:
                # The llama-cpp-python server answers 500 to a response format it does not know.
                if exc.status_code in (400, 422, 500) and form != "prompt" and _about_response_format(exc):
                    with self._lock:
                        self._format = max(self._format, FORMATS.index(form) + 1)
                    continue
                raise self._error(exc) from None
            except openai.OpenAIError as exc:
                raise self._error(exc) from None
            except Exception as exc:  # garbage from a misbehaving server
                raise ProviderError(self._safe(f"unusable response from {self.spec.label}: "
                                               f"{type(exc).__name__}: {exc}"), kind="bad-response") from None
            return self._completion(response, form)

    def _completion(self, response: Any, form: str) -> Completion:
        choices = getattr(response, "choices", None)
        if not choices:
            raise ProviderError(f"{self.spec.label} answered without a choice", kind="bad-response")
        choice = choices[0]
        message = getattr(choice, "message", None)
        usage = getattr(response, "usage", None)
        extra = getattr(usage, "model_extra", None) or {}
        cost = extra.get("cost")
        return Completion(
            text=getattr(message, "content", None) or "",
            finish_reason=getattr(choice, "finish_reason", None) or "stop",
            prompt_tokens=int(getattr(usage, "prompt_tokens", 0) or 0),
            completion_tokens=int(getattr(usage, "completion_tokens", 0) or 0),
            cost=float(cost) if isinstance(cost, (int, float)) else None,
            format=form)

    def _error(self, exc: Exception) -> ProviderError:
        import openai

        label = self.spec.label
        detail = _message(exc)
        if isinstance(exc, (openai.AuthenticationError, openai.PermissionDeniedError)):
            return ProviderError(self._safe(f"{label} refused the key ({detail}); check the API key "
                                            "variable"), kind="auth", fatal=True)
        if isinstance(exc, openai.NotFoundError):
            return ProviderError(self._safe(f"{label}: model {self.spec.model!r} not found ({detail})"),
                                 kind="model", fatal=True)
        if isinstance(exc, openai.RateLimitError):
            return ProviderError(self._safe(f"{label} is rate limiting and retries ran out ({detail})"),
                                 kind="rate-limit")
        if isinstance(exc, openai.APITimeoutError):
            return ProviderError(f"{label} did not answer within the time limit", kind="timeout")
        if isinstance(exc, openai.APIConnectionError):
            return ProviderError(self._safe(f"cannot reach {label} ({detail})"), kind="unreachable", fatal=True)
        if isinstance(exc, openai.APIStatusError):
            kind = "server" if exc.status_code >= 500 else "bad-request"
            return ProviderError(self._safe(f"{label} answered HTTP {exc.status_code} ({detail})"), kind=kind)
        return ProviderError(self._safe(f"{label}: {type(exc).__name__}: {detail}"), kind="bad-response")

    def _safe(self, text: str) -> str:
        """One line, short, without the key (servers echo tracebacks and keys)."""
        text = " ".join(redact(text, self.spec.secrets).split())
        return text if len(text) <= 300 else text[:297] + "..."

    def close(self) -> None:
        self._client.close()


def _response_format(form: str, schema: dict[str, Any], name: str) -> dict[str, Any]:
    if form == "json_schema":
        return {"response_format": {"type": "json_schema",
                                    "json_schema": {"name": name, "strict": True, "schema": schema}}}
    if form == "json_object+schema":
        return {"response_format": {"type": "json_object", "schema": schema}}
    if form == "json_object":
        return {"response_format": {"type": "json_object"}}
    return {}


def _about_response_format(exc: Exception) -> bool:
    text = (_message(exc) + " " + str(getattr(exc, "body", ""))).lower()
    return any(word in text for word in ("response_format", "json_schema", "response format", "schema"))


def _message(exc: Exception) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and isinstance(inner.get("message"), str):
            return inner["message"]
        if isinstance(body.get("message"), str):
            return body["message"]
    return str(exc) or type(exc).__name__


# llama.cpp's own default (its server's too); llama-cpp-python's
# create_chat_completion defaults to none, and small models then loop.
REPEAT_PENALTY = 1.1


class LocalGGUF:
    """A GGUF model run in this process by llama-cpp-python. One call at a
    time (a llama.cpp context is not thread-safe); the schema becomes a
    grammar, so answers are valid JSON; the time limit is checked between
    generated tokens."""

    def __init__(self, spec: ModelSpec, *, timeout: float = 120.0, context: int = 8192,
                 threads: int | None = None) -> None:
        try:
            from llama_cpp import Llama
        except ImportError:
            raise ProviderError("gguf: llama-cpp-python is not installed; install secreview's `local` "
                                "extra: pip install 'secreview[local]'", kind="unavailable", fatal=True) from None
        self.spec = spec
        self.timeout = timeout
        self._lock = threading.Lock()
        try:
            self._llama = Llama(model_path=spec.model, n_ctx=context, n_threads=threads, verbose=False)
        except Exception as exc:  # a corrupt or foreign file
            raise ProviderError(f"gguf: cannot load {spec.model}: {exc}", kind="model", fatal=True) from None
        self.context = context

    def complete(self, messages: list[dict[str, str]], schema: dict[str, Any], name: str,
                 settings: CallSettings) -> Completion:
        deadline = time.monotonic() + self.timeout
        parts: list[str] = []
        finish = "stop"
        with self._lock:
            try:
                # Streamed, so the time limit is checked after every token:
                # leaving the loop stops the generation.
                for chunk in self._llama.create_chat_completion(
                        messages=messages, temperature=settings.temperature, seed=settings.seed,
                        max_tokens=settings.max_tokens, stream=True, repeat_penalty=REPEAT_PENALTY,
                        response_format={"type": "json_object", "schema": schema}):
                    choice = chunk["choices"][0]
                    parts.append(choice.get("delta", {}).get("content") or "")
                    finish = choice.get("finish_reason") or finish
                    if time.monotonic() > deadline:
                        raise ProviderError(f"{self.spec.label} did not finish within the time limit",
                                            kind="timeout")
            except ValueError as exc:  # a prompt longer than the context
                raise ProviderError(f"{self.spec.label}: {exc}", kind="bad-request") from None
            text = "".join(parts)
            prompt_tokens = sum(len(self._llama.tokenize(m["content"].encode("utf-8"), add_bos=False))
                                for m in messages)
            completion_tokens = len(self._llama.tokenize(text.encode("utf-8"), add_bos=False)) if text else 0
        return Completion(text=text, finish_reason=finish, prompt_tokens=prompt_tokens,
                          completion_tokens=completion_tokens, format="grammar")

    def close(self) -> None:
        with self._lock:
            close = getattr(self._llama, "close", None)
            if close is not None:
                close()


def open_provider(spec: ModelSpec, *, timeout: float = 120.0, retries: int = 2, ray_address: str | None = None,
                  remote: bool = False) -> Provider:
    """The provider for `spec`. `remote`: each call of an HTTP provider runs
    as a Ray task on the cluster (`--executor ray`); a GGUF model stays in
    this process, where it is loaded once."""
    if spec.kind == "gguf":
        return LocalGGUF(spec, timeout=timeout)
    if remote:
        return RayProvider(spec, timeout=timeout, retries=retries, address=ray_address)
    return OpenAICompatible(spec, timeout=timeout, retries=retries)


class RayProvider:
    """An OpenAI-compatible provider whose calls run as Ray tasks. The
    caller's threads each wait for their own task, so `--llm-jobs` calls run
    at once across the cluster; cache, budget and grounding stay here."""

    def __init__(self, spec: ModelSpec, *, timeout: float, retries: int, address: str | None) -> None:
        from secreview.executors import connect

        connect(address)
        self.spec, self.timeout, self.retries, self.address = spec, timeout, retries, address
        self._format = FORMATS[0]  # the strongest structured output the server took so far

    def complete(self, messages: list[dict[str, str]], schema: dict[str, Any], name: str,
                 settings: CallSettings) -> Completion:
        from secreview.executors import ray_map

        # The openai client retries inside the task; a task lost with its
        # node is run again by Ray once.
        completion = ray_map(_remote_call, [(self.spec, self.timeout, self.retries, self._format, messages, schema,
                                             name, settings)], retries=1, retry_exceptions=False,
                             address=self.address)[0]
        self._format = completion.format
        return completion

    def close(self) -> None:
        pass


def _remote_call(job: tuple[ModelSpec, float, int, str, list[dict[str, str]], dict[str, Any], str, CallSettings]
                 ) -> Completion:
    """One call, in a Ray worker, starting at the structured-output form
    earlier calls found the server takes."""
    spec, timeout, retries, form, messages, schema, name, settings = job
    provider = OpenAICompatible(spec, timeout=timeout, retries=retries)
    provider._format = FORMATS.index(form)
    try:
        return provider.complete(messages, schema, name, settings)
    finally:
        provider.close()
