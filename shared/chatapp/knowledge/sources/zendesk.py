"""Zendesk Help Center articles as a knowledge source.

Listing: `GET /api/v2/help_center[/{locale}]/articles.json?page[size]=100`, cursor pagination
(`meta.has_more`, `links.next`); each listing page is one item, so a large help centre fans out
like a website. Each published article is a page item keyed `article:{id}` whose change token is
its `updated_at`: an article whose `updated_at` equals the stored one is not fetched at all.
Fetching: `GET /api/v2/help_center/articles/{id}.json`. Drafts are left out.

Public help centres need no credentials; a restricted one takes an agent's e-mail and API token
(HTTP Basic `{email}/token:{api_token}`), stored sealed on the source.
"""

from __future__ import annotations

import base64
import html
import json
from typing import Any
from urllib.parse import urlsplit

from chatapp.db.models.knowledge import KnowledgeSource
from chatapp.integrations import secret_box
from chatapp.knowledge.sources.connector import KnownPage, Page, SourceItem, SyncStart, Visit, VisitFailed
from chatapp.knowledge.sources.fetching import JSON_TYPES, Fetcher, host_of
from chatapp.knowledge.sources.web_page import read_page

PAGE_SIZE = 100


def credentials_context(company_id: Any, source_id: Any) -> dict[str, str]:
    return {"purpose": "knowledge_source", "company_id": str(company_id), "source_id": str(source_id)}


class ZendeskSource:
    def __init__(self, base_url: str, fetcher: Fetcher, *, locale: str | None, auth: str | None) -> None:
        parts = urlsplit(base_url)
        self.base = f"{parts.scheme}://{parts.netloc}"
        self.host = host_of(self.base)
        self.fetcher = fetcher
        self.locale = locale
        self.headers = {"Authorization": f"Basic {auth}"} if auth else {}

    @classmethod
    def for_source(cls, source: KnowledgeSource, fetcher: Fetcher) -> ZendeskSource:
        auth = None
        if source.credentials:
            secret = json.loads(
                secret_box.open_sealed(source.credentials, credentials_context(source.company_id, source.id))
            )
            auth = base64.b64encode(f"{secret['email']}/token:{secret['api_token']}".encode()).decode()
        locale = (source.settings or {}).get("locale")
        return cls(source.start_url, fetcher, locale=locale, auth=auth)

    def start(self) -> SyncStart:
        scope = f"/{self.locale}" if self.locale else ""
        first = f"{self.base}/api/v2/help_center{scope}/articles.json?page[size]={PAGE_SIZE}"
        return SyncStart(items=[SourceItem(first, "listing")])

    def visit(self, item: SourceItem, known: KnownPage | None) -> Visit:
        if item.kind == "listing":
            return self._listing(item.key)
        if known is not None and known.change_token and known.change_token == item.hint.get("version"):
            return Visit(not_modified=True)  # the listing said so: no request at all
        article_id = item.key.removeprefix("article:")
        answer = self._json(f"{self.base}/api/v2/help_center/articles/{article_id}.json")
        article = answer.get("article") or {}
        title = str(article.get("title") or "")
        body = f"<h1>{html.escape(title)}</h1>{article.get('body') or ''}".encode()
        page = read_page(str(article.get("html_url") or self.base), body, "text/html; charset=utf-8")
        return Visit(
            page=Page(
                key=item.key,
                url=str(article.get("html_url") or item.hint.get("html_url") or self.base),
                title=title or page.title,
                html=page.html,
                change_token=str(article.get("updated_at") or "") or None,
            )
        )

    def _listing(self, url: str) -> Visit:
        answer = self._json(url)
        items: list[SourceItem] = []
        for article in answer.get("articles") or []:
            if article.get("draft") or "id" not in article:
                continue
            hint = {"version": article.get("updated_at"), "html_url": article.get("html_url")}
            items.append(SourceItem(f"article:{article['id']}", "page", hint))
        following = (answer.get("links") or {}).get("next")
        if (answer.get("meta") or {}).get("has_more") and following:
            if host_of(following) != self.host:
                raise VisitFailed("the next page of articles is on another host: not followed")
            items.append(SourceItem(following, "listing"))
        return Visit(items=tuple(items))

    def _json(self, url: str) -> dict[str, Any]:
        response = self.fetcher.get(url, accept=JSON_TYPES, headers=self.headers, stay_on=self.host)
        try:
            answer = json.loads(response.body)
        except ValueError:
            raise VisitFailed("Zendesk answered with something that is not JSON") from None
        if not isinstance(answer, dict):
            raise VisitFailed("Zendesk answered with an unexpected shape")
        return answer
