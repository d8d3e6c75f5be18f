"""Helpers for the knowledge-source tests: a tenant whose plan includes web sources, the crawl and
ingest queues run to the end through the real handlers, and a network that maps public addresses
to loopback servers (for the tests that must run with loopback refused)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import boto3
import httpcore
import httpx
import pytest
from sqlalchemy import Engine, update
from sqlalchemy.orm import Session

from chatapp.db.models.billing import CompanySubscription, SubscriptionPlan
from chatapp.knowledge.sources import syncs
from devtools.template import FunctionSpec
from tests.integration.stack import KnowledgeTenant, LocalAws


def allow_web_sources(owner_engine: Engine, tenant: KnowledgeTenant, **limits: Any) -> None:
    with Session(owner_engine) as db, db.begin():
        plan_id = db.scalar(
            CompanySubscription.__table__.select()
            .with_only_columns(CompanySubscription.plan_id)
            .where(CompanySubscription.company_id == tenant.data.company_id)
        )
        db.execute(
            update(SubscriptionPlan)
            .where(SubscriptionPlan.id == plan_id)
            .values(features=["web", "webSources"], limits={"agentCount": 3, **limits})
        )


@dataclass
class Queues:
    local_aws: LocalAws
    crawler: FunctionSpec = field(init=False)

    def __post_init__(self) -> None:
        self.crawler = next(s for s in self.local_aws.sources.specs if s.logical_id == "CrawlerFunction")

    @property
    def crawl_url(self) -> str:
        return self.local_aws.sources.queue_urls["CrawlQueue"]

    @property
    def crawl_dead_letters(self) -> str:
        return self.local_aws.sources.queue_urls["CrawlDeadLetterQueue"]

    def purge(self) -> None:
        for url in (self.crawl_url, self.local_aws.queue_url):
            while self.local_aws.receive(url):
                for message in self.local_aws.receive(url):
                    boto3.client("sqs").delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])

    def run(self, *, rounds: int = 2000, ingest: bool = True) -> dict[str, int]:
        """Deliver crawl (and ingest) messages to the real handlers until both queues are empty.
        Returns how many of each were delivered."""
        delivered = {"crawl": 0, "ingest": 0}
        quiet = 0
        for _ in range(rounds):
            moved = False
            for name, spec, url in (
                ("crawl", self.crawler, self.crawl_url),
                ("ingest", self.local_aws.ingest, self.local_aws.queue_url),
            ):
                if name == "ingest" and not ingest:
                    continue
                messages = self.local_aws.receive(url)
                if messages:
                    self.local_aws.sources.deliver_sqs(spec, url, messages)
                    delivered[name] += len(messages)
                    moved = True
            if moved:
                quiet = 0
                continue
            quiet += 1
            if quiet > 3:
                return delivered
            time.sleep(0.05)
        raise AssertionError("the crawl queue did not drain")


@pytest.fixture
def queues(local_aws: LocalAws) -> Iterator[Queues]:
    """The crawl and ingest queues, empty before and after the test."""
    found = Queues(local_aws)
    found.purge()
    yield found
    found.purge()


class _MappedNetwork(httpcore.NetworkBackend):
    """Connections to (address, port) go to a loopback server instead; anything else is refused
    here, so a test can never reach a real address. Every attempt is recorded."""

    def __init__(self, routes: dict[tuple[str, int], int]) -> None:
        self.routes = routes
        self.attempts: list[tuple[str, int]] = []
        self._inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.NetworkStream:
        self.attempts.append((host, port))
        if (host, port) not in self.routes:
            raise httpcore.ConnectError(f"test network: no route to {host}:{port}")
        return self._inner.connect_tcp("127.0.0.1", self.routes[(host, port)], timeout=timeout)

    def connect_unix_socket(self, path: str, timeout: float | None = None, socket_options: Any = None) -> Any:
        raise httpcore.ConnectError("no unix sockets in the test network")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


@contextmanager
def public_network(names: dict[str, str], routes: dict[tuple[str, int], int]) -> Iterator[_MappedNetwork]:
    """Crawlers resolve `names` (host -> public address) and their connections to a routed
    (address, port) reach a loopback port. Restores the real network afterwards."""
    backend = _MappedNetwork(routes)
    transport = httpx.HTTPTransport()
    transport._pool = httpcore.ConnectionPool(network_backend=backend)  # the network, not our code
    client = httpx.Client(transport=transport, follow_redirects=False, timeout=10)

    def resolver(host: str, port: int) -> list[str]:
        if host not in names:
            raise AssertionError(f"unexpected name {host}")
        return [names[host]]

    previous = (syncs.network.client, syncs.network.resolver)
    syncs.network.client, syncs.network.resolver = client, resolver
    try:
        yield backend
    finally:
        syncs.network.client, syncs.network.resolver = previous
        client.close()
