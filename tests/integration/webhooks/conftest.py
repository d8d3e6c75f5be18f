"""Webhook tests: real endpoints API, real queue (moto SQS), the real delivery handler, and a scripted
receiver on 127.0.0.1 (allowed in local development and tests only)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import pytest
from sqlalchemy import Engine

from devtools.template import FunctionSpec
from tests.integration.http import ApiResponse
from tests.integration.stack import KnowledgeTenant, LocalAws, new_tenant


@pytest.fixture(scope="session")
def builtin_packages(local_aws: LocalAws) -> None:
    from chatapp.agents.package_catalogue import publish_builtin_packages

    publish_builtin_packages()


@dataclass
class Delivery:
    path: str
    headers: dict[str, str]
    body: str

    @property
    def payload(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed


@dataclass
class Receiver:
    """Answers POSTs with the scripted statuses in order (then 200) and records every request."""

    statuses: list[int] = field(default_factory=list)
    delays: list[float] = field(default_factory=list)  # seconds to wait before answering, in order
    received: list[Delivery] = field(default_factory=list)
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
            with lock:
                state.received.append(
                    Delivery(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                )
                status = state.statuses.pop(0) if state.statuses else 200
                delay = state.delays.pop(0) if state.delays else 0.0
            time.sleep(delay)
            self.send_response(status)
            if 300 <= status < 400:
                self.send_header("Location", "http://127.0.0.1:9/elsewhere")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = server.server_port
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield state
    server.shutdown()
    server.server_close()


@dataclass
class WebhookQueue:
    local_aws: LocalAws
    spec: FunctionSpec

    @property
    def url(self) -> str:
        return self.local_aws.sources.queue_urls["WebhookQueue"]

    @property
    def dead_letter_url(self) -> str:
        return self.local_aws.sources.queue_urls["WebhookDeadLetterQueue"]

    def clear(self) -> None:
        sqs = boto3.client("sqs")
        for url in (self.url, self.dead_letter_url):
            while messages := self.local_aws.receive(url):
                for message in messages:
                    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])

    def pending(self) -> list[dict[str, Any]]:
        return [json.loads(m["Body"]) for m in self.local_aws.receive(self.url)]

    def drain(self) -> int:
        """Deliver queued messages (retries included: tests use retry_delay 0) until the queue is empty."""
        delivered = 0
        for _ in range(30):
            messages = self.local_aws.receive(self.url)
            if not messages:
                return delivered
            failed = self.local_aws.sources.deliver_sqs(self.spec, self.url, messages)
            assert failed == [], failed
            delivered += len(messages)
        raise AssertionError("the webhook queue did not drain")


@pytest.fixture
def webhook_queue(local_aws: LocalAws) -> Iterator[WebhookQueue]:
    spec = next(s for s in local_aws.sources.specs if s.logical_id == "WebhookDeliveryFunction")
    queue = WebhookQueue(local_aws, spec)
    queue.clear()
    yield queue
    queue.clear()


@dataclass
class HookTenant:
    tenant: KnowledgeTenant

    def call(self, method: str, path: str, **kwargs: Any) -> ApiResponse:
        return self.tenant.call(method, path, **kwargs)

    def create(self, url: str, events: list[str], **extra: Any) -> dict[str, Any]:
        response = self.call(
            "POST", "/v1/webhooks", json_body={"name": "crm", "url": url, "events": events, **extra}
        )
        assert response.status == 201, response.body
        return response.body

    def read(self, webhook_id: str) -> dict[str, Any]:
        response = self.call("GET", f"/v1/webhooks/{webhook_id}")
        assert response.status == 200, response.body
        return response.body


@pytest.fixture
def hooks(owner_engine: Engine, local_aws: LocalAws) -> HookTenant:
    return HookTenant(new_tenant(owner_engine, "Hooks"))
