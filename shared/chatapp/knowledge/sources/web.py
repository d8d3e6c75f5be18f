"""The web crawler as a knowledge source: a start page or a sitemap, followed within one host.

* robots.txt (RFC 9309, read once a sync with Protego): its rules for BuzziBot decide what is
  fetched, its `Crawl-delay` lengthens the per-host pause, and its `Sitemap:` lines seed the sync.
  Unreachable (5xx, no answer) means "disallow all", as the RFC says; missing (4xx) allows all.
* Sitemaps, including sitemap indexes and gzip, are read with a pattern rather than an XML
  parser: nothing in them can expand entities or fetch anything.
* A page is stored under its canonical URL (when that is on the same host), with its main content
  only (`web_page.py`); `noindex` pages are not stored and `nofollow` pages' links not followed.
* Re-syncs send If-None-Match / If-Modified-Since from the stored change token.
"""

from __future__ import annotations

import html
import re
import zlib
from typing import Any
from urllib.parse import urljoin, urlsplit

from chatapp.knowledge.sources.connector import KnownPage, Page, SourceItem, SyncStart, Visit, VisitFailed
from chatapp.knowledge.sources.fetching import (
    HTML_TYPES,
    MAX_BYTES,
    TEXT_TYPES,
    XML_TYPES,
    Fetcher,
    HttpStatusError,
    host_of,
)
from chatapp.knowledge.sources.web_page import normalise_url, read_page

ROBOTS_AGENT = "BuzziBot"
_LOC = re.compile(r"<loc>\s*(.*?)\s*</loc>", re.IGNORECASE | re.DOTALL)
_ENTRY = re.compile(r"<(url|sitemap)>(.*?)</\1>", re.IGNORECASE | re.DOTALL)
_LASTMOD = re.compile(r"<lastmod>\s*(.*?)\s*</lastmod>", re.IGNORECASE | re.DOTALL)
_ROBOTS_TYPES = TEXT_TYPES | HTML_TYPES | frozenset({"application/octet-stream", ""})
_MAX_SITEMAP_ENTRIES = 50_000  # the sitemap protocol's own limit per file


def is_sitemap_url(url: str) -> bool:
    path = urlsplit(url).path.lower()
    return path.endswith((".xml", ".xml.gz")) or "sitemap" in path.rsplit("/", 1)[-1]


