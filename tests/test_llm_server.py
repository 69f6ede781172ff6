"""The fake OpenAI API (tests/llm_server.py) checked over plain HTTP with httpx:
the LLM reviewer's tests rely on it answering exactly as documented."""

from __future__ import annotations

import re
import threading
import time
from typing import Any

import httpx
import pytest

from llm_server import NO_STREAMING, OUT_OF_REPLIES, OpenAIServer, Reply

KEY = "sk-test-123"
AUTH = {"Authorization": f"Bearer {KEY}"}
# 40 characters of prompt: 10 fake tokens.
MESSAGES = [{"role": "system", "content": "You review code."}, {"role": "user", "content": "x" * 23}]
# One client for the module: building one per call costs more than the calls.
HTTP = httpx.Client()


def chat(server: OpenAIServer, *, headers: dict[str, str] | None = None, timeout: float = 5.0,
         **body: Any) -> httpx.Response:
    payload = {"model": "test-model", "messages": MESSAGES, **body}
    return HTTP.post(f"{server.base_url}/chat/completions", json=payload,
                      headers=AUTH if headers is None else headers, timeout=timeout)


def error(message: str, kind: str, code: str | None, param: str | None = None) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


def test_wrong_key_is_refused_without_using_a_reply() -> None:
    with OpenAIServer([Reply("unused")]) as server:
        response = chat(server, headers={"Authorization": "Bearer sk-wrong-key-999"})
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/json"
        assert response.json() == error("Incorrect API key provided: sk-w********-999.", "invalid_request_error",
                                        "invalid_api_key")
        assert server.remaining == 1


def test_missing_key_is_refused() -> None:
    with OpenAIServer([Reply("unused")]) as server:
        response = chat(server, headers={})
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "invalid_api_key"
        assert response.json()["error"]["message"].startswith("You didn't provide an API key.")
        assert server.remaining == 1


def test_unknown_model_is_404_model_not_found() -> None:
    with OpenAIServer([Reply("unused")], models=["qwen2.5-coder"]) as server:
        response = chat(server, model="gpt-4o")
        assert response.status_code == 404
        assert response.json() == error("The model `gpt-4o` does not exist or you do not have access to it.",
                                        "invalid_request_error", "model_not_found")
        assert server.remaining == 1


def test_scripted_answer_has_the_documented_shape() -> None:
    with OpenAIServer([Reply('{"findings": []}')]) as server:
        response = chat(server, temperature=0)
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
        assert re.fullmatch(r"req_[0-9a-f]{32}", response.headers["x-request-id"])
        body = response.json()
        assert re.fullmatch(r"chatcmpl-[0-9a-f]{24}", body.pop("id"))
        assert body == {
            "object": "chat.completion",
            "created": 1_700_000_000,
            "model": "test-model",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": '{"findings": []}'},
                         "finish_reason": "stop", "logprobs": None}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 4, "total_tokens": 14},
        }
        assert server.remaining == 0


def test_each_answer_has_its_own_id() -> None:
    with OpenAIServer([Reply("a"), Reply("b")]) as server:
        assert chat(server).json()["id"] != chat(server).json()["id"]


def test_truncated_answer_and_empty_content() -> None:
    with OpenAIServer([Reply('{"findings": [{"li', finish_reason="length"), Reply(None)]) as server:
        first = chat(server).json()
        assert first["choices"][0]["finish_reason"] == "length"
        assert first["choices"][0]["message"]["content"] == '{"findings": [{"li'
        second = chat(server).json()
        assert second["choices"][0]["message"] == {"role": "assistant", "content": None}
        assert second["usage"] == {"prompt_tokens": 10, "completion_tokens": 1, "total_tokens": 11}


def test_usage_extras_pass_through_and_given_counts_win() -> None:
    with OpenAIServer([Reply("ok", usage={"cost": 0.0012}),
                       Reply("ok", usage={"prompt_tokens": 1000, "completion_tokens": 200, "total_tokens": 1200})]) \
            as server:
        assert chat(server).json()["usage"] == {"prompt_tokens": 10, "completion_tokens": 1, "total_tokens": 11,
                                                "cost": 0.0012}
        assert chat(server).json()["usage"] == {"prompt_tokens": 1000, "completion_tokens": 200, "total_tokens": 1200}


def test_prompt_tokens_count_text_parts() -> None:
    parts = [{"role": "user", "content": [{"type": "text", "text": "y" * 40}, {"type": "text", "text": "z" * 39}]}]
    with OpenAIServer([Reply("ok")]) as server:
        # 40 + newline + 39 = 80 characters: 20 tokens.
        assert chat(server, messages=parts).json()["usage"]["prompt_tokens"] == 20


