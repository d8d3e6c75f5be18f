"""The local API runner: serves every HttpApi route of template.yaml without Docker.

Each request becomes a real API Gateway HTTP API (payload v2) event and is handed to the
function's real handler, imported from its CodeUri. `X-Buzzi-Handler-Ms` on each response
reports the time spent inside the handler.
"""

from __future__ import annotations

import asyncio
import base64
import json
import socket
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlsplit

from chatapp.observability import logger
from devtools import web_static
from devtools.template import FunctionSpec, Route


class LocalService(Protocol):
    """More of AWS on the runner's port: serves a request it recognises, else returns False."""

    def serve(self, request: BaseHTTPRequestHandler) -> bool: ...


_TEXT_TYPES = ("application/json", "text/", "application/x-www-form-urlencoded", "application/xml")


@dataclass
class LambdaContext:
    """The attributes of Lambda's context object that handlers and powertools read."""

    function_name: str
    memory_limit_in_mb: int = 512
    timeout_seconds: int = 15
    aws_request_id: str = ""
    function_version: str = "$LATEST"

    def __post_init__(self) -> None:
        self._deadline = time.monotonic() + self.timeout_seconds
        self.aws_request_id = self.aws_request_id or str(uuid.uuid4())
        self.invoked_function_arn = f"arn:aws:lambda:us-east-1:000000000000:function:{self.function_name}"
        self.log_group_name = f"/aws/lambda/{self.function_name}"
        self.log_stream_name = "local"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def _is_utf8(body: bytes) -> bool:
    # A text content type does not make a body text: bytes that are not UTF-8 reach the function
    # base64-encoded, as binary bodies do, and the function decides what they are worth.
    try:
        body.decode()
    except UnicodeDecodeError:
        return False
    return True


def build_http_event(
    route: Route,
    method: str,
    target: str,
    headers: dict[str, str],
    body: bytes,
    path_parameters: dict[str, str],
    source_ip: str = "127.0.0.1",
) -> dict[str, Any]:
    split = urlsplit(target)
    now = datetime.now(UTC)
    content_type = headers.get("content-type", "")
    is_text = not body or (any(content_type.startswith(kind) for kind in _TEXT_TYPES) and _is_utf8(body))
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route.route_key,
        "rawPath": split.path,
        "rawQueryString": split.query,
        "headers": headers,
        "requestContext": {
            "accountId": "000000000000",
            "apiId": "local",
            "domainName": headers.get("host", "127.0.0.1"),
            "domainPrefix": "local",
            "http": {
                "method": method,
                "path": split.path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": headers.get("user-agent", ""),
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": route.route_key,
            "stage": "$default",
            "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(now.timestamp() * 1000),
        },
        "isBase64Encoded": not is_text,
    }
    if split.query:
        query: dict[str, str] = {}
        for key, value in parse_qsl(split.query, keep_blank_values=True):
            query[key] = f"{query[key]},{value}" if key in query else value
        event["queryStringParameters"] = query
    if path_parameters:
        event["pathParameters"] = path_parameters
    if body:
        event["body"] = body.decode() if is_text else base64.b64encode(body).decode()
    return event


class RouteTable:
    """Routes from the template, matched the way API Gateway does (most specific first)."""

    def __init__(self, specs: list[FunctionSpec]) -> None:
        entries = [(route, spec) for spec in specs for route in spec.routes]
        entries.sort(key=lambda entry: entry[0].specificity())
        self._entries = [(route, route.pattern(), spec) for route, spec in entries]

    def match(self, method: str, path: str) -> tuple[Route, FunctionSpec, dict[str, str]] | None:
        for route, pattern, spec in self._entries:
            if route.method not in (method, "ANY"):
                continue
            found = pattern.match(path)
            if found:
                return route, spec, found.groupdict()
        return None

    def describe(self) -> list[str]:
        return [f"{route.route_key:<40} -> {spec.logical_id}" for route, _, spec in self._entries]


def _ensure_event_loop() -> None:
    """Mangum drives the ASGI app on the thread's event loop; Lambda's main thread has one."""
    try:
        asyncio.get_event_loop_policy().get_event_loop()
    except RuntimeError:
        asyncio.set_event_loop(asyncio.new_event_loop())


def invoke_http(spec: FunctionSpec, event: dict[str, Any]) -> tuple[dict[str, Any], float]:
    _ensure_event_loop()
    handler = spec.load_handler()
    context = LambdaContext(
        function_name=spec.logical_id, timeout_seconds=int(spec.properties.get("Timeout", 15))
    )
    started = time.perf_counter()
    response = handler(event, context)
    return response, (time.perf_counter() - started) * 1000


def make_server(
    routes: RouteTable,
    host: str = "127.0.0.1",
    port: int = 3000,
    demo_agent_id: str | None = None,
    services: Sequence[LocalService] = (),
) -> ThreadingHTTPServer:
    """The runner; it also serves /widget.js, /console/ and /demo (see devtools/web_static.py) and
    what `services` take: the WebSocket API with its `@connections` API (devtools/sockets.py), the
    Lambda Invoke API (devtools/invocations.py)."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "buzzi-local"

        def setup(self) -> None:
            super().setup()
            # Headers and body go out in separate writes; without this, Nagle's algorithm and the
            # client's delayed ACK add ~40 ms to every keep-alive response.
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _handle(self) -> None:
            if any(service.serve(self) for service in services):
                return
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            path = urlsplit(self.path).path
            static = web_static.respond(self.command, self.path, demo_agent_id)
            if static is not None:
                self._write(static.status, static.headers, static.body)
                return
            matched = routes.match(self.command, path)
            if matched is None:
                self._write(
                    404,
                    {"content-type": "application/json"},
                    json.dumps({"error": {"code": "not_found", "message": "No route here."}}).encode(),
                )
                return
            route, spec, path_parameters = matched
            headers: dict[str, str] = {}
            for key, value in self.headers.items():
                key = key.lower()
                headers[key] = f"{headers[key]},{value}" if key in headers else value
            event = build_http_event(
                route,
                self.command,
                self.path,
                headers,
                body,
                path_parameters,
                source_ip=self.client_address[0],
            )
            try:
                response, handler_ms = invoke_http(spec, event)
            except Exception as error:  # what API Gateway answers when a function crashes
                logger.error(
                    "function failed", extra={"function": spec.logical_id, "error_type": type(error).__name__}
                )
                self._write(
                    500,
                    {"content-type": "application/json"},
                    json.dumps({"message": "Internal Server Error"}).encode(),
                )
                return
            payload = response.get("body") or ""
            raw = base64.b64decode(payload) if response.get("isBase64Encoded") else payload.encode()
            response_headers = {k.lower(): v for k, v in (response.get("headers") or {}).items()}
            response_headers["x-buzzi-handler-ms"] = f"{handler_ms:.3f}"
            self._write(
                int(response.get("statusCode", 200)),
                response_headers,
                raw,
                cookies=response.get("cookies") or [],
            )

        def _write(
            self, status: int, headers: dict[str, str], body: bytes, cookies: list[str] | None = None
        ) -> None:
            self.send_response(status)
            for key, value in headers.items():
                if key not in ("content-length", "connection"):
                    self.send_header(key, value)
            for cookie in cookies or []:
                self.send_header("set-cookie", cookie)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _handle  # noqa: N815

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    return server
