"""One loopback server standing in for the messaging platforms' APIs in tests and local runs:
Meta's Graph API, Telegram's Bot API, Slack's Web API, Bot Framework (token, keys, activities) and a
custom integration's callback. It records every request and can be told to fail.

The calls that prove who a credential belongs to answer from `accounts`, as the platforms do:
Telegram `getMe`, Slack `auth.test`, the Bot Framework client-credentials token and Graph
`GET /{id}`. A credential nobody `register`ed is rejected there (sends accept any credential
unless told to `fail`), so a test says which credentials are genuine and whose they are."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit


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
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class FakePlatforms:
    requests: list[Recorded] = field(default_factory=list)
    jwks: dict[str, Any] = field(default_factory=lambda: {"keys": []})
    # credential -> the identifier it belongs to: a bot token -> its bot username, a Slack bot token ->
    # its team id, a Teams app password -> its app id, a Meta access token -> its phone number, page
    # or Instagram account id.
    accounts: dict[str, str] = field(default_factory=dict)
    tokens_issued: int = 0
    _failures: list[Failure] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_port}"

    def fail(
        self,
        path_part: str,
        status: int,
        body: dict[str, Any] | None = None,
        times: int = 1,
        headers: dict[str, str] | None = None,
    ) -> None:
        """The next `times` requests whose path contains `path_part` get `status` (and `headers`,
        e.g. a redirect's Location)."""
        with self._lock:
            self._failures.append(Failure(path_part, status, body or {"ok": False}, times, headers or {}))

    def register(self, credential: str, identifier: str) -> None:
        """`credential` is genuine and belongs to `identifier` (and to nothing else)."""
        with self._lock:
            self.accounts[credential] = identifier

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
                status, answer, extra = fake._respond(record)
                payload = json.dumps(answer).encode()
                self.send_response(status)
                for name, value in extra.items():
                    self.send_header(name, value)
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

    def _respond(self, record: Recorded) -> tuple[int, Any, dict[str, str]]:
        with self._lock:
            self.requests.append(record)
            for failure in self._failures:
                if failure.path_part in record.path and failure.times > 0:
                    failure.times -= 1
                    return failure.status, failure.body, failure.headers
        status, answer = self._answer(record)
        return status, answer, {}

    def _answer(self, record: Recorded) -> tuple[int, Any]:
        identity = self._identity(record)
        if identity is not None:
            return identity
        if record.path.endswith("/keys"):
            return 200, self.jwks
        if "/bot" in record.path:
            return 200, {"ok": True, "result": {"message_id": len(self.requests)}}
        if "chat.postMessage" in record.path:
            return 200, {"ok": True, "ts": "1700000000.000100"}
        return 200, {
            "messages": [{"id": f"wamid.{len(self.requests)}"}],
            "id": f"activity-{len(self.requests)}",
        }

    def _identity(self, record: Recorded) -> tuple[int, Any] | None:
        """The answers to the calls that prove whose a credential is; None for any other call."""
        path = urlsplit(record.path).path
        bearer = record.headers.get("authorization", "").removeprefix("Bearer ")
        with self._lock:
            if path.endswith("/teams/token"):
                form = {k: v[0] for k, v in parse_qs(record.body.decode()).items()}
                if self.accounts.get(form.get("client_secret", "")) != form.get("client_id"):
                    return 401, {"error": "invalid_client", "error_description": "AADSTS7000215"}
                self.tokens_issued += 1
                token = f"bot-framework-token-{self.tokens_issued}"
                return 200, {"access_token": token, "expires_in": 3600, "token_type": "Bearer"}
            if path.startswith("/telegram/bot") and path.endswith("/getMe"):
                token = path.removeprefix("/telegram/bot").removesuffix("/getMe")
                if token not in self.accounts:
                    return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
                return 200, {
                    "ok": True,
                    "result": {"id": 1, "is_bot": True, "username": self.accounts[token]},
                }
            if path.endswith("/slack/auth.test"):
                if bearer not in self.accounts:
                    return 200, {"ok": False, "error": "invalid_auth"}
                return 200, {"ok": True, "team_id": self.accounts[bearer], "user_id": "UBOT"}
            if path.startswith("/graph/") and record.method == "GET" and path.count("/") == 2:
                wanted = path.removeprefix("/graph/")
                if bearer not in self.accounts:
                    return 400, {"error": {"code": 190, "type": "OAuthException", "message": "Invalid token"}}
                if self.accounts[bearer] != wanted:
                    return 400, {
                        "error": {"code": 100, "type": "GraphMethodException", "message": "No access"}
                    }
                return 200, {"id": wanted}
        return None

    def environment(self) -> dict[str, str]:
        base = self.base_url
        return {
            "GRAPH_API_BASE_URL": f"{base}/graph",
            "TELEGRAM_API_BASE_URL": f"{base}/telegram",
            "SLACK_API_BASE_URL": f"{base}/slack",
            "TEAMS_TOKEN_URL": f"{base}/teams/token",
            "TEAMS_JWKS_URL": f"{base}/teams/keys",
            "TEAMS_ISSUER": "https://api.botframework.com",
            # Replies go only to Bot Framework hosts; here the fake is one.
            "TEAMS_SERVICE_HOSTS": urlsplit(base).netloc,
        }
