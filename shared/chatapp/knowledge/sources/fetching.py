"""Fetching a URL for a knowledge source: the crawler is an SSRF surface, so every hop is checked.

Every URL, the first and each redirect's target (followed here, by hand), passes
`integrations/public_urls.check_url` and the connection goes to the address that was checked
(`integrations/pinned_http.py`). A redirect to another host is not followed: a source stays on its
site. Limits: 5 redirects, 10 s and 5 MB a response (counted after decompression, so a small
gzip bomb is as large as it unpacks), and a content-type allowlist per request.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from chatapp.integrations.pinned_http import pinned_stream
from chatapp.integrations.public_urls import Resolver, UrlNotAllowed, check_url, resolve
from chatapp.knowledge.sources.connector import VisitFailed

if TYPE_CHECKING:
    import httpx

MAX_REDIRECTS = 5
TIMEOUT_SECONDS = 10.0
MAX_BYTES = 5 * 1024 * 1024
USER_AGENT = "BuzziBot/1.0 (+https://buzzi.ai/bot)"
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
TEXT_TYPES = frozenset({"text/plain"})
XML_TYPES = frozenset({"application/xml", "text/xml", "application/gzip", "application/x-gzip"})
JSON_TYPES = frozenset({"application/json"})
_REDIRECTS = frozenset({301, 302, 303, 307, 308})


class HostChanged(VisitFailed):
    """A redirect pointed at another host: not followed (recorded as skipped)."""

    outcome = "skipped"


class HttpStatusError(VisitFailed):
    """The server answered with an error status."""

    def __init__(self, status: int) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status


@dataclass(frozen=True)
class Response:
    url: str  # after redirects
    status: int  # 200, or 304 for a conditional request that found nothing new
    headers: dict[str, str]  # lower-case names
    body: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";", 1)[0].strip().lower()


def host_of(url: str) -> str:
    """host[:port] as a source compares hosts (a port is part of the site)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    return f"{host}:{parts.port}" if parts.port else host


@lru_cache(maxsize=1)
def _client() -> httpx.Client:
    import httpx

    return httpx.Client(timeout=TIMEOUT_SECONDS, follow_redirects=False, headers={"user-agent": USER_AGENT})


@dataclass
class Fetcher:
    """GETs within the rules. `pace(host)` waits for the host's turn (the shared politeness clock);
    tests give `client` a network that maps a public address to loopback and a `resolver`."""

    allow_http: bool
    allow_loopback: bool
    pace: Callable[[str], None] = field(default=lambda host: None)
    client: Any = None
    resolver: Resolver = resolve

    def get(
        self,
        url: str,
        *,
        accept: frozenset[str],
        headers: dict[str, str] | None = None,
        stay_on: str | None = None,
    ) -> Response:
        """The response to GET `url` (status 200 or 304), or VisitFailed with a readable reason.
        `stay_on`: the host[:port] redirects may not leave."""
        import httpx

        client = self.client or _client()
        for _ in range(MAX_REDIRECTS + 1):
            target = self._check(url)
            if stay_on is not None and host_of(url) != stay_on:
                raise HostChanged(f"moved to another host ({host_of(url)}): not followed")
            self.pace(host_of(url))
            try:
                with pinned_stream(client, "GET", target, headers=headers) as response:
                    if response.status_code in _REDIRECTS:
                        location = response.headers.get("location")
                        if not location:
                            raise VisitFailed(f"HTTP {response.status_code} without a Location")
                        url = urljoin(url, location)
                        continue
                    return self._read(url, response, accept)
            except httpx.TimeoutException:
                raise VisitFailed(f"no answer within {TIMEOUT_SECONDS:g} s") from None
            except httpx.HTTPError as error:
                raise VisitFailed(f"connection failed ({type(error).__name__})") from None
        raise VisitFailed(f"more than {MAX_REDIRECTS} redirects")

    def _check(self, url: str) -> Any:
        try:
            return check_url(
                url,
                allow_http=self.allow_http,
                allow_loopback=self.allow_loopback,
                resolver=self.resolver,
                kind="source",
            )
        except UrlNotAllowed as refused:
            raise VisitFailed(f"address not allowed ({refused.code}): {refused}") from None

    @staticmethod
    def _read(url: str, response: httpx.Response, accept: frozenset[str]) -> Response:
        headers = {name.lower(): value for name, value in response.headers.items()}
        if response.status_code == 304:
            return Response(url=url, status=304, headers=headers, body=b"")
        if response.status_code != 200:
            raise HttpStatusError(response.status_code)
        content_type = headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if content_type not in accept:
            raise VisitFailed(f"content type {content_type or 'unknown'} is not one we read")
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_BYTES:
            raise VisitFailed(f"larger than {MAX_BYTES // (1024 * 1024)} MB")
        deadline = time.monotonic() + TIMEOUT_SECONDS
        body = bytearray()
        for piece in response.iter_bytes():
            body += piece
            if len(body) > MAX_BYTES:
                raise VisitFailed(f"larger than {MAX_BYTES // (1024 * 1024)} MB")
            if time.monotonic() > deadline:
                raise VisitFailed(f"took longer than {TIMEOUT_SECONDS:g} s to download")
        return Response(url=url, status=200, headers=headers, body=bytes(body))
