"""The local WebSocket API: what API Gateway does for `RealtimeWebSocketApi`, inside the runner.

A browser opens `ws://127.0.0.1:<port>/ws/widget` (the console: `/ws/console`). The runner
answers the upgrade by calling the template's real `$connect` handler with API Gateway's WebSocket
event, and accepts only if it returns 200; text frames go to `$default`, the end of the socket to
`$disconnect`. Functions post frames through the `@connections` management API, which
`serve_management` implements on loopback, so the same boto3 code runs here and in AWS.

Framing is `websockets`' sans-I/O protocol. Each socket has one writer thread fed by a queue, so
a post never waits for a slow browser; a browser that stops reading loses its socket once
`MAX_QUEUED_FRAMES` are waiting, as API Gateway would drop it.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import queue
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import unquote

from chatapp.observability import logger
from devtools.runner import LambdaContext
from devtools.template import FunctionSpec

WEBSOCKET_PATH = "/ws/widget"
CONSOLE_WEBSOCKET_PATH = "/ws/console"  # the same API: the ticket says whose socket it is
MANAGEMENT_PREFIX = "/@connections/"
MAX_MESSAGE_BYTES = 128 * 1024  # API Gateway's WebSocket message limit
MAX_QUEUED_FRAMES = 1000
_ACCEPT_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455
_STOP = object()


@dataclass
class _Socket:
    connection_id: str
    sock: socket.socket
    protocol: Any
    source_ip: str
    user_agent: str
    connected_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    last_active_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    outbox: queue.Queue[Any] = field(default_factory=lambda: queue.Queue(MAX_QUEUED_FRAMES))
    lock: threading.Lock = field(default_factory=threading.Lock)
    closed: threading.Event = field(default_factory=threading.Event)

    def queue_text(self, text: str) -> bool:
        try:
            self.outbox.put_nowait(text)
        except queue.Full:
            self.close()
            return False
        return True

    def queue_bytes(self, data: bytes) -> None:
        with contextlib.suppress(queue.Full):
            self.outbox.put_nowait(data)

    def close(self) -> None:
        """Stop the writer and unblock the reader; the reader then says `$disconnect`."""
        if self.closed.is_set():
            return
        self.closed.set()
        with contextlib.suppress(queue.Full):
            self.outbox.put_nowait(_STOP)
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)

    def write_all(self) -> None:
        from websockets.exceptions import InvalidState

        while (item := self.outbox.get()) is not _STOP:
            if isinstance(item, str):
                with self.lock:
                    try:
                        self.protocol.send_text(item.encode())
                    except InvalidState:  # the browser is closing it (a reload mid-answer): gone
                        self.close()
                        return
                    data = b"".join(self.protocol.data_to_send())
            else:
                data = item
            try:
                self.sock.sendall(data)
            except OSError:
                self.close()
                return


class SocketHub:
    """Open sockets by connection id, and the routes' handlers."""

    def __init__(self, routes: dict[str, FunctionSpec]) -> None:
        self._routes = routes
        self._sockets: dict[str, _Socket] = {}
        self._lock = threading.Lock()

    @property
    def open_count(self) -> int:
        with self._lock:
            return len(self._sockets)

    def serve(self, request: BaseHTTPRequestHandler) -> bool:
        """Serve the request if it is the WebSocket API's (an upgrade, or `@connections`)."""
        path = request.path.split("?", 1)[0]
        if (
            request.command == "GET"
            and path in (WEBSOCKET_PATH, CONSOLE_WEBSOCKET_PATH)
            and _upgrading(request)
        ):
            self.serve_upgrade(request)
            return True
        if path.startswith(MANAGEMENT_PREFIX):
            length = int(request.headers.get("Content-Length") or 0)
            self.serve_management(request, request.rfile.read(length) if length else b"")
            return True
        return False

    # ------------------------------------------------------------------ the browser's side

    def serve_upgrade(self, request: BaseHTTPRequestHandler) -> None:
        """Run one socket on the request's thread, from the handshake to `$disconnect`."""
        from websockets.protocol import Protocol, Side, State

        request.close_connection = True
        key = request.headers.get("Sec-WebSocket-Key")
        if "$connect" not in self._routes or not key or request.headers.get("Sec-WebSocket-Version") != "13":
            _refuse(request, 400)
            return
        connection_id = base64.b64encode(os.urandom(12)).decode()
        headers = {name: value for name, value in request.headers.items()}
        source_ip = request.client_address[0]
        response = self._invoke("$connect", connection_id, source_ip, headers=headers)
        status = int(response.get("statusCode", 500)) if isinstance(response, dict) else 500
        if status != 200:
            _refuse(request, status)
            return
        accept = base64.b64encode(hashlib.sha1((key + _ACCEPT_GUID).encode()).digest()).decode()  # noqa: S324 - RFC 6455
        lines = [
            "HTTP/1.1 101 Switching Protocols",
            "Upgrade: websocket",
            "Connection: Upgrade",
            f"Sec-WebSocket-Accept: {accept}",
        ]
        chosen = {k.lower(): v for k, v in (response.get("headers") or {}).items()}.get(
            "sec-websocket-protocol"
        )
        if chosen:
            lines.append(f"Sec-WebSocket-Protocol: {chosen}")
        request.wfile.write(("\r\n".join(lines) + "\r\n\r\n").encode())
        request.wfile.flush()
        live = _Socket(
            connection_id,
            request.connection,
            Protocol(Side.SERVER, state=State.OPEN, max_size=MAX_MESSAGE_BYTES),
            source_ip,
            request.headers.get("User-Agent", ""),
        )
        with self._lock:
            self._sockets[connection_id] = live
        writer = threading.Thread(target=live.write_all, name=f"ws-writer-{connection_id}", daemon=True)
        writer.start()
        try:
            self._read(live)
        finally:
            live.close()
            with self._lock:
                self._sockets.pop(connection_id, None)
            self._invoke("$disconnect", connection_id, source_ip)

    def _read(self, live: _Socket) -> None:
        from websockets.frames import Opcode

        pending: list[bytes] = []
        while not live.closed.is_set():
            try:
                data = live.sock.recv(65536)
            except OSError:
                return
            with live.lock:
                if data:
                    live.protocol.receive_data(data)
                else:
                    live.protocol.receive_eof()
                frames = live.protocol.events_received()
                replies = b"".join(live.protocol.data_to_send())  # pongs and the closing handshake
            if replies:
                live.queue_bytes(replies)
            for frame in frames:
                if frame.opcode in (Opcode.TEXT, Opcode.CONT):
                    pending.append(frame.data)
                    if frame.fin:
                        live.last_active_at = datetime.now(UTC)
                        body = b"".join(pending).decode(errors="replace")
                        pending = []
                        self._invoke("$default", live.connection_id, live.source_ip, body=body)
                elif frame.opcode is Opcode.CLOSE:
                    time.sleep(0.05)  # let the writer send the closing handshake's reply
                    return
            if not data:
                return

    # ------------------------------------------------------------------ the management API

    def post(self, connection_id: str, data: bytes) -> bool:
        with self._lock:
            live = self._sockets.get(connection_id)
        return live is not None and live.queue_text(data.decode())

    def info(self, connection_id: str) -> dict[str, Any] | None:
        with self._lock:
            live = self._sockets.get(connection_id)
        if live is None:
            return None
        return {  # the wire names of API Gateway's GetConnection
            "connectedAt": live.connected_at.isoformat(),
            "lastActiveAt": live.last_active_at.isoformat(),
            "identity": {"sourceIp": live.source_ip, "userAgent": live.user_agent},
        }

    def delete(self, connection_id: str) -> bool:
        with self._lock:
            live = self._sockets.get(connection_id)
        if live is None:
            return False
        live.close()
        return True

    def serve_management(self, request: BaseHTTPRequestHandler, body: bytes) -> None:
        """`POST|GET|DELETE /@connections/{id}`, as API Gateway answers them (410 when gone)."""
        if request.client_address[0] not in ("127.0.0.1", "::1"):
            _reply(request, 403, {"message": "Forbidden"})
            return
        connection_id = unquote(request.path[len(MANAGEMENT_PREFIX) :].split("?", 1)[0])
        if request.command == "POST":
            found = self.post(connection_id, body)
            _reply(request, 200, None) if found else _gone(request)
        elif request.command == "GET":
            described = self.info(connection_id)
            _reply(request, 200, described) if described else _gone(request)
        elif request.command == "DELETE":
            _reply(request, 204, None) if self.delete(connection_id) else _gone(request)
        else:
            _reply(request, 405, {"message": "Method not allowed"})

    # ------------------------------------------------------------------ handlers

    def _invoke(
        self,
        route: str,
        connection_id: str,
        source_ip: str,
        *,
        headers: dict[str, str] | None = None,
        body: str | None = None,
    ) -> Any:
        spec = self._routes.get(route) or self._routes.get("$default")
        if spec is None:
            return None
        event: dict[str, Any] = {
            "requestContext": {
                "routeKey": route,
                "eventType": {"$connect": "CONNECT", "$disconnect": "DISCONNECT"}.get(route, "MESSAGE"),
                "connectionId": connection_id,
                "messageId": str(uuid.uuid4()) if body is not None else None,
                "apiId": "local",
                "stage": "local",
                "domainName": "127.0.0.1",
                "requestId": str(uuid.uuid4()),
                "requestTimeEpoch": int(time.time() * 1000),
                "identity": {"sourceIp": source_ip},
            },
            "isBase64Encoded": False,
        }
        if headers is not None:
            event["headers"] = headers
            event["multiValueHeaders"] = {k: [v] for k, v in headers.items()}
        if body is not None:
            event["body"] = body
        try:
            return spec.load_handler()(event, LambdaContext(function_name=spec.logical_id))
        except Exception as error:  # what API Gateway does when the function fails: a 500
            logger.error("websocket route failed", extra={"route": route, "error_type": type(error).__name__})
            return {"statusCode": 500}


