"""One crawled HTML page: its main content as clean HTML, its title, canonical URL and links.

Main-content extraction keeps what a reader came for and drops the site's chrome, which repeats on
every page and would otherwise be indexed hundreds of times:

* with a `<main>`, `<article>` or `role="main"` region, only that region is kept;
* otherwise the whole body less `<nav>`, `<header>`, `<footer>`, `<aside>`, forms and the ARIA
  landmarks of the same meaning (`navigation`, `banner`, `contentinfo`, `complementary`, `search`).

The clean HTML keeps headings, paragraphs, lists, tables and `<pre>` without attributes, so the
knowledge pipeline's own HTML reader indexes it (sections under their headings) and the content
hash changes only when the text a customer would read does.
"""

from __future__ import annotations

import hashlib
import html
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit, urlunsplit

_DROPPED = frozenset({"script", "style", "noscript", "template", "svg", "iframe", "object", "canvas"})
_CHROME = frozenset({"nav", "header", "footer", "aside", "form", "dialog"})
_CHROME_ROLES = frozenset({"navigation", "banner", "contentinfo", "complementary", "search"})
_MAIN = frozenset({"main", "article"})
_KEPT = frozenset(
    {
        "h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "ul", "ol", "dl", "dt", "dd", "table", "thead",
        "tbody", "tfoot", "tr", "td", "th", "caption", "blockquote", "pre", "code", "br", "hr", "section",
        "div", "figure", "figcaption", "details", "summary", "address", "main", "article",
    }
)  # fmt: skip
_TAG = re.compile(r"<[^>]*>")
_VOID = frozenset(
    {"br", "hr", "img", "input", "meta", "link", "area", "base", "col", "embed", "source", "wbr"}
)


@dataclass
class WebPage:
    title: str | None
    canonical: str | None
    links: list[str] = field(default_factory=list)
    noindex: bool = False
    nofollow: bool = False
    html: bytes = b""
    text_length: int = 0

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.html).hexdigest()


def decode(body: bytes, content_type_header: str) -> str:
    charset = next(
        (p.split("=", 1)[1].strip().strip('"') for p in content_type_header.split(";") if "charset=" in p),
        None,
    )
    for encoding in (charset, "utf-8", "cp1252"):
        if not encoding:
            continue
        try:
            return body.decode(encoding)
        except (LookupError, UnicodeDecodeError):
            continue
    return body.decode("latin-1")


def normalise_url(url: str) -> str | None:
    """An http(s) URL without its fragment, with a lower-case scheme and host; None otherwise."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    default = 443 if parts.scheme.lower() == "https" else 80
    netloc = host if port in (None, default) else f"{host}:{port}"
    return urlunsplit((parts.scheme.lower(), netloc, parts.path or "/", parts.query, ""))


def read_page(url: str, body: bytes, content_type_header: str = "") -> WebPage:
    reader = _PageReader()
    reader.feed(decode(body, content_type_header))
    reader.close()
    base = reader.base or url
    canonical = normalise_url(urljoin(base, reader.canonical)) if reader.canonical else None
    links = []
    for href in reader.links:
        absolute = normalise_url(urljoin(base, href))
        if absolute is not None:
            links.append(absolute)
    main = reader.main_html()
    title = reader.title or reader.first_h1
    document = (
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        f"<title>{html.escape(title or '')}</title></head><body>{main}</body></html>"
    )
    return WebPage(
        title=title,
        canonical=canonical,
        links=list(dict.fromkeys(links)),
        noindex=reader.noindex,
        nofollow=reader.nofollow,
        html=document.encode(),
        text_length=reader.text_length(),
    )


class _PageReader(HTMLParser):
    """One pass: the whole body less chrome, and separately whatever lies inside main regions."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.title: str | None = None
        self.first_h1: str | None = None
        self.canonical: str | None = None
        self.base: str | None = None
        self.links: list[str] = []
        self.noindex = False
        self.nofollow = False
        self._body: list[str] = []
        self._main: list[str] = []
        self._stack: list[tuple[str, bool, bool]] = []  # (tag, drops, opens main)
        self._dropping = 0
        self._in_main = 0
        self._title: list[str] | None = None
        self._h1: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "meta" and values.get("name", "").lower() == "robots":
            directives = {d.strip().lower() for d in values.get("content", "").split(",")}
            self.noindex = self.noindex or bool(directives & {"noindex", "none"})
            self.nofollow = self.nofollow or bool(directives & {"nofollow", "none"})
        elif tag == "link" and "canonical" in values.get("rel", "").lower().split():
            self.canonical = self.canonical or values.get("href") or None
        elif tag == "base" and self.base is None and values.get("href"):
            self.base = values["href"]
        elif tag == "title" and self.title is None:
            self._title = []
        if tag == "a" and values.get("href") and "nofollow" not in values.get("rel", "").lower().split():
            self.links.append(values["href"])
        if tag in _VOID:
            if tag in ("br", "hr") and not self._dropping:
                self._emit(f"<{tag}>")
            return
        role = values.get("role", "").lower()
        drops = tag in _DROPPED or tag in _CHROME or role in _CHROME_ROLES
        opens_main = tag in _MAIN or role == "main"
        self._stack.append((tag, drops, opens_main))
        self._dropping += drops
        self._in_main += opens_main
        if tag == "h1" and self.first_h1 is None:
            self._h1 = []
        if tag in _KEPT and not self._dropping:
            self._emit(f"<{tag}>")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title" and self._title is not None:
            self.title = " ".join("".join(self._title).split()) or None
            self._title = None
        if tag not in {entry[0] for entry in self._stack}:
            return  # a stray end tag: nothing to close
        while self._stack:
            open_tag, drops, opens_main = self._stack.pop()
            if open_tag in _KEPT and not self._dropping:
                self._emit(f"</{open_tag}>")
            self._dropping -= drops
            self._in_main -= opens_main
            if open_tag == "h1" and self._h1 is not None:
                self.first_h1 = " ".join("".join(self._h1).split()) or None
                self._h1 = None
            if open_tag == tag:
                break

    def handle_data(self, data: str) -> None:
        if self._title is not None:
            self._title.append(data)
            return
        if self._dropping or not self._stack:
            return
        if self._h1 is not None:
            self._h1.append(data)
        self._emit(html.escape(data, quote=False))

    def _emit(self, piece: str) -> None:
        self._body.append(piece)
        if self._in_main:
            self._main.append(piece)

    def main_html(self) -> str:
        main = "".join(self._main)
        return main if _visible_length(main) >= 1 else "".join(self._body)

    def text_length(self) -> int:
        return _visible_length(self.main_html())


def _visible_length(markup: str) -> int:
    return len(_TAG.sub("", markup).strip())
