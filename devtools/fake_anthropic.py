"""A local fake of Anthropic's Messages API, for tests and benchmarks that drive the real SDK over HTTP.

Point `anthropic.Anthropic(base_url=fake.base_url, api_key=fake.api_key)` at it. Every request is
recorded; each one consumes the next scripted reply, or asks `fake.responder` when the queue is empty:

    with FakeAnthropic() as fake:
        fake.script(tool_use_reply("rag_search", {"query": "refunds"}), text_reply("Refunds take 5 days."))
        ...  # code under test calls client.messages.create(...) twice
        assert fake.requests[1].body["messages"][-1]["content"][0]["type"] == "tool_result"

Replies are built with `text_reply`, `tool_use_reply`, `error_reply` and `delayed`. `POST /v1/messages`
is served both ways: as one JSON message, or, when the request says `"stream": true` (the SDK's
`messages.stream(...)`), as server-sent events framed and ordered as the API sends them (`message_start`,
per block `content_block_start` / `content_block_delta` / `content_block_stop`, `message_delta`,
`message_stop`), the text cut into pieces of about a token. A streamed answer's pace comes from
`fake.first_token_delay` and `fake.tokens_per_second`, or from the reply itself (`streamed`);
`broken_stream` cuts one off halfway with an SSE `error` event:

    fake.first_token_delay = 0.3  # text answers start 0.3 s late; tool calls still answer at once
    fake.script(tool_use_reply("rag_search", {"query": "refunds"}))
    fake.script(streamed(text_reply("Refunds take 5 days."), tokens_per_second=50))

An error reply answers a streaming request as plain JSON with its status, as the API does before a stream
starts. An unexpected call (empty queue, no responder) answers 500 `api_error` with
`x-should-retry: false`, so a test fails at once instead of retrying into the next reply.
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import json
import re
import socket
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self
from urllib.parse import urlsplit

DEFAULT_API_KEY = "test-anthropic-key"
DEFAULT_MODEL = "claude-fake"
MESSAGES_PATH = "/v1/messages"


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the fake received it. `body` is the parsed JSON, or None if it was not JSON."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass(frozen=True)
class ScriptedReply:
    """What the fake answers to one request. Build it with the helpers below rather than by hand.

    A message body may leave `model` and `usage.input_tokens` as None: they are filled in from the
    request when the reply is sent (the model is echoed, input tokens are estimated from its size).

    `delay` holds back the whole response (headers included). The other fields only shape a streamed
    answer and are ignored by a non-streaming request: `first_token_delay` and `tokens_per_second`
    override the server's pace when not None (see `streamed`), and `break_after_chars` cuts the stream
    off with an SSE error event (see `broken_stream`).
    """

    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    first_token_delay: float | None = None
    tokens_per_second: float | None = None
    break_after_chars: int | None = None


Responder = Callable[[dict[str, Any]], ScriptedReply]


def _estimate_tokens(text: str) -> int:
    """About four characters a token, as a rough stand-in for the real tokenizer."""
    return max(1, len(text) // 4)


def _message(
    content: list[dict[str, Any]],
    stop_reason: str,
    input_tokens: int | None,
    output_tokens: int,
    model: str | None,
) -> ScriptedReply:
    body = {
        "id": f"msg_{uuid.uuid4().hex[:24]}",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": stop_reason,
        "stop_sequence": None,
        "usage": {"input_tokens": input_tokens, "output_tokens": output_tokens},
    }
    return ScriptedReply(status=200, body=body)


def text_reply(
    text: str,
    *,
    input_tokens: int | None = None,
    output_tokens: int | None = None,
    model: str | None = None,
) -> ScriptedReply:
    """A message with one text block and `stop_reason: "end_turn"`.

    Token counts default to estimates from the request's size and the text's length; `model`
    defaults to the model the request asked for.
    """
    output = output_tokens if output_tokens is not None else _estimate_tokens(text)
    return _message([{"type": "text", "text": text}], "end_turn", input_tokens, output, model)


def tool_use_reply(
    name: str,
    tool_input: dict[str, Any],
    *,
    tool_use_id: str | None = None,
    text: str | None = None,
    input_tokens: int | None = None,
    output_tokens: int | None = None,
    model: str | None = None,
) -> ScriptedReply:
    """A message asking for one tool call (`stop_reason: "tool_use"`), after an optional text block.

    The block's id is `tool_use_id`, or a fresh `toolu_...` id; read it back from `reply.body`.
    """
    content: list[dict[str, Any]] = [{"type": "text", "text": text}] if text else []
    block_id = tool_use_id or f"toolu_{uuid.uuid4().hex[:24]}"
    content.append({"type": "tool_use", "id": block_id, "name": name, "input": tool_input})
    if output_tokens is None:
        output_tokens = _estimate_tokens((text or "") + name + json.dumps(tool_input))
    return _message(content, "tool_use", input_tokens, output_tokens, model)


def error_reply(
    status: int, error_type: str, message: str, *, headers: dict[str, str] | None = None
) -> ScriptedReply:
    """An error in Anthropic's shape, e.g. `error_reply(529, "overloaded_error", "Overloaded")`.

    `headers` go out with it: `retry-after` (seconds) or `retry-after-ms` to steer the SDK's retry
    delay, `x-should-retry: "false"` to stop it retrying at all.
    """
    body = {"type": "error", "error": {"type": error_type, "message": message}}
    return ScriptedReply(status=status, body=body, headers=dict(headers or {}))


def delayed(seconds: float, reply: ScriptedReply) -> ScriptedReply:
    """`reply`, sent only after `seconds`: longer than the client's timeout, it provokes a timeout."""
    return dataclasses.replace(reply, delay=reply.delay + seconds)


