"""A local fake of Anthropic's Messages API, for tests and benchmarks that drive the real SDK over HTTP.

Point `anthropic.Anthropic(base_url=fake.base_url, api_key=fake.api_key)` at it. Every request is
recorded; each one consumes the next scripted reply, or asks `fake.responder` when the queue is empty:

    with FakeAnthropic() as fake:
        fake.script(tool_use_reply("rag_search", {"query": "refunds"}), text_reply("Refunds take 5 days."))
        ...  # code under test calls client.messages.create(...) twice
        assert fake.requests[1].body["messages"][-1]["content"][0]["type"] == "tool_result"

Replies are built with `text_reply`, `tool_use_reply`, `error_reply` and `delayed`. Only non-streaming
`POST /v1/messages` is served. An unexpected call (empty queue, no responder) answers 500 `api_error`
with `x-should-retry: false`, so a test fails at once instead of retrying into the next reply.
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import json
import socket
import sys
import threading
import uuid
from collections.abc import Callable
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
    """

    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


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


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a handler stuck in a delay or an idle keep-alive must not block shutdown

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Stay quiet when a client hangs up (a timed-out call, a closed SDK client); report the rest."""
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


class FakeAnthropic:
    """The fake server: scripted replies in, recorded requests out. Start it or use it as a context."""

    def __init__(self, api_key: str = DEFAULT_API_KEY, host: str = "127.0.0.1") -> None:
        self.api_key = api_key
        self.host = host
        self.responder: Responder | None = None
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
                self._send(
                    error_reply(
                        400, "invalid_request_error", "stream: true is not supported by FakeAnthropic"
                    )
                )
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

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle  # noqa: N815

    return Handler
