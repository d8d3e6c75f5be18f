"""The fake Messages API, driven by the real anthropic SDK over HTTP on 127.0.0.1."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import anthropic
import pytest

from devtools.fake_anthropic import (
    FakeAnthropic,
    ScriptedReply,
    delayed,
    error_reply,
    text_reply,
    tool_use_reply,
)

MODEL = "claude-haiku-4-5"  # not on the SDK's deprecated list, which warns on every call
RAG_TOOL = {
    "name": "rag_search",
    "description": "Search the company's knowledge base.",
    "input_schema": {"type": "object", "properties": {"query": {"type": "string"}}, "required": ["query"]},
}


@pytest.fixture
def fake() -> Iterator[FakeAnthropic]:
    with FakeAnthropic() as server:
        yield server


def _client(fake: FakeAnthropic, *, max_retries: int = 0, timeout: float = 5.0, **kwargs: Any):
    options = {"api_key": fake.api_key, **kwargs}
    return anthropic.Anthropic(base_url=fake.base_url, max_retries=max_retries, timeout=timeout, **options)


def _ask(client: anthropic.Anthropic, text: str = "How do refunds work?", **kwargs: Any):
    return client.messages.create(
        model=MODEL, max_tokens=256, messages=[{"role": "user", "content": text}], **kwargs
    )


def test_scripted_text_reply_is_parsed_and_the_request_recorded(fake: FakeAnthropic) -> None:
    fake.script(text_reply("Refunds take 5 days.", input_tokens=42, output_tokens=7))
    message = _ask(_client(fake), system="You are Buzzi.", tools=[RAG_TOOL])

    assert isinstance(message, anthropic.types.Message)
    assert message.id.startswith("msg_") and message.role == "assistant"
    assert [block.type for block in message.content] == ["text"]
    assert message.content[0].text == "Refunds take 5 days."
    assert message.stop_reason == "end_turn" and message.stop_sequence is None
    assert (message.usage.input_tokens, message.usage.output_tokens) == (42, 7)
    assert message.model == MODEL  # echoed from the request
    assert message._request_id and message._request_id.startswith("req_")

    [request] = fake.requests
    assert (request.method, request.path) == ("POST", "/v1/messages")
    assert request.headers["authorization"] == f"Bearer {fake.api_key}"
    assert "anthropic-version" in request.headers
    assert request.body["model"] == MODEL
    assert request.body["system"] == "You are Buzzi."
    assert request.body["messages"] == [{"role": "user", "content": "How do refunds work?"}]
    assert request.body["tools"] == [RAG_TOOL]
    assert fake.pending == 0


def test_default_token_counts_are_estimated_from_sizes(fake: FakeAnthropic) -> None:
    fake.script(text_reply("x" * 400), text_reply("short", model="claude-other"))
    client = _client(fake)
    long = _ask(client, "q" * 4000)
    short = _ask(client, "q")
    assert long.usage.output_tokens == 100 and short.usage.output_tokens == 1
    assert long.usage.input_tokens > 900 > short.usage.input_tokens > 0
    assert short.model == "claude-other"


def test_tool_use_round_trip(fake: FakeAnthropic) -> None:
    fake.script(
        tool_use_reply("rag_search", {"query": "refund policy"}, text="Let me look that up."),
        text_reply("Refunds take 5 days [1]."),
    )
    client = _client(fake)
    messages: list[dict[str, Any]] = [{"role": "user", "content": "How do refunds work?"}]

    first = client.messages.create(model=MODEL, max_tokens=256, messages=messages, tools=[RAG_TOOL])
    assert first.stop_reason == "tool_use"
    assert [block.type for block in first.content] == ["text", "tool_use"]
    call = first.content[1]
    assert call.name == "rag_search" and call.input == {"query": "refund policy"}
    assert call.id.startswith("toolu_")

    messages += [
        {"role": "assistant", "content": [block.model_dump(exclude_none=True) for block in first.content]},
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": call.id, "content": "Refunds: 5 days."}],
        },
    ]
    final = client.messages.create(model=MODEL, max_tokens=256, messages=messages, tools=[RAG_TOOL])
    assert final.stop_reason == "end_turn" and final.content[0].text == "Refunds take 5 days [1]."

    assert len(fake.requests) == 2
    sent = fake.requests[1].body["messages"]
    assert sent[1]["content"][1] == {
        "type": "tool_use",
        "id": call.id,
        "name": "rag_search",
        "input": {"query": "refund policy"},
    }
    [result] = sent[2]["content"]
    assert result["type"] == "tool_result" and result["tool_use_id"] == call.id


def test_a_fixed_tool_use_id_is_kept(fake: FakeAnthropic) -> None:
    fake.script(tool_use_reply("rag_search", {"query": "x"}, tool_use_id="toolu_fixed"))
    message = _ask(_client(fake))
    assert [block.type for block in message.content] == ["tool_use"]
    assert message.content[0].id == "toolu_fixed"


def test_overloaded_then_success_is_retried_by_the_sdk(fake: FakeAnthropic) -> None:
    # The SDK only honours a positive retry-after(-ms); "retry-after: 0" falls back to 0.5 s+ backoff.
    fake.script(
        error_reply(529, "overloaded_error", "Overloaded", headers={"retry-after-ms": "1"}),
        text_reply("Back again."),
    )
    started = time.perf_counter()
    message = _ask(_client(fake, max_retries=2))
    assert message.content[0].text == "Back again."
    assert time.perf_counter() - started < 0.4
    first, second = fake.requests
    assert first.headers["x-stainless-retry-count"] == "0"
    assert second.headers["x-stainless-retry-count"] == "1"
    assert first.body == second.body


def test_errors_surface_as_sdk_exceptions_with_anthropics_shape(fake: FakeAnthropic) -> None:
    fake.script(
        error_reply(429, "rate_limit_error", "Slow down", headers={"retry-after": "7"}),
        error_reply(529, "overloaded_error", "Overloaded"),
    )
    client = _client(fake)
    with pytest.raises(anthropic.RateLimitError) as limited:
        _ask(client)
    assert limited.value.response.headers["retry-after"] == "7"
    assert limited.value.body == {
        "type": "error",
        "error": {"type": "rate_limit_error", "message": "Slow down"},
    }
    assert limited.value.request_id and limited.value.request_id.startswith("req_")
    with pytest.raises(anthropic.OverloadedError):
        _ask(client)


def test_a_reply_slower_than_the_client_timeout_times_out(fake: FakeAnthropic) -> None:
    fake.script(delayed(1.0, text_reply("too late")))
    started = time.perf_counter()
    with pytest.raises(anthropic.APITimeoutError):
        _ask(_client(fake, timeout=0.3))
    assert time.perf_counter() - started < 0.9
    assert len(fake.requests) == 1
    fake.stop()  # must not wait for the handler still sleeping on the delayed reply
    assert time.perf_counter() - started < 0.9


def test_a_wrong_key_is_rejected(fake: FakeAnthropic) -> None:
    fake.script(text_reply("never sent"))
    with pytest.raises(anthropic.AuthenticationError) as rejected:
        _ask(_client(fake, api_key="wrong-key"))
    assert rejected.value.status_code == 401
    assert rejected.value.body["error"]["type"] == "authentication_error"
    assert fake.requests[0].headers["authorization"] == "Bearer wrong-key"
    assert fake.pending == 1  # a rejected call does not consume a scripted reply


def test_x_api_key_header_is_accepted(fake: FakeAnthropic) -> None:
    fake.script(text_reply("ok"))
    client = _client(fake, api_key="wrong-key", default_headers={"x-api-key": fake.api_key})
    assert _ask(client).content[0].text == "ok"
    assert fake.requests[0].headers["authorization"] == "Bearer wrong-key"  # the x-api-key carried it


def test_an_empty_queue_without_responder_fails_loudly(fake: FakeAnthropic) -> None:
    with pytest.raises(anthropic.InternalServerError) as failed:
        _ask(_client(fake, max_retries=2))  # x-should-retry: false, so no retries despite max_retries
    assert "no scripted response left" in failed.value.body["error"]["message"]
    assert len(fake.requests) == 1


def _rag_responder(body: dict[str, Any]) -> ScriptedReply:
    last = body["messages"][-1]
    if last["role"] == "user" and isinstance(last["content"], str):
        return tool_use_reply("rag_search", {"query": last["content"]})
    [result] = [block for block in last["content"] if block["type"] == "tool_result"]
    return text_reply(f"According to the docs: {result['content']}")


def test_the_responder_answers_once_the_queue_is_empty(fake: FakeAnthropic) -> None:
    fake.script(text_reply("scripted first"))
    fake.responder = _rag_responder
    client = _client(fake)
    assert _ask(client).content[0].text == "scripted first"

    call = _ask(client, "refund policy").content[0]
    assert call.type == "tool_use" and call.input == {"query": "refund policy"}
    final = client.messages.create(
        model=MODEL,
        max_tokens=256,
        messages=[
            {"role": "user", "content": "refund policy"},
            {"role": "assistant", "content": [call.model_dump(exclude_none=True)]},
            {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": call.id, "content": "5 days"}],
            },
        ],
    )
    assert final.content[0].text == "According to the docs: 5 days"
    assert len(fake.requests) == 3


def test_a_raising_responder_is_reported(fake: FakeAnthropic) -> None:
    def broken(body: dict[str, Any]) -> ScriptedReply:
        raise KeyError("messages")

    fake.responder = broken
    with pytest.raises(anthropic.InternalServerError) as failed:
        _ask(_client(fake, max_retries=2))
    assert "responder raised KeyError" in failed.value.body["error"]["message"]
    assert len(fake.requests) == 1


def test_sequential_calls_share_one_keep_alive_connection(fake: FakeAnthropic) -> None:
    fake.responder = lambda body: text_reply("ok")
    client = _client(fake)
    for _ in range(50):
        _ask(client)
    assert len(fake.requests) == 50
    # Keep-alive: the calls reuse a connection (a stray reconnect under a loaded test run is fine).
    assert fake.connection_count <= 3


def test_reset_clears_queue_requests_and_responder(fake: FakeAnthropic) -> None:
    fake.script(text_reply("one"), text_reply("two"))
    fake.responder = _rag_responder
    _ask(_client(fake))
    fake.reset()
    assert (fake.pending, fake.requests, fake.responder) == (0, [], None)
    with pytest.raises(anthropic.InternalServerError):
        _ask(_client(fake))