def streamed(
    reply: ScriptedReply,
    *,
    first_token_delay: float | None = None,
    tokens_per_second: float | None = None,
) -> ScriptedReply:
    """`reply`, streamed at its own pace instead of the server's (`FakeAnthropic.first_token_delay` and
    `.tokens_per_second`); an argument left None keeps what the reply had, else the server's setting.

    `first_token_delay` is the time from the response's headers to the first text delta, on top of any
    `delayed`; `tokens_per_second` the rate of the text deltas after it (`math.inf`: unpaced, even
    when the server paces). Unlike the server's settings these also pace a tool-use reply's text
    block; a tool-use block itself always streams at once (slow a tool call down with `delayed`).
    """
    if first_token_delay is not None and first_token_delay < 0:
        raise ValueError(f"first_token_delay must be >= 0, not {first_token_delay}")
    if tokens_per_second is not None and not tokens_per_second > 0:
        raise ValueError(f"tokens_per_second must be > 0, not {tokens_per_second}")
    return dataclasses.replace(
        reply,
        first_token_delay=reply.first_token_delay if first_token_delay is None else first_token_delay,
        tokens_per_second=reply.tokens_per_second if tokens_per_second is None else tokens_per_second,
    )


def broken_stream(reply: ScriptedReply, after_chars: int) -> ScriptedReply:
    """`reply`, but a stream of it breaks off after `after_chars` characters of text (the piece that
    crosses the mark is cut at it) with an SSE `error` event, `overloaded_error` "Overloaded", and
    ends there: no `content_block_stop`, no `message_delta` (so no stop reason), no `message_stop`.
    If the reply has less text than that, the break comes after its last content block.

    This is how the API reports a failure once a stream has started: the status is already 200, so
    the SDK (2.13) raises a plain `anthropic.APIStatusError` (not `OverloadedError`, which it picks by
    status) from the iteration - `text_stream`, iterating the stream, `get_final_message()` - once it
    reaches the event, after yielding the text before it. The exception's `status_code` is 200 and its
    `body` the event's JSON, `{"type": "error", "error": {"type": "overloaded_error", ...}}`. The SDK
    does not retry: retries only cover the request, and the stream was already answered.

    A non-streaming request gets the whole message as usual.
    """
    if after_chars < 0:
        raise ValueError(f"after_chars must be >= 0, not {after_chars}")
    return dataclasses.replace(reply, break_after_chars=after_chars)


