"""The seam a knowledge source plugs into: list items, fetch an item, and a change token.

A sync visits items one queue message each, so a large site fans out across invocations. An item
is either a *listing* (a sitemap, a page of an API's article list) that names more items, or a
*page* that becomes one knowledge file. Visiting a page may also name more items (a web page's
links). The sync engine (`syncs.py`) owns everything else: de-duplication, the page limit, include
and exclude patterns, storing pages, counting outcomes and removing pages that disappeared.

A connector is small. A Notion, Confluence or Zendesk Guide connector implements `start` (the
first items) and `visit` (read one item), is built with the sync's state, and says, per page, a
`change_token` that changes when the page does (Zendesk's `updated_at`, an ETag);
`docs/knowledge-sources.md` walks through one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

ItemKind = Literal["page", "listing"]


@dataclass(frozen=True)
class SourceItem:
    """Something to visit. `key` is unique within the source (a URL, or the connector's own id);
    `hint` is what a listing already knows of it: `version` (a sitemap's lastmod, an article's
    updated_at) lets a re-sync that finds the version it keeps skip the page without a request."""

    key: str
    kind: ItemKind
    hint: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class KnownPage:
    """What the last sync stored for a page: lets a visit ask "changed since?" cheaply, and still
    name the page's links when the answer is "no" (a 304 has no body to read them from)."""

    change_token: str | None
    content_hash: str | None
    links: tuple[str, ...] = ()


@dataclass(frozen=True)
class Page:
    """A page to keep as a knowledge file. `html` is the page's main content as clean HTML (what is
    stored and indexed); `key` may differ from the item's (a canonical URL)."""

    key: str
    url: str
    title: str | None
    html: bytes
    change_token: str | None


@dataclass(frozen=True)
class Visit:
    """What visiting an item found: a page (or `not_modified` when the source said it has not
    changed), more items to visit, or `skipped` with the reason when a rule kept it out."""

    page: Page | None = None
    not_modified: bool = False
    items: tuple[SourceItem, ...] = ()
    skipped: str | None = None


class VisitFailed(Exception):
    """This item cannot be read now (an HTTP error, a timeout, a page too large): recorded on the
    item with the message as its reason; the sync goes on."""

    outcome = "failed"


@dataclass(frozen=True)
class SyncStart:
    """The first items of a sync, and the state every visit of this sync is given (for the web,
    robots.txt's rules, read once rather than once a page)."""

    items: list[SourceItem]
    state: dict[str, Any] = field(default_factory=dict)


class KnowledgeSource(Protocol):
    def start(self) -> SyncStart:
        """Begin a sync (may fetch: robots.txt, the first page of a listing API)."""
        ...

    def visit(self, item: SourceItem, known: KnownPage | None) -> Visit:
        """Read one item. `known` is the stored version of a page item, if any."""
        ...
