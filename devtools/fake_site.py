"""A website on loopback for the crawler's tests and `./run bench-sources`: pages, robots.txt,
sitemaps, redirects, ETags and 304s, an optional delay per page, and a log of every request.

Pages are set and changed while it runs (`site.pages[path] = html`); a page removed from `pages`
answers 404. Each page's ETag is a hash of its current body, so a conditional request gets 304
exactly when the page is unchanged.
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    at: float


@dataclass
class FakeSite:
    pages: dict[str, str] = field(default_factory=dict)  # path -> HTML
    robots: str | None = None  # None: 404
    sitemaps: dict[str, str] = field(default_factory=dict)  # path -> XML
    redirects: dict[str, str] = field(default_factory=dict)  # path -> Location
    delay_seconds: float = 0.0  # before answering a page (not robots.txt or sitemaps)
    etags: bool = True
    requests: list[Request] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FakeSite:
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                with site._lock:
                    site.requests.append(Request(self.path, dict(self.headers.items()), time.monotonic()))
                site._answer(self)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._server.handle_error = lambda request, address: None  # a client that hung up: not news
        threading.Thread(target=self._server.serve_forever, daemon=True, name="fake-site").start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def requested(self, path: str) -> list[Request]:
        with self._lock:
            return [r for r in self.requests if r.path == path]

    def _answer(self, handler: BaseHTTPRequestHandler) -> None:
        path = handler.path
        if path in self.redirects:
            return _send(handler, 302, b"", {"Location": self.redirects[path]})
        if path == "/robots.txt":
            if self.robots is None:
                return _send(handler, 404, b"not found", {"Content-Type": "text/plain"})
            return _send(handler, 200, self.robots.encode(), {"Content-Type": "text/plain"})
        if path in self.sitemaps:
            return _send(handler, 200, self.sitemaps[path].encode(), {"Content-Type": "application/xml"})
        page = self.pages.get(path)
        if page is None:
            return _send(handler, 404, b"<h1>Not found</h1>", {"Content-Type": "text/html"})
        if self.delay_seconds:
            time.sleep(self.delay_seconds)
        body = page.encode()
        headers = {"Content-Type": "text/html; charset=utf-8"}
        if self.etags:
            etag = f'"{hashlib.sha256(body).hexdigest()[:16]}"'
            headers["ETag"] = etag
            if handler.headers.get("If-None-Match") == etag:
                return _send(handler, 304, b"", {"ETag": etag})
        return _send(handler, 200, body, headers)


def _send(handler: BaseHTTPRequestHandler, status: int, body: bytes, headers: dict[str, str]) -> None:
    handler.send_response(status)
    for name, value in headers.items():
        handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    if body:
        handler.wfile.write(body)


_SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"


def sitemap(urls: list[str], lastmod: dict[str, str] | None = None) -> str:
    """`lastmod`: URL -> its <lastmod> (what real sitemaps say of each page's last change)."""
    dates = lastmod or {}
    entries = "".join(
        f"<url><loc>{u}</loc>{f'<lastmod>{dates[u]}</lastmod>' if u in dates else ''}</url>" for u in urls
    )
    return f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="{_SITEMAP_NS}">{entries}</urlset>'


def sitemap_index(urls: list[str]) -> str:
    entries = "".join(f"<sitemap><loc>{u}</loc></sitemap>" for u in urls)
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><sitemapindex xmlns="{_SITEMAP_NS}">{entries}</sitemapindex>'
    )


def page(title: str, body: str, *, links: tuple[str, ...] = (), canonical: str | None = None) -> str:
    """A page with the chrome a real site has around its content (navigation, header, footer)."""
    nav = "".join(f'<a href="{link}">{link}</a> ' for link in links)
    head = f'<link rel="canonical" href="{canonical}">' if canonical else ""
    return (
        f"<!DOCTYPE html><html><head><title>{title}</title>{head}</head><body>"
        f'<header><a href="/">Acme Help</a><nav>{nav}</nav></header>'
        f"<main><h1>{title}</h1>{body}</main>"
        "<footer>Copyright Acme Corporation. Cookie settings. Careers.</footer></body></html>"
    )
