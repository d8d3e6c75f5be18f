"""The fake's streaming Messages API, read by the real anthropic SDK over HTTP on 127.0.0.1."""

from __future__ import annotations

import contextlib
import itertools
import json
import math
import time
from collections.abc import Iterator

import anthropic
import pytest
from anthropic.lib.streaming import MessageStreamManager

from devtools.fake_anthropic import (
    FakeAnthropic,
    broken_stream,
    error_reply,
    streamed,
    text_reply,
    tool_use_reply,
)

MODEL = "claude-haiku-4-5"  # not on the SDK's deprecated list, which warns on every call
ANSWER = "Refunds take five business days. Contact support if yours has not arrived by then."
PROMPT = [{"role": "user", "content": "How do refunds work?"}]


@pytest.fixture
def fake() -> Iterator[FakeAnthropic]:
    with FakeAnthropic() as server:
        yield server


def _client(fake: FakeAnthropic, *, max_retries: int = 0, timeout: float = 5.0) -> anthropic.Anthropic:
    return anthropic.Anthropic(
        base_url=fake.base_url, api_key=fake.api_key, max_retries=max_retries, timeout=timeout
    )


def _stream(client: anthropic.Anthropic) -> MessageStreamManager[None]:
    return client.messages.stream(model=MODEL, max_tokens=256, messages=PROMPT)


def _timed_pieces(client: anthropic.Anthropic) -> tuple[list[str], list[float]]:
    """The text pieces of one streamed answer, and when each arrived (seconds since the call)."""
    started = time.perf_counter()
    pieces: list[str] = []
    arrivals: list[float] = []
    with _stream(client) as stream:
        for piece in stream.text_stream:
            pieces.append(piece)
            arrivals.append(time.perf_counter() - started)
    return pieces, arrivals


def test_streamed_text_joins_up_to_the_same_message_as_a_plain_call(fake: FakeAnthropic) -> None:
    reply = text_reply(ANSWER)
    fake.script(reply, reply)
    client = _client(fake)

    with _stream(client) as stream:
        pieces = list(stream.text_stream)
        final = stream.get_final_message()
    plain = client.messages.create(model=MODEL, max_tokens=256, messages=PROMPT)

    assert "".join(pieces) == ANSWER
    assert len(pieces) > 5 and max(len(piece) for piece in pieces) <= 10  # about a token each
    assert [(block.type, block.text) for block in final.content] == [("text", ANSWER)]
    assert [(block.type, block.text) for block in plain.content] == [("text", ANSWER)]
    assert (final.id, final.model, final.role) == (plain.id, plain.model, plain.role)
    assert (
        (final.stop_reason, final.stop_sequence)
        == (plain.stop_reason, plain.stop_sequence)
        == ("end_turn", None)
    )
    assert final.usage.output_tokens == plain.usage.output_tokens
    assert final.usage.input_tokens == plain.usage.input_tokens
    assert fake.requests[0].body["stream"] is True and "stream" not in fake.requests[1].body
    assert fake.connection_count <= 2  # chunked bodies keep the connection alive


def test_the_wire_format_is_the_apis(fake: FakeAnthropic) -> None:
    fake.script(text_reply("Two pieces.", output_tokens=3))
    stream = _client(fake).messages.create(model=MODEL, max_tokens=256, messages=PROMPT, stream=True)

    assert stream.response.headers["content-type"].startswith("text/event-stream")
    assert stream.response.headers["transfer-encoding"] == "chunked"
    events = list(stream)  # the SDK passes over the API's `ping`
    names = [event.type for event in events]
    assert names[:2] == ["message_start", "content_block_start"]
    assert set(names[2:-3]) == {"content_block_delta"} and len(names[2:-3]) > 1
    assert names[-3:] == ["content_block_stop", "message_delta", "message_stop"]

    started = events[0].message
    assert (started.content, started.stop_reason, started.usage.output_tokens) == ([], None, 1)
    assert started.usage.input_tokens > 0 and started.model == MODEL
    assert events[1].content_block.type == "text" and events[1].content_block.text == ""
    assert {event.delta.type for event in events[2:-3]} == {"text_delta"}
    ended = events[-2]
    assert (ended.delta.stop_reason, ended.delta.stop_sequence, ended.usage.output_tokens) == (
        "end_turn",
        None,
        3,
    )


def test_a_streamed_tool_call_arrives_with_its_parsed_input(fake: FakeAnthropic) -> None:
    tool_input = {"query": "refund policy for damaged goods", "limit": 3}
    fake.script(tool_use_reply("rag_search", tool_input, tool_use_id="toolu_fixed", text="Let me look."))

    with _stream(_client(fake)) as stream:
        events = list(stream)
        final = stream.get_final_message()

    assert final.stop_reason == "tool_use"
    assert [block.type for block in final.content] == ["text", "tool_use"]
    assert final.content[0].text == "Let me look."
    call = final.content[1]
    assert (call.id, call.name, call.input) == ("toolu_fixed", "rag_search", tool_input)
    fragments = [event.partial_json for event in events if event.type == "input_json"]
    assert len(fragments) > 2 and json.loads("".join(fragments)) == tool_input


def test_the_first_text_piece_waits_for_the_first_token_delay(fake: FakeAnthropic) -> None:
    fake.first_token_delay = 0.3
    fake.script(text_reply(ANSWER))
    client = _client(fake)

    started = time.perf_counter()
    with _stream(client) as stream:
        headers_after = time.perf_counter() - started
        first_piece = next(iter(stream.text_stream))
        first_piece_after = time.perf_counter() - started
        rest = "".join(stream.text_stream)

    assert headers_after < 0.2  # the delay sits between the headers and the first token, as in the API
    assert 0.28 <= first_piece_after < 0.8
    assert first_piece + rest == ANSWER