def _finish_body(reply: ScriptedReply, request: dict[str, Any]) -> dict[str, Any]:
    """Fill in what a message reply left to the request: the model and the input token count."""
    body = reply.body
    if body.get("type") != "message":
        return body
    body = {**body, "usage": dict(body.get("usage") or {})}
    if body.get("model") is None:
        body["model"] = request.get("model") or DEFAULT_MODEL
    if body["usage"].get("input_tokens") is None:
        prompt = [request.get("system"), request.get("messages"), request.get("tools")]
        body["usage"]["input_tokens"] = _estimate_tokens(json.dumps(prompt, default=str))
    body["usage"].setdefault("output_tokens", 1)
    return body


# A scripted reply's headers must not contradict how the fake frames the body it sends.
_FRAMING_HEADERS = frozenset({"content-length", "content-type", "connection", "transfer-encoding"})

_MID_STREAM_ERROR = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}

# Whitespace, then up to four other characters: pieces of about a token, which join back to the text.
_DELTA_PIECE = re.compile(r"\s*\S{1,4}|\s+")


def _delta_pieces(text: str) -> list[str]:
    return _DELTA_PIECE.findall(text)


@dataclass(frozen=True)
class _StreamEvent:
    name: str
    data: dict[str, Any]
    is_text_delta: bool = False