def _upgrading(request: BaseHTTPRequestHandler) -> bool:
    return request.headers.get("Upgrade", "").lower() == "websocket"


def _refuse(request: BaseHTTPRequestHandler, status: int) -> None:
    _reply(request, status, None)


def _gone(request: BaseHTTPRequestHandler) -> None:
    _reply(request, 410, {"message": "Gone"}, error_type="GoneException")


def _reply(
    request: BaseHTTPRequestHandler, status: int, body: dict[str, Any] | None, error_type: str | None = None
) -> None:
    payload = json.dumps(body).encode() if body is not None else b""
    request.send_response(status)
    request.send_header("content-type", "application/json")
    if error_type:
        request.send_header("x-amzn-ErrorType", error_type)
    request.send_header("content-length", str(len(payload)))
    request.end_headers()
    request.wfile.write(payload)


def hub_for(specs: list[FunctionSpec], template: dict[str, Any] | None = None) -> SocketHub:
    """The hub serving the template's WebSocket routes with these functions."""
    from devtools.template import websocket_routes

    by_id = {spec.logical_id: spec for spec in specs}
    return SocketHub({route: by_id[logical_id] for route, logical_id in websocket_routes(template).items()})


def local_urls(port: int, host: str = "127.0.0.1") -> dict[str, str]:
    """The settings that point the platform at a runner's WebSocket, `@connections` and Invoke APIs."""
    return {
        "REALTIME_URL": f"ws://{host}:{port}{WEBSOCKET_PATH}",
        "CONSOLE_REALTIME_URL": f"ws://{host}:{port}{CONSOLE_WEBSOCKET_PATH}",
        "REALTIME_MANAGEMENT_URL": f"http://{host}:{port}",
        "LAMBDA_ENDPOINT_URL": f"http://{host}:{port}",
    }