def test_a_tool_call_is_not_held_back_by_the_servers_pace(fake: FakeAnthropic) -> None:
    fake.first_token_delay = 0.5
    fake.tokens_per_second = 5
    fake.script(tool_use_reply("rag_search", {"query": "refunds"}, text="Let me look that up for you."))

    started = time.perf_counter()
    with _stream(_client(fake)) as stream:
        final = stream.get_final_message()
    assert time.perf_counter() - started < 0.2
    assert final.stop_reason == "tool_use"


def test_the_token_rate_spreads_the_pieces(fake: FakeAnthropic) -> None:
    fake.tokens_per_second = 50  # a piece every 20 ms
    fake.script(text_reply(ANSWER))

    pieces, arrivals = _timed_pieces(_client(fake))

    span = arrivals[-1] - arrivals[0]
    expected = (len(pieces) - 1) / 50
    assert 0.9 * expected <= span < expected + 0.3
    gaps = [later - earlier for earlier, later in itertools.pairwise(arrivals)]
    assert max(gaps) < span / 3  # spread out, not held back and sent in a burst


def test_a_reply_can_set_its_own_pace(fake: FakeAnthropic) -> None:
    fake.first_token_delay = 0.3
    fake.tokens_per_second = 10
    fake.script(
        streamed(text_reply(ANSWER), first_token_delay=0.0, tokens_per_second=math.inf),
        streamed(text_reply("Slow start."), first_token_delay=0.2),
        streamed(tool_use_reply("rag_search", {"query": "x"}, text="Hmm."), first_token_delay=0.2),
    )
    client = _client(fake)

    _, unpaced = _timed_pieces(client)
    assert unpaced[-1] < 0.15

    # A delay set on the reply keeps the server's rate: "Slow start." is 3 pieces, 0.1 s apart.
    _, slow = _timed_pieces(client)
    assert 0.18 <= slow[0] < 0.5 and slow[-1] - slow[0] >= 0.18

    _, tool_text = _timed_pieces(client)  # set on the reply, the pace applies to a tool call's text too
    assert tool_text[0] >= 0.18


def test_a_broken_stream_raises_in_the_sdk_after_some_text(fake: FakeAnthropic) -> None:
    fake.script(broken_stream(text_reply(ANSWER), after_chars=20), text_reply("Back again."))
    client = _client(fake, max_retries=2)

    received: list[str] = []
    with pytest.raises(anthropic.APIStatusError) as broken, _stream(client) as stream:
        for piece in stream.text_stream:
            received.append(piece)

    assert "".join(received) == ANSWER[:20]
    # The status was 200 when the error came, so the SDK cannot pick OverloadedError by status.
    assert type(broken.value) is anthropic.APIStatusError and broken.value.status_code == 200
    assert broken.value.body == {
        "type": "error",
        "error": {"type": "overloaded_error", "message": "Overloaded"},
    }
    assert len(fake.requests) == 1  # a stream that already started is not retried

    with _stream(client) as stream:
        assert stream.get_final_text() == "Back again."


def test_a_broken_stream_without_enough_text_breaks_before_the_stop_reason(fake: FakeAnthropic) -> None:
    fake.script(broken_stream(tool_use_reply("rag_search", {"query": "x"}), after_chars=100))
    with pytest.raises(anthropic.APIStatusError), _stream(_client(fake)) as stream:
        stream.get_final_message()


def test_an_error_reply_to_a_streaming_request_is_plain_json(fake: FakeAnthropic) -> None:
    fake.script(
        error_reply(429, "rate_limit_error", "Slow down", headers={"retry-after": "7"}),
        error_reply(529, "overloaded_error", "Overloaded", headers={"retry-after-ms": "1"}),
        text_reply("Back again."),
    )
    with pytest.raises(anthropic.RateLimitError) as limited, _stream(_client(fake)):
        pass
    assert limited.value.response.headers["content-type"] == "application/json"
    assert limited.value.body["error"] == {"type": "rate_limit_error", "message": "Slow down"}

    with _stream(_client(fake, max_retries=1)) as stream:  # an error before the stream is retried
        assert stream.get_final_text() == "Back again."
    assert len(fake.requests) == 3


def test_stop_ends_a_slow_stream_promptly(fake: FakeAnthropic) -> None:
    fake.tokens_per_second = 2
    fake.script(text_reply(ANSWER))
    stream = _client(fake).messages.create(model=MODEL, max_tokens=256, messages=PROMPT, stream=True)
    assert next(iter(stream)).type == "message_start"

    started = time.perf_counter()
    fake.stop()
    assert time.perf_counter() - started < 0.5
    with contextlib.suppress(Exception):  # the connection was cut under the stream
        stream.close()


def test_streaming_settings_leave_a_plain_call_alone(fake: FakeAnthropic) -> None:
    fake.first_token_delay = 0.5
    fake.script(broken_stream(streamed(text_reply(ANSWER), tokens_per_second=1), after_chars=5))
    started = time.perf_counter()
    message = _client(fake).messages.create(model=MODEL, max_tokens=256, messages=PROMPT)
    assert message.content[0].text == ANSWER and message.stop_reason == "end_turn"
    assert time.perf_counter() - started < 0.2


def test_helpers_reject_impossible_settings() -> None:
    with pytest.raises(ValueError, match="first_token_delay"):
        streamed(text_reply("x"), first_token_delay=-1)
    with pytest.raises(ValueError, match="tokens_per_second"):
        streamed(text_reply("x"), tokens_per_second=0)
    with pytest.raises(ValueError, match="after_chars"):
        broken_stream(text_reply("x"), after_chars=-1)
