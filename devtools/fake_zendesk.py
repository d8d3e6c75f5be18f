"""A Zendesk Help Center on loopback: `/api/v2/help_center[/{locale}]/articles.json` with cursor
pagination (`page[size]`, `page[after]`, `meta.has_more`, `links.next`) and
`/api/v2/help_center/articles/{id}.json`, optionally behind HTTP Basic `{email}/token:{token}`.
Articles are changed while it runs; every request is logged."""

from __future__ import annotations

import base64
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class FakeZendesk:
    articles: dict[int, dict[str, Any]] = field(default_factory=dict)  # id -> article
    credentials: tuple[str, str] | None = None  # (email, api token) required when set
    requests: list[str] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def add(self, article_id: int, title: str, body: str, updated_at: str, *, draft: bool = False) -> None:
        self.articles[article_id] = {
            "id": article_id,
            "url": f"{self.url}/api/v2/help_center/en-us/articles/{article_id}.json",
            "html_url": f"{self.url}/hc/en-us/articles/{article_id}",
            "title": title,
            "body": body,
            "locale": "en-us",
            "draft": draft,
            "updated_at": updated_at,
        }

    def start(self) -> FakeZendesk:
        zendesk = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                with zendesk._lock:
                    zendesk.requests.append(self.path)
                status, answer = zendesk._answer(self.path, self.headers.get("Authorization"))
                body = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._server.handle_error = lambda request, address: None  # a client that hung up: not news
        threading.Thread(target=self._server.serve_forever, daemon=True, name="fake-zendesk").start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def article_fetches(self) -> list[str]:
        with self._lock:
            return [p for p in self.requests if "/articles/" in p and "articles.json" not in p]

    def _answer(self, path: str, authorization: str | None) -> tuple[int, dict[str, Any]]:
        if self.credentials is not None:
            email, token = self.credentials
            expected = "Basic " + base64.b64encode(f"{email}/token:{token}".encode()).decode()
            if authorization != expected:
                return 401, {"error": "Couldn't authenticate you"}
        parts = urlsplit(path)
        if parts.path.endswith("/articles.json"):
            query = parse_qs(parts.query)
            size = int((query.get("page[size]") or ["100"])[0])
            after = int((query.get("page[after]") or ["0"])[0])
            ids = sorted(i for i in self.articles if i > after)
            chunk = ids[:size]
            more = len(ids) > size
            following = f"{self.url}{parts.path}?page[size]={size}&page[after]={chunk[-1]}" if more else None
            return 200, {
                "articles": [self.articles[i] for i in chunk],
                "meta": {"has_more": more, "after_cursor": str(chunk[-1]) if chunk else None},
                "links": {"next": following},
            }
        if "/articles/" in parts.path and parts.path.endswith(".json"):
            article_id = int(parts.path.rsplit("/", 1)[-1].removesuffix(".json"))
            if article_id not in self.articles:
                return 404, {"error": "RecordNotFound"}
            return 200, {"article": self.articles[article_id]}
        return 404, {"error": "InvalidEndpoint"}