def _stream_events(message: dict[str, Any], break_after_chars: int | None) -> Iterator[_StreamEvent]:
    """The server-sent events of a finished message body, in the API's order, with the break in them."""
    usage = message["usage"]
    started = {**message, "content": [], "stop_reason": None, "stop_sequence": None}
    started["usage"] = {"input_tokens": usage["input_tokens"], "output_tokens": 1}
    yield _StreamEvent("message_start", {"type": "message_start", "message": started})

    text_sent = 0
    breaking = _StreamEvent("error", _MID_STREAM_ERROR)
    for index, block in enumerate(message["content"]):
        if block.get("type") == "text":
            opening: dict[str, Any] = {"type": "text", "text": ""}
        elif block.get("type") == "tool_use":
            opening = {**block, "input": {}}
        else:  # a block type the fake has no deltas for arrives whole, as a server tool result does
            opening = block
        yield _StreamEvent(
            "content_block_start", {"type": "content_block_start", "index": index, "content_block": opening}
        )
        if index == 0:
            yield _StreamEvent("ping", {"type": "ping"})

        if block.get("type") == "text":
            for piece in _delta_pieces(block["text"]):
                if break_after_chars is not None:
                    if text_sent >= break_after_chars:
                        yield breaking
                        return
                    piece = piece[: break_after_chars - text_sent]
                text_sent += len(piece)
                delta = {"type": "text_delta", "text": piece}
                yield _StreamEvent(
                    "content_block_delta",
                    {"type": "content_block_delta", "index": index, "delta": delta},
                    True,
                )
                if break_after_chars is not None and text_sent >= break_after_chars:
                    yield breaking
                    return
        elif block.get("type") == "tool_use":
            # The API opens a tool's input with an empty piece, then sends the JSON in fragments.
            for piece in ["", *_delta_pieces(json.dumps(block["input"]))]:
                delta = {"type": "input_json_delta", "partial_json": piece}
                yield _StreamEvent(
                    "content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta}
                )
        yield _StreamEvent("content_block_stop", {"type": "content_block_stop", "index": index})

    if break_after_chars is not None:
        yield breaking
        return
    stopped = {"stop_reason": message["stop_reason"], "stop_sequence": message.get("stop_sequence")}
    yield _StreamEvent(
        "message_delta",
        {"type": "message_delta", "delta": stopped, "usage": {"output_tokens": usage["output_tokens"]}},
    )
    yield _StreamEvent("message_stop", {"type": "message_stop"})


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a handler stuck in a delay or an idle keep-alive must not block shutdown

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Stay quiet when a client hangs up (a timed-out call, a closed SDK client); report the rest."""
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


class FakeAnthropic:
    """The fake server: scripted replies in, recorded requests out. Start it or use it as a context."""

    def __init__(
        self,
        api_key: str = DEFAULT_API_KEY,
        host: str = "127.0.0.1",
        first_token_delay: float = 0.0,
        tokens_per_second: float | None = None,
    ) -> None:
        self.api_key = api_key
        self.host = host
        self.responder: Responder | None = None
        # The pace of streamed text, read as each stream starts (so settable while serving): seconds
        # from the response's headers to the first text delta, then text deltas a second (None:
        # unpaced). Tool-use replies ignore both, so a tool round trip answers at once; `streamed`
        # sets a pace per reply.
        self.first_token_delay = first_token_delay
        self.tokens_per_second = tokens_per_second
        self._lock = threading.Lock()
        self._queue: collections.deque[ScriptedReply] = collections.deque()
        self._requests: list[RecordedRequest] = []
        self._connections: set[socket.socket] = set()
        self._connection_count = 0
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> Self:
        """Bind a free port on `host` and serve from a daemon thread."""
        if self._server is not None:
            return self
        self._stopping.clear()
        self._server = _Server((self.host, 0), _make_handler(self))
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving. Returns promptly: delayed replies are cut short and open connections closed."""
        server, thread = self._server, self._thread
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        server.server_close()
        with self._lock:
            connections = list(self._connections)
        for connection in connections:  # wakes handler threads idling on a keep-alive connection
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        if thread is not None:
            thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("FakeAnthropic is not running; call start() first")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        """What to pass as the SDK's `base_url` (the SDK appends `/v1/messages` itself)."""
        return f"http://{self.host}:{self.port}"

    # -- scripting and inspection ------------------------------------------------------------------

    def script(self, *replies: ScriptedReply) -> None:
        """Queue replies; each incoming request consumes the oldest one."""
        with self._lock:
            self._queue.extend(replies)

    @property
    def pending(self) -> int:
        """How many scripted replies are still queued (0 once a test used all it scripted)."""
        with self._lock:
            return len(self._queue)

    @property
    def requests(self) -> list[RecordedRequest]:
        """A snapshot of every request received so far, oldest first (rejected ones included)."""
        with self._lock:
            return list(self._requests)

    @property
    def connection_count(self) -> int:
        """TCP connections accepted so far: stays at 1 for a keep-alive client making sequential calls."""
        with self._lock:
            return self._connection_count

    def reset(self) -> None:
        """Forget the queue, the recorded requests and the responder."""
        with self._lock:
            self._queue.clear()
            self._requests.clear()
            self.responder = None

    # -- used by the handler -----------------------------------------------------------------------

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    def _opened(self, connection: socket.socket) -> None:
        with self._lock:
            self._connections.add(connection)
            self._connection_count += 1

    def _closed(self, connection: socket.socket) -> None:
        with self._lock:
            self._connections.discard(connection)

    def _next_reply(self, body: dict[str, Any]) -> ScriptedReply:
        with self._lock:
            scripted = self._queue.popleft() if self._queue else None
            responder = self.responder
        if scripted is not None:
            return scripted
        if responder is None:
            return error_reply(
                500,
                "api_error",
                "FakeAnthropic: no scripted response left and no responder set "
                f"(request #{len(self.requests)})",
                headers={"x-should-retry": "false"},
            )
        try:
            return responder(body)
        except Exception as error:  # a broken responder should fail the test, not hang it
            return error_reply(
                500,
                "api_error",
                f"FakeAnthropic: responder raised {type(error).__name__}: {error}",
                headers={"x-should-retry": "false"},
            )

    def _stream_pace(self, reply: ScriptedReply) -> tuple[float, float]:
        """Seconds before the first text delta and between the next ones, for streaming `reply`."""
        content = reply.body.get("content") or []
        asks_for_tool = any(block.get("type") == "tool_use" for block in content)
        server_delay, server_rate = (
            (0.0, None) if asks_for_tool else (self.first_token_delay, self.tokens_per_second)
        )
        delay = server_delay if reply.first_token_delay is None else reply.first_token_delay
        rate = server_rate if reply.tokens_per_second is None else reply.tokens_per_second
        return delay, (1.0 / rate if rate else 0.0)

    def _authorized(self, headers: dict[str, str]) -> bool:
        return headers.get("authorization") == f"Bearer {self.api_key}" or (
            headers.get("x-api-key") == self.api_key
        )