class WebSource:
    def __init__(self, start_url: str, fetcher: Fetcher, state: dict[str, Any] | None = None) -> None:
        self.start_url = normalise_url(start_url) or start_url
        self.host = host_of(self.start_url)
        self.fetcher = fetcher
        self.state = state or {}
        self._robots: Any = None

    # -- the sync's start -------------------------------------------------------------------
    def start(self) -> SyncStart:
        robots, mode = self._read_robots()
        state = {"robots": robots, "robots_mode": mode}
        self.state = state
        items = [SourceItem(self.start_url, "listing" if is_sitemap_url(self.start_url) else "page")]
        for sitemap in self._rules().sitemaps if mode == "rules" else ():
            url = normalise_url(urljoin(self.start_url, sitemap))
            if url and host_of(url) == self.host and url != self.start_url:
                items.append(SourceItem(url, "listing"))
        return SyncStart(items=items, state=state)

    def _read_robots(self) -> tuple[str, str]:
        parts = urlsplit(self.start_url)
        url = f"{parts.scheme}://{parts.netloc}/robots.txt"
        try:
            response = self.fetcher.get(url, accept=_ROBOTS_TYPES, stay_on=self.host)
        except HttpStatusError as error:
            if 400 <= error.status < 500:
                return "", "allow_all"
            raise VisitFailed(f"robots.txt could not be read ({error}): nothing is crawled") from None
        except VisitFailed as error:
            raise VisitFailed(f"robots.txt could not be read ({error}): nothing is crawled") from None
        return response.body[:500_000].decode("utf-8", "replace"), "rules"

    def crawl_delay(self) -> float:
        if self.state.get("robots_mode") != "rules":
            return 0.0
        return float(self._rules().crawl_delay(ROBOTS_AGENT) or 0.0)

    def _rules(self) -> Any:
        if self._robots is None:
            from protego import Protego

            self._robots = Protego.parse(self.state.get("robots", ""))
        return self._robots

    def allowed(self, url: str) -> bool:
        return self.state.get("robots_mode") != "rules" or bool(self._rules().can_fetch(url, ROBOTS_AGENT))

    # -- visits ---------------------------------------------------------------------------------
    def visit(self, item: SourceItem, known: KnownPage | None) -> Visit:
        if host_of(item.key) != self.host:
            return Visit(skipped=f"on another host ({host_of(item.key)})")
        if not self.allowed(item.key):
            return Visit(skipped="robots.txt disallows it")
        if item.kind == "listing":
            return self._sitemap(item.key)
        return self._page(item.key, known)

    def _sitemap(self, url: str) -> Visit:
        response = self.fetcher.get(url, accept=XML_TYPES | TEXT_TYPES, stay_on=self.host)
        body = response.body
        if body[:2] == b"\x1f\x8b":
            body = _gunzip(body)
        text = body.decode("utf-8", "replace")
        is_index = "<sitemapindex" in text[:2000].lower()
        items: list[SourceItem] = []
        for kind, entry in _ENTRY.findall(text)[:_MAX_SITEMAP_ENTRIES]:
            location = _LOC.search(entry)
            address = normalise_url(urljoin(url, html.unescape(location.group(1)))) if location else None
            if address is None or host_of(address) != self.host:
                continue
            lastmod = _LASTMOD.search(entry)
            hint = {"version": lastmod.group(1)} if lastmod else {}
            listing = is_index or kind.lower() == "sitemap"
            items.append(SourceItem(address, "listing" if listing else "page", hint))
        return Visit(items=tuple(items))

    def _page(self, url: str, known: KnownPage | None) -> Visit:
        headers = _conditional_headers(known.change_token if known else None)
        response = self.fetcher.get(url, accept=HTML_TYPES | TEXT_TYPES, headers=headers, stay_on=self.host)
        if response.status == 304:
            assert known is not None  # only a conditional request gets 304
            return Visit(not_modified=True, items=tuple(SourceItem(link, "page") for link in known.links))
        if response.content_type in TEXT_TYPES:
            body = f"<pre>{html.escape(response.body.decode('utf-8', 'replace'))}</pre>".encode()
            page = read_page(response.url, body, "text/html; charset=utf-8")
        else:
            page = read_page(response.url, response.body, response.headers.get("content-type", ""))
        links = (
            ()
            if page.nofollow
            else tuple(SourceItem(link, "page") for link in page.links if host_of(link) == self.host)
        )
        if page.noindex:
            return Visit(items=links, skipped="the page asks not to be indexed (noindex)")
        canonical = page.canonical if page.canonical and host_of(page.canonical) == self.host else None
        key = canonical or normalise_url(response.url) or response.url
        stored = Page(
            key=key,
            url=key,
            title=page.title,
            html=page.html,
            change_token=_change_token(response.headers),
        )
        return Visit(page=stored, items=links)


def _change_token(headers: dict[str, str]) -> str | None:
    if etag := headers.get("etag"):
        return f"etag:{etag}"[:500]
    if modified := headers.get("last-modified"):
        return f"modified:{modified}"[:500]
    return None


def _conditional_headers(token: str | None) -> dict[str, str]:
    if not token:
        return {}
    kind, _, value = token.partition(":")
    if kind == "etag":
        return {"If-None-Match": value}
    if kind == "modified":
        return {"If-Modified-Since": value}
    return {}


def _gunzip(body: bytes) -> bytes:
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(body, MAX_BYTES + 1)
    except zlib.error:
        raise VisitFailed("a gzip sitemap that does not unpack") from None
    if len(out) > MAX_BYTES:
        raise VisitFailed(f"a sitemap larger than {MAX_BYTES // (1024 * 1024)} MB unpacked")
    return out