def test_rate_limit_with_retry_after() -> None:
    with OpenAIServer([Reply(status=429, headers={"retry-after": "0"}, error="Rate limit reached for test-model"),
                       Reply("after the limit")]) as server:
        limited = chat(server)
        assert limited.status_code == 429
        assert limited.headers["retry-after"] == "0"
        assert limited.json() == error("Rate limit reached for test-model", "requests", "rate_limit_exceeded")
        assert chat(server).json()["choices"][0]["message"]["content"] == "after the limit"


def test_server_errors_keep_their_headers() -> None:
    with OpenAIServer([Reply(status=503, headers={"retry-after-ms": "1", "x-should-retry": "true"}),
                       Reply(status=500, error="The server had an error while processing your request.")]) as server:
        unavailable = chat(server)
        assert unavailable.status_code == 503
        assert unavailable.headers["retry-after-ms"] == "1"
        assert unavailable.headers["x-should-retry"] == "true"
        assert unavailable.json() == error("scripted error 503", "server_error", None)
        assert chat(server).json() == error("The server had an error while processing your request.",
                                            "server_error", None)


def test_other_client_errors_are_invalid_request_errors() -> None:
    with OpenAIServer([Reply(status=400, error="This model's maximum context length is 8192 tokens.")]) as server:
        response = chat(server)
        assert response.status_code == 400
        assert response.json() == error("This model's maximum context length is 8192 tokens.",
                                        "invalid_request_error", None)


def test_raw_bytes_are_sent_as_they_are() -> None:
    garbage = b"<html>502 Bad Gateway</html>\x00\xff{"
    with OpenAIServer([Reply(raw=garbage), Reply(raw=b"", status=502)]) as server:
        response = chat(server)
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
        assert response.content == garbage
        with pytest.raises(ValueError):
            response.json()
        empty = chat(server)
        assert (empty.status_code, empty.content) == (502, b"")


def test_delay_makes_a_slow_model() -> None:
    with OpenAIServer([Reply("slow", delay=0.5), Reply("late", delay=2.0), Reply("next")]) as server:
        start = time.monotonic()
        assert chat(server).json()["choices"][0]["message"]["content"] == "slow"
        assert time.monotonic() - start >= 0.5
        with pytest.raises(httpx.ReadTimeout):
            chat(server, timeout=0.3)
        # The timed-out request used its reply; the server goes on answering.
        assert chat(server).json()["choices"][0]["message"]["content"] == "next"


def test_leaving_the_context_cuts_a_delay_short() -> None:
    answers: list[str] = []

    def call(server: OpenAIServer) -> None:
        answers.append(chat(server, timeout=10).json()["choices"][0]["message"]["content"])

    start = time.monotonic()
    with OpenAIServer([Reply("never", delay=30)]) as server:
        worker = threading.Thread(target=call, args=(server,))
        worker.start()
        while not server.requests:
            time.sleep(0.01)
    worker.join(timeout=5)
    assert not worker.is_alive()
    assert time.monotonic() - start < 5
    assert answers == ["never"]  # the delay was cut short, not the answer


def test_running_out_of_replies_is_a_loud_500() -> None:
    with OpenAIServer([Reply("only one")]) as server:
        assert chat(server).status_code == 200
        response = chat(server)
        assert response.status_code == 500
        assert response.json() == error(OUT_OF_REPLIES, "server_error", None)


def test_no_script_answers_500() -> None:
    with OpenAIServer() as server:
        assert chat(server).json() == error(OUT_OF_REPLIES, "server_error", None)


def test_push_queues_more_replies() -> None:
    with OpenAIServer() as server:
        server.push(Reply("one"), Reply("two"))
        assert [chat(server).json()["choices"][0]["message"]["content"] for _ in range(2)] == ["one", "two"]