def _make_handler(fake: FakeAnthropic) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, so a benchmark's thousands of calls share a socket
        server_version = "buzzi-fake-anthropic"

        def setup(self) -> None:
            super().setup()
            # Headers and body go out in separate writes; without this, Nagle's algorithm and the
            # client's delayed ACK add ~40 ms to every keep-alive response.
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            fake._opened(self.connection)

        def finish(self) -> None:
            fake._closed(self.connection)
            with contextlib.suppress(OSError):
                super().finish()

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            headers = {key.lower(): value for key, value in self.headers.items()}
            try:
                body: Any = json.loads(raw) if raw else None
            except ValueError:
                body = None
            path = urlsplit(self.path).path
            fake._record(RecordedRequest(method=self.command, path=path, headers=headers, body=body))

            if not fake._authorized(headers):
                self._send(error_reply(401, "authentication_error", "invalid x-api-key"))
            elif (self.command, path) != ("POST", MESSAGES_PATH):
                self._send(error_reply(404, "not_found_error", f"Not found: {self.command} {path}"))
            elif not isinstance(body, dict):
                self._send(error_reply(400, "invalid_request_error", "request body must be a JSON object"))
            elif body.get("stream"):
                reply = fake._next_reply(body)
                if reply.status >= 400 or reply.body.get("type") != "message":
                    self._send(reply, body)
                else:
                    self._send_stream(reply, body)
            else:
                self._send(fake._next_reply(body), body)

        def _send(self, reply: ScriptedReply, request: dict[str, Any] | None = None) -> None:
            if reply.delay > 0 and fake._stopping.wait(reply.delay):
                self.close_connection = True
                return
            payload = json.dumps(_finish_body(reply, request or {})).encode()
            try:
                self.send_response(reply.status)
                self.send_header("content-type", "application/json")
                self.send_header("request-id", f"req_{uuid.uuid4().hex[:24]}")
                for key, value in reply.headers.items():
                    if key.lower() not in ("content-length", "content-type", "connection"):
                        self.send_header(key, value)
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except OSError:  # the client gave up (its timeout) before a delayed reply was sent
                self.close_connection = True

        def _send_stream(self, reply: ScriptedReply, request: dict[str, Any]) -> None:
            if reply.delay > 0 and fake._stopping.wait(reply.delay):
                self.close_connection = True
                return
            first_token_delay, delta_interval = fake._stream_pace(reply)
            events = _stream_events(_finish_body(reply, request), reply.break_after_chars)
            try:
                self.send_response(reply.status)
                self.send_header("content-type", "text/event-stream; charset=utf-8")
                self.send_header("cache-control", "no-cache")
                self.send_header("request-id", f"req_{uuid.uuid4().hex[:24]}")
                for key, value in reply.headers.items():
                    if key.lower() not in _FRAMING_HEADERS:
                        self.send_header(key, value)
                # Chunked rather than close-delimited, so the connection survives for the next call.
                self.send_header("transfer-encoding", "chunked")
                self.end_headers()
                first_text_due = time.monotonic() + first_token_delay
                text_deltas_sent = 0
                for event in events:
                    if event.is_text_delta:
                        # Due times from one origin, so the rate holds however long each write takes.
                        due = first_text_due + text_deltas_sent * delta_interval
                        if not self._wait_until(due):
                            self.close_connection = True
                            return
                        text_deltas_sent += 1
                    frame = f"event: {event.name}\ndata: {json.dumps(event.data, separators=(',', ':'))}\n\n"
                    self._write_chunk(frame.encode())
                self._write_chunk(b"")
            except OSError:  # the client hung up mid-stream (its timeout, a closed stream)
                self.close_connection = True

        def _wait_until(self, due: float) -> bool:
            """Sleep until `due` (monotonic); False if the fake is stopping, to end the stream at once."""
            remaining = due - time.monotonic()
            return not (remaining > 0 and fake._stopping.wait(remaining))

        def _write_chunk(self, data: bytes) -> None:
            """One chunk of a chunked body, flushed so the client sees each event as it is sent; an empty
            `data` is the last chunk."""
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle  # noqa: N815

    return Handler
