"""Web sources (issue #21): a site crawled into a category through the real crawl and ingest
workers, re-synced with conditional requests, and kept within its host, robots.txt and limits."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import pairwise
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from chatapp.db.models.knowledge import KnowledgeFile
from devtools.fake_site import FakeSite, page, sitemap
from tests.integration.knowledge.sources import Queues, allow_web_sources
from tests.integration.stack import KnowledgeTenant, LocalAws

RETURNS = "You can return unworn shoes within 30 days of delivery for a full refund of the price."
SHIPPING = "Standard shipping to Norway takes five working days; express shipping takes two."
WARRANTY = "Every kettle carries a two year warranty covering the heating element and the thermostat."
PRIVATE = "Staff discount codes are listed here for employees only."


@pytest.fixture
def site() -> Iterator[FakeSite]:
    fake = FakeSite().start()
    fake.robots = "User-agent: *\nDisallow: /private/\n"
    fake.pages = {
        "/help/": page(
            "Help centre",
            "<p>Browse our guides.</p>",
            links=("/help/returns", "/help/shipping", "/private/codes"),
        ),
        "/help/returns": page("Returns", f"<p>{RETURNS}</p>", links=("/help/", "/help/warranty")),
        "/help/shipping": page("Shipping", f"<p>{SHIPPING}</p>", links=("/help/",)),
        "/help/warranty": page("Warranty", f"<p>{WARRANTY}</p>"),
        "/private/codes": page("Codes", f"<p>{PRIVATE}</p>"),
    }
    yield fake
    fake.stop()


@pytest.fixture
def web_tenant(owner_engine: Engine, tenant: KnowledgeTenant) -> KnowledgeTenant:
    allow_web_sources(owner_engine, tenant)
    return tenant


def _create(tenant: KnowledgeTenant, url: str, **extra: Any) -> dict[str, Any]:
    category = extra.pop("category_id", None) or tenant.category(f"Site {len(url)}")
    tenant.assign(category)
    response = tenant.call(
        "POST",
        "/v1/knowledge/sources",
        json_body={"name": "Help site", "url": url, "category_id": category, "allow_http": True, **extra},
    )
    assert response.status == 201, response.body
    return response.body


def _source(tenant: KnowledgeTenant, source_id: str) -> dict[str, Any]:
    response = tenant.call("GET", f"/v1/knowledge/sources/{source_id}")
    assert response.status == 200, response.body
    return response.body


def _items(tenant: KnowledgeTenant, source: dict[str, Any], **query: str) -> list[dict[str, Any]]:
    sync = _source(tenant, source["id"])["last_sync"]
    suffix = "&".join(f"{k}={v}" for k, v in query.items())
    response = tenant.call("GET", f"/v1/knowledge/sources/{source['id']}/syncs/{sync['id']}/items?{suffix}")
    assert response.status == 200, response.body
    return response.body["items"]


def _files(owner_engine: Engine, source_id: str) -> dict[str, KnowledgeFile]:
    with Session(owner_engine) as db:
        rows = db.scalars(select(KnowledgeFile).where(KnowledgeFile.source_id == source_id)).all()
        db.expunge_all()
    return {row.source_key or "": row for row in rows}


def test_a_site_is_crawled_into_its_category_and_answers_cite_the_page(
    web_tenant: KnowledgeTenant, site: FakeSite, queues: Queues, owner_engine: Engine
) -> None:
    source = _create(web_tenant, f"{site.url}/help/")
    assert source["last_sync"]["status"] == "running"
    queues.run()

    sync = _source(web_tenant, source["id"])["last_sync"]
    assert sync["status"] == "completed", sync
    assert (sync["new"], sync["changed"], sync["unchanged"], sync["skipped"]) == (4, 0, 0, 1)
    files = _files(owner_engine, source["id"])
    assert set(files) == {f"{site.url}/help/{p}" for p in ("", "returns", "shipping", "warranty")}
    returns = files[f"{site.url}/help/returns"]
    assert (returns.title, returns.status.value, returns.source_url) == (
        "Returns",
        "indexed",
        f"{site.url}/help/returns",
    )
    assert returns.change_token and returns.change_token.startswith("etag:") and returns.last_synced_at

    # robots.txt: the private page was never fetched, and the console says why it is missing.
    assert site.requested("/private/codes") == []
    skipped = _items(web_tenant, source, outcome="skipped")
    assert [(i["key"], i["reason"]) for i in skipped] == [
        (f"{site.url}/private/codes", "robots.txt disallows it")
    ]

    # The page's content is found and cited with its URL; the site's chrome is not indexed.
    [best, *_] = web_tenant.retrieve("How long do I have to send shoes back?")
    assert RETURNS in best["text"] and best["url"] == f"{site.url}/help/returns"
    assert all("Cookie settings" not in hit["text"] for hit in web_tenant.retrieve("cookie settings careers"))


def test_a_resync_reembeds_only_changed_pages_and_removes_a_page_after_two_misses(
    web_tenant: KnowledgeTenant, site: FakeSite, queues: Queues, owner_engine: Engine
) -> None:
    source = _create(web_tenant, f"{site.url}/help/")
    queues.run()
    before = _files(owner_engine, source["id"])

    site.pages["/help/shipping"] = page(
        "Shipping", "<p>Shipping to Norway now takes three working days.</p>", links=("/help/",)
    )
    del site.pages["/help/warranty"]
    site.requests.clear()
    assert web_tenant.call("POST", f"/v1/knowledge/sources/{source['id']}/syncs").status == 202
    delivered = queues.run()

    sync = _source(web_tenant, source["id"])["last_sync"]
    # failed: the warranty page, and the site's root that every header links to (never there)
    assert (sync["status"], sync["new"], sync["changed"], sync["unchanged"], sync["failed"]) == (
        "completed",
        0,
        1,
        2,
        2,
    )
    assert sync["removed"] == 0  # one miss is not enough: a page may be down for a moment
    # Conditional requests: the unchanged pages answered 304 and only the changed one was embedded.
    assert all(r.headers.get("If-None-Match") for r in site.requested("/help/returns"))
    assert delivered["ingest"] == 1
    after = _files(owner_engine, source["id"])
    shipping = f"{site.url}/help/shipping"
    assert after[shipping].ingest_generation == before[shipping].ingest_generation + 1
    returns = f"{site.url}/help/returns"
    assert after[returns].ingest_generation == before[returns].ingest_generation
    [best, *_] = web_tenant.retrieve("How long is shipping to Norway?")
    assert "three working days" in best["text"]
    warranty = f"{site.url}/help/warranty"
    assert after[warranty].missed_syncs == 1
    failed = {i["key"]: i["reason"] for i in _items(web_tenant, source, outcome="failed")}
    assert failed == {warranty: "HTTP 404", f"{site.url}/": "HTTP 404"}

    assert web_tenant.call("POST", f"/v1/knowledge/sources/{source['id']}/syncs").status == 202
    queues.run()
    sync = _source(web_tenant, source["id"])["last_sync"]
    assert (sync["removed"], sync["unchanged"]) == (1, 3)
    assert warranty not in _files(owner_engine, source["id"])
    assert all(WARRANTY not in hit["text"] for hit in web_tenant.retrieve("kettle warranty heating element"))


def test_a_sitemap_seeds_the_sync_and_patterns_and_the_page_limit_hold(
    web_tenant: KnowledgeTenant, site: FakeSite, queues: Queues, owner_engine: Engine
) -> None:
    site.sitemaps["/sitemap.xml"] = sitemap(
        [f"{site.url}/help/{p}" for p in ("returns", "shipping", "warranty")] + [f"{site.url}/blog/news"]
    )
    site.pages["/blog/news"] = page("News", "<p>Our new shop opened.</p>")
    source = _create(
        web_tenant,
        f"{site.url}/sitemap.xml",
        exclude_patterns=["/blog/*"],
        include_patterns=["/help/*"],
        page_limit=2,
    )
    queues.run()
    sync = _source(web_tenant, source["id"])["last_sync"]
    assert sync["status"] == "completed"
    assert sync["new"] == 2  # the page limit
    assert site.requested("/blog/news") == []  # excluded by pattern: not even queued
    limited = [
        i for i in _items(web_tenant, source, outcome="skipped") if "page limit" in (i["reason"] or "")
    ]
    # The pages beyond the limit (the third sitemap page, and the help index the pages link to).
    assert limited and all("/help/" in i["key"] for i in limited)
    assert all(i["reason"] == "the source's page limit (2) is reached" for i in limited)
    assert len(_files(owner_engine, source["id"])) == 2


def test_a_redirect_to_another_host_is_not_followed(
    web_tenant: KnowledgeTenant, site: FakeSite, queues: Queues, owner_engine: Engine
) -> None:
    other = FakeSite().start()
    try:
        other.pages["/moved"] = page("Moved", "<p>Elsewhere.</p>")
        site.pages["/help/"] = page("Help centre", "<p>Guides.</p>", links=("/help/old",))
        site.redirects["/help/old"] = f"{other.url}/moved"
        source = _create(web_tenant, f"{site.url}/help/")
        queues.run()
        assert other.requests == []
        [moved] = [i for i in _items(web_tenant, source) if i["key"].endswith("/help/old")]
        assert moved["outcome"] == "skipped"
        assert moved["reason"] == f"moved to another host (127.0.0.1:{other.port}): not followed"
        assert set(_files(owner_engine, source["id"])) == {f"{site.url}/help/"}
    finally:
        other.stop()


def test_a_noindex_page_is_not_stored_and_the_canonical_url_names_a_page(
    web_tenant: KnowledgeTenant, site: FakeSite, queues: Queues, owner_engine: Engine
) -> None:
    site.pages["/help/"] = page("Help", "<p>Guides.</p>", links=("/help/returns?ref=nav", "/help/draft"))
    site.pages["/help/returns?ref=nav"] = page("Returns", f"<p>{RETURNS}</p>", canonical="/help/returns")
    site.pages["/help/draft"] = page("Draft", "<p>Not ready.</p>").replace(
        "<head>", '<head><meta name="robots" content="noindex">'
    )
    source = _create(web_tenant, f"{site.url}/help/")
    queues.run()
    files = _files(owner_engine, source["id"])
    assert set(files) == {f"{site.url}/help/", f"{site.url}/help/returns"}
    [draft] = [i for i in _items(web_tenant, source) if i["key"].endswith("/help/draft")]
    assert (draft["outcome"], draft["reason"]) == ("skipped", "the page asks not to be indexed (noindex)")


def test_sources_need_the_plan_feature_and_respect_its_page_limit(
    tenant: KnowledgeTenant, owner_engine: Engine, site: FakeSite
) -> None:
    category = tenant.category("Site")
    existing = tenant.call("GET", "/v1/knowledge/sources").body
    body = {
        "name": "Site",
        "url": f"{site.url}/help/",
        "category_id": category,
        "allow_http": True,
        "page_limit": 50,
    }
    refused = tenant.call("POST", "/v1/knowledge/sources", json_body=body)
    assert (refused.status, refused.body["error"]["code"]) == (402, "web_sources_not_in_plan")

    allow_web_sources(owner_engine, tenant, webSourcePages=100)
    too_many = tenant.call("POST", "/v1/knowledge/sources", json_body={**body, "page_limit": 101})
    assert (too_many.status, too_many.body["error"]["code"]) == (402, "web_source_page_limit_reached")
    assert (too_many.body["error"]["limit"], too_many.body["error"]["allowed"]) == ("webSourcePages", 100)

    plain = tenant.call("POST", "/v1/knowledge/sources", json_body={**body, "allow_http": False})
    assert (plain.status, plain.body["error"]["code"]) == (400, "source_url_https_required")
    private = tenant.call("POST", "/v1/knowledge/sources", json_body={**body, "url": "https://10.0.0.1/help"})
    assert (private.status, private.body["error"]["code"]) == (400, "source_url_not_public")
    assert tenant.call("GET", "/v1/knowledge/sources").body == existing  # nothing half-written


def test_another_company_cannot_see_or_trigger_a_source(
    web_tenant: KnowledgeTenant, other_tenant: KnowledgeTenant, site: FakeSite, queues: Queues
) -> None:
    source = _create(web_tenant, f"{site.url}/help/")
    queues.run()
    sync_id = _source(web_tenant, source["id"])["last_sync"]["id"]
    base = f"/v1/knowledge/sources/{source['id']}"
    for method, path, body in (
        ("GET", base, None),
        ("PATCH", base, {"name": "Mine now"}),
        ("DELETE", base, None),
        ("POST", f"{base}/syncs", None),
        ("GET", f"{base}/syncs", None),
        ("GET", f"{base}/syncs/{sync_id}/items", None),
    ):
        response = other_tenant.call(method, path, json_body=body)
        assert (response.status, response.body["error"]["code"]) == (404, "source_not_found"), (method, path)
    assert source["id"] not in {s["id"] for s in other_tenant.call("GET", "/v1/knowledge/sources").body}
    assert _source(web_tenant, source["id"])["name"] == "Help site"
    assert (
        len(_source(web_tenant, source["id"]).get("last_sync") or {})
        and len(web_tenant.call("GET", f"{base}/syncs").body) == 1
    )


def test_deleting_a_source_removes_its_pages(
    web_tenant: KnowledgeTenant, site: FakeSite, queues: Queues, owner_engine: Engine
) -> None:
    source = _create(web_tenant, f"{site.url}/help/")
    queues.run()
    assert _files(owner_engine, source["id"])
    assert web_tenant.call("DELETE", f"/v1/knowledge/sources/{source['id']}").status == 204
    assert _files(owner_engine, source["id"]) == {}
    assert all(RETURNS not in hit["text"] for hit in web_tenant.retrieve("return shoes within 30 days"))


def test_a_poison_crawl_message_lands_in_the_dead_letter_queue(queues: Queues, local_aws: LocalAws) -> None:
    import boto3

    sqs = boto3.client("sqs")
    sqs.send_message(QueueUrl=queues.crawl_url, MessageBody='{"not": "a crawl message"}')
    queues.run(ingest=False)
    [dead] = local_aws.receive(queues.crawl_dead_letters)
    assert dead["MessageAttributes"]["failure_reason"]["StringValue"] == "invalid_crawl_message"
    sqs.delete_message(QueueUrl=queues.crawl_dead_letters, ReceiptHandle=dead["ReceiptHandle"])


def test_politeness_holds_per_host_across_concurrent_crawlers(
    owner_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading
    import time
    import uuid

    from chatapp.knowledge.sources import politeness

    host = f"polite-{uuid.uuid4().hex[:8]}.example"
    started: list[float] = []

    def crawler() -> None:
        for _ in range(3):
            politeness.wait_turn(host, 0.2)
            started.append(time.monotonic())

    threads = [threading.Thread(target=crawler) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    gaps = [b - a for a, b in pairwise(sorted(started))]
    assert len(started) == 6 and min(gaps) >= 0.18, gaps

    # A slot further away than a crawler should sleep is not booked: the message goes back.
    monkeypatch.setattr(politeness, "MAX_WAIT_SECONDS", 0.5)
    politeness.wait_turn(f"x-{host}", 5)
    with pytest.raises(politeness.NotYourTurn) as later:
        politeness.wait_turn(f"x-{host}", 5)
    assert 4 < later.value.wait_seconds <= 5


def test_robots_crawl_delay_spaces_the_requests(
    web_tenant: KnowledgeTenant, site: FakeSite, queues: Queues
) -> None:
    site.robots = "User-agent: *\nCrawl-delay: 0.4\nDisallow: /private/\n"
    _create(web_tenant, f"{site.url}/help/")
    queues.run()
    pages = sorted(r.at for r in site.requests if r.path.startswith("/help/"))
    assert len(pages) == 4
    assert min(b - a for a, b in pairwise(pages)) >= 0.38


def test_a_site_that_is_down_does_not_empty_the_knowledge_base(
    web_tenant: KnowledgeTenant, site: FakeSite, queues: Queues, owner_engine: Engine
) -> None:
    source = _create(web_tenant, f"{site.url}/help/")
    queues.run()
    stored = set(_files(owner_engine, source["id"]))
    site.pages.clear()  # every page answers 404 (a broken deploy, an outage)
    for _ in range(2):
        assert web_tenant.call("POST", f"/v1/knowledge/sources/{source['id']}/syncs").status == 202
        queues.run()
        sync = _source(web_tenant, source["id"])["last_sync"]
        assert (sync["status"], sync["removed"]) == ("completed", 0)
        assert sync["error"] == "No page could be read: no page was counted missing in this sync."
    assert set(_files(owner_engine, source["id"])) == stored


def test_the_daily_schedule_syncs_due_sources_only(
    web_tenant: KnowledgeTenant, site: FakeSite, queues: Queues
) -> None:
    from datetime import UTC, datetime, timedelta

    from chatapp.knowledge.sources.schedule import sync_due

    source = _create(web_tenant, f"{site.url}/help/", schedule="daily")
    queues.run()
    assert _source(web_tenant, source["id"])["next_sync_at"] is not None
    now = datetime.now(UTC)
    syncs_before = len(web_tenant.call("GET", f"/v1/knowledge/sources/{source['id']}/syncs").body)
    sync_due("daily", now=now)  # synced minutes ago: not due until tomorrow
    assert len(web_tenant.call("GET", f"/v1/knowledge/sources/{source['id']}/syncs").body) == syncs_before
    sync_due("daily", now=now + timedelta(hours=23))  # within the rule's early window
    queues.run()
    listed = web_tenant.call("GET", f"/v1/knowledge/sources/{source['id']}/syncs").body
    assert len(listed) == syncs_before + 1
    assert (listed[0]["trigger"], listed[0]["status"], listed[0]["unchanged"]) == ("schedule", "completed", 4)


def test_a_message_that_outruns_its_transaction_is_put_back_not_dropped(
    web_tenant: KnowledgeTenant, queues: Queues, local_aws: LocalAws
) -> None:
    """Crawl messages are sent inside the transaction that writes their rows: a crawler can receive
    one first. It is put back with a delay (a few times), not taken as already handled."""
    import json
    import uuid

    from chatapp.knowledge.sources.syncs import NOT_YET_VISIBLE_RETRIES, CrawlMessage, process

    early = CrawlMessage(company_id=web_tenant.data.company_id, sync_id=uuid.uuid4(), item_id=uuid.uuid4())
    assert process(early) == "requeued"
    import time

    time.sleep(2.2)  # the delay it was put back with
    [again] = local_aws.receive(queues.crawl_url)
    body = json.loads(again["Body"])
    assert (body["item_id"], body["requeues"]) == (str(early.item_id), 1)
    given_up = early.model_copy(update={"requeues": NOT_YET_VISIBLE_RETRIES})
    assert process(given_up) == "already visited"  # a row that never came: dropped at last
    queues.purge()


def test_a_sitemaps_lastmod_spares_unchanged_pages_any_request(
    web_tenant: KnowledgeTenant, site: FakeSite, queues: Queues, owner_engine: Engine
) -> None:
    urls = [f"{site.url}/help/{p}" for p in ("returns", "shipping", "warranty")]
    dates = dict.fromkeys(urls, "2026-11-01")
    site.sitemaps["/sitemap.xml"] = sitemap(urls, dates)
    source = _create(web_tenant, f"{site.url}/sitemap.xml", include_patterns=["/help/*"])
    queues.run()
    before = _files(owner_engine, source["id"])

    site.pages["/help/shipping"] = page("Shipping", "<p>Shipping now takes three working days.</p>")
    site.sitemaps["/sitemap.xml"] = sitemap(urls, {**dates, f"{site.url}/help/shipping": "2026-12-06"})
    site.requests.clear()
    assert web_tenant.call("POST", f"/v1/knowledge/sources/{source['id']}/syncs").status == 202
    queues.run()
    sync = _source(web_tenant, source["id"])["last_sync"]
    assert (sync["status"], sync["changed"], sync["unchanged"], sync["removed"]) == ("completed", 1, 3, 0)
    # Only the page whose lastmod moved was fetched; the others (and the index page their kept
    # links name, which the sitemap does not list) were read from what the source keeps.
    fetched = {r.path for r in site.requests if r.path.startswith("/help/")}
    assert fetched == {"/help/shipping", "/help/"}
    after = _files(owner_engine, source["id"])
    assert (
        after[f"{site.url}/help/returns"].ingest_generation
        == before[f"{site.url}/help/returns"].ingest_generation
    )
    assert after[f"{site.url}/help/returns"].missed_syncs == 0


def test_run_sync_sources_asks_the_running_runner_to_sync_now(
    web_tenant: KnowledgeTenant,
    site: FakeSite,
    queues: Queues,
    local_aws: LocalAws,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`./run sync-sources --source ID` invokes SourceScheduleFunction through the runner's Lambda
    Invoke API; the sync it starts runs on the runner's crawl queue."""
    import threading

    from devtools import sync_sources
    from devtools.aws_local import free_port
    from devtools.invocations import LocalInvocations
    from devtools.runner import RouteTable, make_server

    source = _create(web_tenant, f"{site.url}/help/", schedule="manual")
    queues.run()
    monkeypatch.setenv("PORT", str(free_port()))
    assert sync_sources.main(["--source", source["id"]]) == 1  # nothing listens: said, not raised
    assert "no ./run dev answered" in capsys.readouterr().out

    specs = local_aws.sources.specs
    server = make_server(
        RouteTable(specs), port=0, services=[LocalInvocations(specs, local_aws.sources.queue_urls)]
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        monkeypatch.setenv("PORT", str(server.server_port))
        assert sync_sources.main(["--source", source["id"]]) == 0
        assert "1 sync(s) started" in capsys.readouterr().out
    finally:
        server.shutdown()
    queues.run()
    listed = web_tenant.call("GET", f"/v1/knowledge/sources/{source['id']}/syncs").body
    assert len(listed) == 2
    assert (listed[0]["trigger"], listed[0]["status"], listed[0]["unchanged"]) == ("schedule", "completed", 4)
