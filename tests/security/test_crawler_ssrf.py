"""Attack: make the crawler fetch the platform's own network (SSRF).

A company adds a web source on a host it controls. Its pages redirect the crawler to the cloud
metadata service (169.254.169.254), to the crawler's own loopback, or into the private network,
or its DNS answers a public address for the check and loopback a moment later (rebinding), hoping
the platform reads what lies there and indexes it where the attacker can ask the agent for it.

Buzzi withstands it: every hop is checked (`integrations/public_urls.check_url`, loopback refused as
in production) and the connection goes to the address that was checked (`pinned_http`). These
tests run with loopback refused: the attacker's site is given a public address that the test
network routes to a loopback server, and the network refuses (and records) anything else, so no
request ever leaves this machine.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from chatapp.config import get_settings
from chatapp.db.models.knowledge import KnowledgeFile
from devtools.fake_site import FakeSite, page
from tests.integration.knowledge.sources import Queues, allow_web_sources, public_network
from tests.integration.stack import KnowledgeTenant, LocalAws, new_tenant

PUBLIC = "93.184.216.34"  # the attacker's site, as its DNS answers
SECRET = "instance-role-credentials"


@pytest.fixture
def attacker(owner_engine: Engine, local_aws: LocalAws) -> KnowledgeTenant:
    tenant = new_tenant(owner_engine, "Attacker")
    allow_web_sources(owner_engine, tenant)
    return tenant


@pytest.fixture
def loopback_refused(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("ALLOW_LOOPBACK_URLS", "false")
    get_settings.cache_clear()
    yield
    monkeypatch.undo()
    get_settings.cache_clear()


@pytest.fixture
def sites() -> Iterator[tuple[FakeSite, FakeSite]]:
    """The attacker's site, and what sits on this machine's loopback (standing in for the metadata
    service and internal services)."""
    attacker_site, internal = FakeSite().start(), FakeSite().start()
    internal.pages["/latest/meta-data/"] = page("Metadata", f"<p>{SECRET}</p>")
    yield attacker_site, internal
    attacker_site.stop()
    internal.stop()


def _sync(attacker: KnowledgeTenant, url: str, queues: Queues) -> dict[str, str]:
    category = attacker.category("Loot")
    attacker.assign(category)
    created = attacker.call(
        "POST",
        "/v1/knowledge/sources",
        json_body={"name": "Mine", "url": url, "category_id": category, "allow_http": True},
    )
    assert created.status == 201, created.body
    queues.run()
    source = attacker.call("GET", f"/v1/knowledge/sources/{created.body['id']}").body
    sync = source["last_sync"]
    items = attacker.call("GET", f"/v1/knowledge/sources/{source['id']}/syncs/{sync['id']}/items").body[
        "items"
    ]
    return {item["key"]: f"{item['outcome']}: {item['reason']}" for item in items} | {"_source": source["id"]}


@pytest.mark.parametrize(
    "target",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://127.0.0.1:{internal}/latest/meta-data/",
        "http://10.0.0.1/latest/meta-data/",
    ],
)
def test_a_redirect_into_the_platforms_network_is_refused(
    target: str,
    attacker: KnowledgeTenant,
    sites: tuple[FakeSite, FakeSite],
    queues: Queues,
    owner_engine: Engine,
    loopback_refused: None,
) -> None:
    attacker_site, internal = sites
    location = target.format(internal=internal.port)
    attacker_site.pages["/"] = page("Docs", "<p>Welcome.</p>", links=("/docs/setup",))
    attacker_site.redirects["/docs/setup"] = location
    routes = {(PUBLIC, attacker_site.port): attacker_site.port}
    with public_network({"docs.attacker.example": PUBLIC}, routes) as network:
        outcomes = _sync(attacker, f"http://docs.attacker.example:{attacker_site.port}/", queues)

    refused = outcomes[f"http://docs.attacker.example:{attacker_site.port}/docs/setup"]
    assert refused == (
        "failed: address not allowed (source_url_not_public): Source URLs must point at a public internet "
        f"address; '{location.split('/')[2].split(':')[0]}' resolves to a private or reserved one."
    )
    # Nothing but the attacker's own (public) address was ever connected to.
    assert {host for host, _ in network.attempts} == {PUBLIC}
    assert internal.requests == []
    with Session(owner_engine) as db:
        contents = db.scalars(
            select(KnowledgeFile.title).where(KnowledgeFile.source_id == outcomes["_source"])
        ).all()
    assert contents == ["Docs"]


def test_a_rebinding_name_is_fetched_from_the_address_that_was_checked(
    attacker: KnowledgeTenant,
    sites: tuple[FakeSite, FakeSite],
    queues: Queues,
    loopback_refused: None,
) -> None:
    """The attacker's DNS answers a public address once, then loopback: the crawler never asks
    twice for one request, and connects to exactly the address it checked."""
    attacker_site, internal = sites
    attacker_site.pages["/"] = page("Docs", "<p>Welcome.</p>")
    answers = iter([PUBLIC] * 2 + ["127.0.0.1"] * 50)  # the API's check, the crawler's first check
    routes = {
        (PUBLIC, attacker_site.port): attacker_site.port,
        ("127.0.0.1", attacker_site.port): internal.port,
    }
    with public_network({}, routes) as network:
        from chatapp.knowledge.sources import syncs

        syncs.network.resolver = lambda host, port: [next(answers)]
        outcomes = _sync(attacker, f"http://docs.attacker.example:{attacker_site.port}/", queues)

    # robots.txt was fetched from the checked public address; by the page's check the name
    # answered loopback, and the page was refused rather than fetched from there.
    assert outcomes[f"http://docs.attacker.example:{attacker_site.port}/"].startswith(
        "failed: address not allowed (source_url_not_public)"
    )
    assert {host for host, _ in network.attempts} == {PUBLIC}
    assert internal.requests == []
