"""One loopback server standing in for the messaging platforms' APIs in tests and local runs:
Meta's Graph API, Telegram's Bot API, Slack's Web API, Bot Framework (token, keys, activities) and a
custom integration's callback. It records every request and can be told to fail."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body or b"null")


@dataclass
class Failure:
    path_part: str
    status: int
    body: dict[str, Any]
    times: int


@dataclass
class FakePlatforms:
    requests: list[Recorded] = field(default_factory=list)
    jwks: dict[str, Any] = field(default_factory=lambda: {"keys": []})
    _failures: list[Failure] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_port}"

    def fail(self, path_part: str, status: int, body: dict[str, Any] | None = None, times: int = 1) -> None:
        """The next `times` requests whose path contains `path_part` get `status`."""
        with self._lock:
            self._failures.append(Failure(path_part, status, body or {"ok": False}, times))

    def sent(self, path_part: str) -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests if path_part in r.path]

    def start(self) -> Self:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _answer(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                record = Recorded(
                    self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body
                )
                status, answer = fake._respond(record)
                payload = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = _answer  # noqa: N815

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def _respond(self, record: Recorded) -> tuple[int, Any]:
        with self._lock:
            self.requests.append(record)
            for failure in self._failures:
                if failure.path_part in record.path and failure.times > 0:
                    failure.times -= 1
                    return failure.status, failure.body
        if record.path.endswith("/keys"):
            return 200, self.jwks
        if record.path.endswith("/token"):
            return 200, {"access_token": "bot-framework-token", "expires_in": 3600, "token_type": "Bearer"}
        if "/bot" in record.path:
            return 200, {"ok": True, "result": {"message_id": len(self.requests)}}
        if "chat.postMessage" in record.path:
            return 200, {"ok": True, "ts": "1700000000.000100"}
        return 200, {
            "messages": [{"id": f"wamid.{len(self.requests)}"}],
            "id": f"activity-{len(self.requests)}",
        }

    def environment(self) -> dict[str, str]:
        base = self.base_url
        return {
            "GRAPH_API_BASE_URL": f"{base}/graph",
            "TELEGRAM_API_BASE_URL": f"{base}/telegram",
            "SLACK_API_BASE_URL": f"{base}/slack",
            "TEAMS_TOKEN_URL": f"{base}/teams/token",
            "TEAMS_JWKS_URL": f"{base}/teams/keys",
            "TEAMS_ISSUER": "https://api.botframework.com",
        }