def test_concurrent_requests_are_each_served_exactly_once() -> None:
    count = 32
    # Every request waits inside the server until all of them have arrived: served one after
    # another, the first would wait for the others in vain and the barrier would break.
    barrier = threading.Barrier(count, timeout=20)
    with OpenAIServer([Reply(f"answer {i}", hold=barrier.wait) for i in range(count)]) as server:
        answers: list[str] = []
        lock = threading.Lock()

        def call() -> None:
            response = chat(server, timeout=30)
            with lock:
                answers.append(response.json()["choices"][0]["message"]["content"])

        threads = [threading.Thread(target=call) for _ in range(count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=40)
        assert not barrier.broken
        assert sorted(answers) == sorted(f"answer {i}" for i in range(count))
        assert server.remaining == 0
        assert len(server.completions()) == count


def test_models_listing() -> None:
    with OpenAIServer(models=["test-model", "qwen2.5-coder:7b"]) as server:
        response = HTTP.get(f"{server.base_url}/models", headers=AUTH)
        assert response.status_code == 200
        assert response.json() == {"object": "list", "data": [
            {"id": "test-model", "object": "model", "created": 1_700_000_000, "owned_by": "secreview-tests"},
            {"id": "qwen2.5-coder:7b", "object": "model", "created": 1_700_000_000, "owned_by": "secreview-tests"},
        ]}
        assert HTTP.get(f"{server.base_url}/models").status_code == 401


def test_streaming_is_refused() -> None:
    with OpenAIServer([Reply("unused")]) as server:
        response = chat(server, stream=True)
        assert response.status_code == 400
        assert response.json() == error(NO_STREAMING, "invalid_request_error", None, param="stream")
        assert server.remaining == 1


def test_bad_requests() -> None:
    with OpenAIServer([Reply("unused")]) as server:
        no_model = HTTP.post(f"{server.base_url}/chat/completions", json={"messages": MESSAGES}, headers=AUTH)
        assert no_model.json() == error("you must provide a model parameter", "invalid_request_error", None,
                                        param="model")
        assert chat(server, messages=[]).json()["error"]["param"] == "messages"
        not_json = HTTP.post(f"{server.base_url}/chat/completions", content=b"{nope", headers=AUTH)
        assert not_json.status_code == 400
        assert not_json.json()["error"]["type"] == "invalid_request_error"
        assert chat(server, n=0).json() == error("0 is less than the minimum of 1 - 'n'", "invalid_request_error",
                                                 None, param="n")
        assert server.remaining == 1


def test_unknown_url() -> None:
    with OpenAIServer() as server:
        response = HTTP.post(f"{server.base_url}/completion", json={}, headers=AUTH)
        assert response.status_code == 404
        assert response.json() == error("Invalid URL (POST /v1/completion)", "invalid_request_error", None)


def test_n_choices_take_one_reply_each() -> None:
    with OpenAIServer([Reply("first"), Reply("second", finish_reason="length"), Reply("third")]) as server:
        body = chat(server, n=2).json()
        assert [(c["index"], c["message"]["content"], c["finish_reason"]) for c in body["choices"]] == \
            [(0, "first", "stop"), (1, "second", "length")]
        assert body["usage"] == {"prompt_tokens": 10, "completion_tokens": 2, "total_tokens": 12}
        assert server.remaining == 1
        # One reply left for two choices: the script ran out.
        short = chat(server, n=2)
        assert short.status_code == 500
        assert short.json()["error"]["message"] == f"{OUT_OF_REPLIES} (choice 1 of n=2)"


def test_n_null_means_one_choice() -> None:
    with OpenAIServer([Reply("one"), Reply("two")]) as server:
        assert len(chat(server, n=None).json()["choices"]) == 1
        assert server.remaining == 1


def test_n_choices_with_an_error_first_use_only_that_reply() -> None:
    with OpenAIServer([Reply(status=429, error="slow down"), Reply("a"), Reply("b")]) as server:
        assert chat(server, n=2).status_code == 429
        assert server.remaining == 2
        assert [c["message"]["content"] for c in chat(server, n=2).json()["choices"]] == ["a", "b"]


def test_reply_function_sees_the_request() -> None:
    seen: list[dict[str, Any]] = []

    def answer(body: dict[str, Any]) -> Reply:
        seen.append(body)
        return Reply(f"{len(body['messages'])} messages for {body['model']}")

    with OpenAIServer(answer) as server:
        assert chat(server).json()["choices"][0]["message"]["content"] == "2 messages for test-model"
        assert seen == [{"model": "test-model", "messages": MESSAGES}]


def test_broken_reply_function_says_so() -> None:
    def answer(body: dict[str, Any]) -> Reply:
        raise KeyError("response_format")

    with OpenAIServer(answer) as server:
        response = chat(server)
        assert response.status_code == 500
        assert response.json()["error"]["message"] == "the reply function raised KeyError: 'response_format'"


def test_requests_are_recorded() -> None:
    with OpenAIServer([Reply("ok")]) as server:
        chat(server, headers={**AUTH, "X-Title": "secreview"}, response_format={"type": "json_object"})
        HTTP.get(f"{server.base_url}/models", headers=AUTH)
        first, second = server.requests
        assert (first["method"], first["path"]) == ("POST", "/v1/chat/completions")
        assert first["headers"]["authorization"] == f"Bearer {KEY}"
        assert first["headers"]["x-title"] == "secreview"
        assert first["json"] == {"model": "test-model", "messages": MESSAGES,
                                 "response_format": {"type": "json_object"}}
        assert (second["method"], second["path"], second["json"]) == ("GET", "/v1/models", None)
        assert server.base_url.startswith("http://127.0.0.1:") and server.base_url.endswith("/v1")
