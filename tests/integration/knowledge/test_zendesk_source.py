"""The Zendesk Help Center connector against a fake help centre: cursor pagination, drafts left
out, credentials sealed and sent, and re-syncs that fetch only articles whose `updated_at` moved."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from chatapp.db.models.knowledge import KnowledgeFile, KnowledgeSource
from chatapp.knowledge.sources import zendesk
from devtools.fake_zendesk import FakeZendesk
from tests.integration.knowledge.sources import Queues, allow_web_sources
from tests.integration.stack import KnowledgeTenant

ARTICLES = {
    1: ("Resetting your password", "<p>Use the Forgot password link on the sign-in page.</p>"),
    2: ("Changing your plan", "<p>Plans change from Settings, Billing, at the end of the month.</p>"),
    3: ("Exporting invoices", "<p>Invoices export as PDF from the Billing page.</p>"),
    4: ("Two-factor sign-in", "<p>Turn on two-factor sign-in under Security with an authenticator app.</p>"),
}


@pytest.fixture
def help_centre(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeZendesk]:
    monkeypatch.setattr(zendesk, "PAGE_SIZE", 2)  # three listing pages for five articles
    fake = FakeZendesk(credentials=("admin@acme.example", "zd-token-123")).start()
    for article_id, (title, body) in ARTICLES.items():
        fake.add(article_id, title, body, "2026-11-01T10:00:00Z")
    fake.add(5, "Unreleased feature", "<p>Secret roadmap.</p>", "2026-11-02T10:00:00Z", draft=True)
    yield fake
    fake.stop()


def _sync(tenant: KnowledgeTenant, source_id: str, queues: Queues) -> dict[str, Any]:
    assert tenant.call("POST", f"/v1/knowledge/sources/{source_id}/syncs").status == 202
    queues.run()
    return tenant.call("GET", f"/v1/knowledge/sources/{source_id}").body["last_sync"]


def _titles(owner_engine: Engine, source_id: str) -> dict[str, str]:
    with Session(owner_engine) as db:
        rows = db.execute(
            select(KnowledgeFile.source_key, KnowledgeFile.title).where(KnowledgeFile.source_id == source_id)
        ).all()
    return {key: title for key, title in rows}


def test_a_help_centre_is_synced_and_only_changed_articles_are_fetched_again(
    tenant: KnowledgeTenant, owner_engine: Engine, help_centre: FakeZendesk, queues: Queues
) -> None:
    allow_web_sources(owner_engine, tenant)
    category = tenant.category("Help centre")
    tenant.assign(category)
    created = tenant.call(
        "POST",
        "/v1/knowledge/sources",
        json_body={
            "name": "Acme help centre",
            "kind": "zendesk",
            "url": help_centre.url,
            "category_id": category,
            "allow_http": True,
            "schedule": "daily",
            "zendesk_email": "admin@acme.example",
            "zendesk_api_token": "zd-token-123",
        },
    )
    assert created.status == 201, created.body
    assert created.body["has_credentials"] and "zd-token-123" not in str(created.body)
    with Session(owner_engine) as db:
        sealed = db.scalar(
            select(KnowledgeSource.credentials).where(KnowledgeSource.id == created.body["id"])
        )
    assert sealed and "zd-token-123" not in sealed  # stored sealed, never in the clear
    source_id = created.body["id"]
    queues.run()

    first = tenant.call("GET", f"/v1/knowledge/sources/{source_id}").body["last_sync"]
    assert (first["status"], first["new"], first["failed"]) == ("completed", 4, 0)
    assert _titles(owner_engine, source_id) == {f"article:{i}": title for i, (title, _) in ARTICLES.items()}
    assert len(help_centre.article_fetches()) == 4  # the draft was never fetched
    [best, *_] = tenant.retrieve("How do I export my invoices?")
    assert "export as PDF" in best["text"] and best["url"] == f"{help_centre.url}/hc/en-us/articles/3"

    # One article changes, one is deleted: only the changed one is fetched again.
    help_centre.add(
        2, "Changing your plan", "<p>Plans now change at once, pro rata.</p>", "2026-12-01T08:00:00Z"
    )
    del help_centre.articles[4]
    help_centre.requests.clear()
    second = _sync(tenant, source_id, queues)
    assert (second["new"], second["changed"], second["unchanged"], second["removed"]) == (0, 1, 2, 0)
    assert help_centre.article_fetches() == ["/api/v2/help_center/articles/2.json"]
    [best, *_] = tenant.retrieve("When does a plan change take effect?")
    assert "pro rata" in best["text"]

    third = _sync(tenant, source_id, queues)
    assert (third["unchanged"], third["removed"]) == (3, 1)
    assert "article:4" not in _titles(owner_engine, source_id)


def test_wrong_credentials_fail_the_listing_with_a_reason(
    tenant: KnowledgeTenant, owner_engine: Engine, help_centre: FakeZendesk, queues: Queues
) -> None:
    allow_web_sources(owner_engine, tenant)
    category = tenant.category("Help centre")
    created = tenant.call(
        "POST",
        "/v1/knowledge/sources",
        json_body={
            "name": "Acme",
            "kind": "zendesk",
            "url": help_centre.url,
            "category_id": category,
            "allow_http": True,
            "zendesk_email": "admin@acme.example",
            "zendesk_api_token": "wrong",
        },
    )
    assert created.status == 201, created.body
    queues.run()
    sync = tenant.call("GET", f"/v1/knowledge/sources/{created.body['id']}").body["last_sync"]
    items = tenant.call(
        "GET", f"/v1/knowledge/sources/{created.body['id']}/syncs/{sync['id']}/items?outcome=failed"
    ).body["items"]
    assert [(i["kind"], i["reason"]) for i in items] == [("listing", "HTTP 401")]
    assert sync["status"] == "completed" and sync["new"] == 0

    half = tenant.call(
        "POST",
        "/v1/knowledge/sources",
        json_body={
            "name": "x",
            "kind": "zendesk",
            "url": help_centre.url,
            "category_id": category,
            "allow_http": True,
            "zendesk_email": "admin@acme.example",
        },
    )
    assert (half.status, half.body["error"]["code"]) == (400, "zendesk_credentials_incomplete")
