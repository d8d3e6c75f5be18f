"""The real stack for integration tests: moto's S3 and SQS on loopback (with the template's buckets and
queues), the real ingest handler, Qdrant's embedded engine and the offline embedding model."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from devtools.aws_local import LocalEventSources, free_port, start_moto
from devtools.template import FunctionSpec, functions, load_template
from tests.integration.http import ApiClient, ApiResponse
from tests.integration.tenant_data import CompanyData, create_company, create_platform_rows


@dataclass
class LocalAws:
    sources: LocalEventSources
    ingest: FunctionSpec

    @property
    def queue_url(self) -> str:
        return self.sources.queue_urls["IngestQueue"]

    @property
    def dead_letter_url(self) -> str:
        return self.sources.queue_urls["IngestDeadLetterQueue"]

    def receive(self, queue_url: str | None = None) -> list[dict[str, Any]]:
        return (
            boto3.client("sqs")
            .receive_message(
                QueueUrl=queue_url or self.queue_url,
                MaxNumberOfMessages=10,
                VisibilityTimeout=0,
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
            )
            .get("Messages", [])
        )

    def drain(self) -> int:
        """Deliver queued ingestion messages to the real handler until the queue is empty."""
        delivered = 0
        for _ in range(20):
            messages = self.receive()
            if not messages:
                return delivered
            self.sources.deliver_sqs(self.ingest, self.queue_url, messages)
            delivered += len(messages)
        raise AssertionError("the ingest queue did not drain")


@pytest.fixture(scope="session")
def local_aws(migrated_database: str) -> Iterator[LocalAws]:
    start_moto(free_port())
    template = load_template()
    specs = functions(template)
    sources = LocalEventSources(template, specs)
    sources.provision()
    from chatapp.config import get_settings

    get_settings.cache_clear()  # the queue and bucket names exist only now
    yield LocalAws(sources=sources, ingest=next(s for s in specs if s.logical_id == "IngestFunction"))
    get_settings.cache_clear()


@dataclass
class KnowledgeTenant:
    data: CompanyData
    api: ApiClient

    @property
    def token(self) -> str:
        return self.data.tokens["admin"]

    def call(self, method: str, path: str, **kwargs: Any) -> ApiResponse:
        return self.api.request(method, path, token=kwargs.pop("token", self.token), **kwargs)

    def category(self, name: str) -> str:
        response = self.call("POST", "/v1/knowledge/categories", json_body={"name": name})
        assert response.status == 201, response.body
        return response.body["id"]

    def assign(self, *category_ids: str) -> None:
        response = self.call(
            "PUT",
            f"/v1/agents/{self.data.agent_id}/knowledge-categories",
            json_body={"category_ids": list(category_ids)},
        )
        assert response.status == 200, response.body

    def upload(self, category_id: str, filename: str, content: bytes, mime_type: str | None = None) -> str:
        """The browser path: ask for a URL, PUT the bytes to S3, confirm."""
        ticket = self.call(
            "POST",
            "/v1/knowledge/files/uploads",
            json_body={
                "category_id": category_id,
                "filename": filename,
                "size": len(content),
                **({"mime_type": mime_type} if mime_type else {}),
            },
        )
        assert ticket.status == 201, ticket.body
        url, headers = ticket.body["upload_url"], ticket.body["upload_headers"]
        request = urllib.request.Request(url, data=content, method="PUT", headers=headers)  # noqa: S310
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - moto on loopback
            assert response.status == 200
        confirmed = self.call("POST", f"/v1/knowledge/files/{ticket.body['file']['id']}/confirm")
        assert confirmed.status == 202, confirmed.body
        return ticket.body["file"]["id"]

    def file(self, file_id: str) -> dict[str, Any]:
        response = self.call("GET", f"/v1/knowledge/files/{file_id}")
        assert response.status == 200, response.body
        return response.body

    def retrieve(self, query: str, **extra: Any) -> list[dict[str, Any]]:
        response = self.call(
            "POST", f"/v1/agents/{self.data.agent_id}/retrieval-test", json_body={"query": query, **extra}
        )
        assert response.status == 200, response.body
        return response.body["results"]


def new_tenant(owner_engine: Engine, label: str) -> KnowledgeTenant:
    with Session(owner_engine) as db, db.begin():
        data = create_company(db, label, create_platform_rows(db))
    return KnowledgeTenant(data=data, api=ApiClient())
