"""Outbound webhooks end to end: endpoints API, emission after commit, signed delivery, retries."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import uuid
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from chatapp.db.models.channels import Webhook
from chatapp.db.tenancy import TenantContext, tenant_session
from chatapp.integrations.secret_box import is_sealed, open_sealed
from chatapp.webhooks import events as webhook_events
from tests.integration.tenant_data import Tenants
from tests.integration.webhooks.conftest import Delivery, HookTenant, Receiver, WebhookQueue

SHOP = "https://shop.example.com"


def verify(secret: str, delivery: Delivery, body: str | None = None, tolerance: int = 300) -> bool:
    """The Standard Webhooks reference verification, written independently of the platform's code."""
    message_id = delivery.headers["webhook-id"]
    timestamp = delivery.headers["webhook-timestamp"]
    if abs(time.time() - int(timestamp)) > tolerance:
        return False
    key = base64.b64decode(secret.split("_", 1)[1])
    signed = f"{message_id}.{timestamp}.{delivery.body if body is None else body}".encode()
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    passed = [part.split(",", 1) for part in delivery.headers["webhook-signature"].split(" ")]
    return any(version == "v1" and hmac.compare_digest(value, expected) for version, value in passed)


def test_the_secret_is_shown_once_stored_sealed_and_signs_deliveries(
    hooks: HookTenant, receiver: Receiver, webhook_queue: WebhookQueue, owner_engine: Engine
) -> None:
    created = hooks.create(
        receiver.url, ["conversation.created"], headers={"X-Tenant-Token": "abc"}, retry_delay=0
    )
    secret = created["secret"]
    assert secret.startswith("whsec_") and 24 <= len(base64.b64decode(secret[6:])) <= 32
    assert created["is_active"] is True and created["success_count"] == 0

    listed = hooks.call("GET", "/v1/webhooks")
    assert listed.status == 200 and created["id"] in [w["id"] for w in listed.body]
    for shown in (*listed.body, hooks.read(created["id"])):
        assert "secret" not in shown and secret not in str(shown)

    with Session(owner_engine) as db:
        stored = db.scalar(select(Webhook.secret).where(Webhook.id == uuid.UUID(created["id"])))
    assert stored is not None and is_sealed(stored) and secret not in stored
    context = {"company": str(hooks.tenant.data.company_id), "purpose": "webhook", "webhook": created["id"]}
    assert open_sealed(stored, context) == secret

    sent = hooks.call("POST", f"/v1/webhooks/{created['id']}/test")
    assert sent.status == 202 and sent.body["event_id"].startswith("msg_")
    webhook_queue.drain()

    [delivery] = receiver.received
    assert delivery.path == "/hooks"
    assert delivery.headers["webhook-id"] == sent.body["event_id"]
    assert delivery.headers["content-type"] == "application/json"
    assert delivery.headers["x-tenant-token"] == "abc"
    assert (
        delivery.payload["type"] == "webhook.test" and delivery.payload["data"]["webhook_id"] == created["id"]
    )
    assert "timestamp" in delivery.payload
    assert verify(secret, delivery)
    assert not verify(secret, delivery, body=delivery.body.replace("test", "tast"))  # tampered body
    assert not verify("whsec_" + base64.b64encode(b"x" * 32).decode(), delivery)  # another secret

    after = hooks.read(created["id"])
    assert after["success_count"] == 1 and after["failure_count"] == 0
    assert after["last_success_at"] and after["last_triggered_at"]

    rotated = hooks.call("POST", f"/v1/webhooks/{created['id']}/rotate-secret")
    assert rotated.status == 200 and rotated.body["secret"] != secret
    hooks.call("POST", f"/v1/webhooks/{created['id']}/test")
    webhook_queue.drain()
    assert verify(rotated.body["secret"], receiver.received[-1])
    assert not verify(secret, receiver.received[-1])


def test_failures_are_retried_with_the_same_webhook_id(
    hooks: HookTenant, receiver: Receiver, webhook_queue: WebhookQueue
) -> None:
    created = hooks.create(receiver.url, ["conversation.created"], max_retries=3, retry_delay=0)
    receiver.statuses = [500, 503]
    sent = hooks.call("POST", f"/v1/webhooks/{created['id']}/test")
    webhook_queue.drain()

    assert len(receiver.received) == 3
    assert {d.headers["webhook-id"] for d in receiver.received} == {sent.body["event_id"]}
    assert len({d.body for d in receiver.received}) == 1
    assert all(verify(created["secret"], d) for d in receiver.received)
    after = hooks.read(created["id"])
    assert (after["failure_count"], after["success_count"]) == (2, 1)
    assert after["last_error"] == "HTTP 503" and after["last_failure_at"] and after["last_success_at"]


def test_an_event_is_dropped_after_max_retries(
    hooks: HookTenant, receiver: Receiver, webhook_queue: WebhookQueue
) -> None:
    created = hooks.create(receiver.url, ["conversation.created"], max_retries=1, retry_delay=0)
    receiver.statuses = [500, 500, 500]
    hooks.call("POST", f"/v1/webhooks/{created['id']}/test")
    webhook_queue.drain()

    assert len(receiver.received) == 2
    after = hooks.read(created["id"])
    assert after["failure_count"] == 2 and after["success_count"] == 0 and after["is_active"] is True
    assert after["last_error"] == "HTTP 500 (gave up after 2 attempts)"
    [dead] = webhook_queue.local_aws.receive(webhook_queue.dead_letter_url)
    assert dead["MessageAttributes"]["failure_reason"]["StringValue"] == after["last_error"]


def test_410_gone_disables_the_endpoint(
    hooks: HookTenant, receiver: Receiver, webhook_queue: WebhookQueue
) -> None:
    created = hooks.create(receiver.url, ["conversation.created"], retry_delay=0)
    receiver.statuses = [410]
    hooks.call("POST", f"/v1/webhooks/{created['id']}/test")
    hooks.call("POST", f"/v1/webhooks/{created['id']}/test")  # queued before the 410 arrives
    webhook_queue.drain()

    assert len(receiver.received) == 1  # the second event found the endpoint disabled
    after = hooks.read(created["id"])
    assert after["is_active"] is False and after["last_error"] == "410 Gone: disabled"
    refused = hooks.call("POST", f"/v1/webhooks/{created['id']}/test")
    assert refused.status == 409 and refused.body["error"]["code"] == "webhook_inactive"
    _emit(hooks, "conversation.created")
    assert webhook_queue.pending() == []

    enabled = hooks.call("PATCH", f"/v1/webhooks/{created['id']}", json_body={"is_active": True})
    assert enabled.status == 200 and enabled.body["is_active"] is True and enabled.body["last_error"] is None


def _emit(hooks: HookTenant, event_type: str, agent_id: uuid.UUID | None = None) -> None:
    company_id = hooks.tenant.data.company_id
    with tenant_session(TenantContext.company_service(company_id)) as db:
        webhook_events.emit(
            db, company_id=company_id, agent_id=agent_id, event_type=event_type, data={"at": time.time()}
        )


def test_events_are_queued_only_when_the_change_commits(
    hooks: HookTenant, webhook_queue: WebhookQueue
) -> None:
    company_id = hooks.tenant.data.company_id
    hooks.create("http://127.0.0.1:9/never", ["conversation.resolved"])

    with pytest.raises(RuntimeError), tenant_session(TenantContext.company_service(company_id)) as db:
        webhook_events.emit(
            db, company_id=company_id, agent_id=None, event_type="conversation.resolved", data={"x": 1}
        )
        raise RuntimeError("the change fails after the event was recorded")
    assert webhook_queue.pending() == []

    _emit(hooks, "message.received")  # not subscribed
    assert webhook_queue.pending() == []

    _emit(hooks, "conversation.resolved")
    [message] = webhook_queue.pending()
    assert message["event_type"] == "conversation.resolved" and message["attempt"] == 0


def test_endpoints_bound_to_an_agent_get_only_that_agents_events(
    hooks: HookTenant, webhook_queue: WebhookQueue, tenants: Tenants
) -> None:
    agent_id = hooks.tenant.data.agent_id
    foreign = hooks.call(
        "POST",
        "/v1/webhooks",
        json_body={
            "name": "x",
            "url": "http://127.0.0.1:9/",
            "events": ["message.received"],
            "agent_id": str(tenants.b.agent_id),
        },
    )
    assert foreign.status == 404 and foreign.body["error"]["code"] == "agent_not_found"
    bound = hooks.create("http://127.0.0.1:9/", ["message.received"], agent_id=str(agent_id))
    assert bound["agent_id"] == str(agent_id)

    _emit(hooks, "message.received", agent_id=uuid.uuid4())
    assert webhook_queue.pending() == []
    _emit(hooks, "message.received", agent_id=agent_id)
    assert [m["webhook_id"] for m in webhook_queue.pending()] == [bound["id"]]


@pytest.mark.parametrize(
    "url",
    ["http://10.0.0.7/hook", "https://169.254.169.254/latest", "https://100.64.1.1/", "ftp://example.com/x"],
)
def test_private_urls_are_refused_even_locally(hooks: HookTenant, url: str) -> None:
    response = hooks.call(
        "POST", "/v1/webhooks", json_body={"name": "x", "url": url, "events": ["message.received"]}
    )
    assert response.status == 400 and response.body["error"]["code"].startswith("webhook_url_")


def test_loopback_and_http_are_refused_outside_local_development(
    hooks: HookTenant, receiver: Receiver, webhook_queue: WebhookQueue, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chatapp.webhooks import endpoints as webhooks

    created = hooks.create(receiver.url, ["conversation.created"], max_retries=0)
    monkeypatch.setattr(
        webhooks, "get_settings", lambda: SimpleNamespace(is_local=False, loopback_urls_allowed=False)
    )
    for url in ("https://127.0.0.1/hook", "http://93.184.216.34/hook"):
        response = hooks.call(
            "POST", "/v1/webhooks", json_body={"name": "x", "url": url, "events": ["message.received"]}
        )
        assert response.status == 400, response.body
    patched = hooks.call("PATCH", f"/v1/webhooks/{created['id']}", json_body={"url": "https://[::1]/x"})
    assert patched.status == 400 and patched.body["error"]["code"] == "webhook_url_not_public"

    # Checked again at delivery time: an endpoint that now resolves to loopback gets nothing.
    _emit(hooks, "conversation.created")
    webhook_queue.drain()
    assert receiver.received == []
    after = hooks.read(created["id"])
    assert after["failure_count"] == 1
    assert after["last_error"].startswith("address not allowed: webhook_url_")


def test_input_is_validated(hooks: HookTenant) -> None:
    base: dict[str, Any] = {"name": "x", "url": "http://127.0.0.1:9/", "events": ["message.received"]}
    for bad in (
        {"events": ["order.created"]},
        {"events": []},
        {"max_retries": 11},
        {"headers": {"webhook-id": "forged"}},
        {"headers": {"Host": "internal"}},
        {"headers": {"X-A": "line\r\nbreak"}},
    ):
        response = hooks.call("POST", "/v1/webhooks", json_body={**base, **bad})
        assert response.status == 422, (bad, response.status, response.body)


def test_update_and_delete(hooks: HookTenant, webhook_queue: WebhookQueue, owner_engine: Engine) -> None:
    created = hooks.create("http://127.0.0.1:9/a", ["message.received"])
    patched = hooks.call(
        "PATCH",
        f"/v1/webhooks/{created['id']}",
        json_body={"name": "renamed", "events": ["conversation.resolved"], "headers": {"X-B": "1"}},
    )
    assert patched.status == 200, patched.body
    assert (patched.body["name"], patched.body["events"], patched.body["headers"]) == (
        "renamed",
        ["conversation.resolved"],
        {"X-B": "1"},
    )
    assert patched.body["url"] == created["url"]
    sent = hooks.call("POST", f"/v1/webhooks/{created['id']}/test")
    assert sent.status == 202

    deleted = hooks.call("DELETE", f"/v1/webhooks/{created['id']}")
    assert deleted.status == 204
    assert hooks.call("GET", f"/v1/webhooks/{created['id']}").status == 404
    assert webhook_queue.drain() == 1  # the queued event found no endpoint: skipped, not failed
    with Session(owner_engine) as db:
        assert (
            db.scalar(text("SELECT count(*) FROM chatapp_webhooks WHERE id = :id"), {"id": created["id"]})
            == 0
        )


def test_real_flows_emit_events(
    hooks: HookTenant, receiver: Receiver, webhook_queue: WebhookQueue, builtin_packages: None
) -> None:
    tenant = hooks.tenant
    agent_id = tenant.data.agent_id
    saved = tenant.call(
        "PUT", f"/v1/agents/{agent_id}/widget", json_body={"allowed_domains": ["shop.example.com"]}
    )
    assert saved.status == 200, saved.body
    created = hooks.create(
        receiver.url,
        ["conversation.created", "escalation.created", "conversation.resolved"],
        retry_delay=0,
    )

    started = tenant.api.request(
        "POST",
        f"/v1/widget/agents/{agent_id}/conversations",
        json_body={"customer": {"name": "Grace", "email": "grace@example.com"}},
        headers={"origin": SHOP},
    )
    assert started.status == 201, started.body
    conversation_id, token = started.body["conversation_id"], started.body["session_token"]

    def widget(path: str, body: Any) -> None:
        response = tenant.api.request(
            "POST",
            f"/v1/widget/agents/{agent_id}{path}",
            token=token,
            json_body=body,
            headers={"origin": SHOP},
        )
        assert response.status == 200, response.body

    widget("/conversation/handover", {"note": "a person please"})
    widget("/conversation/end", {})
    webhook_queue.drain()

    by_type = {d.payload["type"]: d for d in receiver.received}
    assert set(by_type) == {"conversation.created", "escalation.created", "conversation.resolved"}
    assert all(verify(created["secret"], d) for d in receiver.received)
    assert by_type["conversation.created"].payload["data"]["conversation_id"] == conversation_id
    assert by_type["conversation.created"].payload["data"]["customer_name"] == "Grace"
    escalation = by_type["escalation.created"].payload["data"]
    assert (
        escalation["conversation_id"] == conversation_id and escalation["trigger_type"] == "explicit_request"
    )
    assert by_type["conversation.resolved"].payload["data"]["resolved_by"] == "customer"
    assert len({d.headers["webhook-id"] for d in receiver.received}) == 3
    assert hooks.read(created["id"])["success_count"] == 3


def test_messages_and_inbox_resolutions_emit_events(
    hooks: HookTenant, receiver: Receiver, webhook_queue: WebhookQueue, builtin_packages: None
) -> None:
    tenant = hooks.tenant
    agent_id = tenant.data.agent_id
    saved = tenant.call(
        "PUT", f"/v1/agents/{agent_id}/widget", json_body={"allowed_domains": ["shop.example.com"]}
    )
    assert saved.status == 200, saved.body
    created = hooks.create(receiver.url, ["message.received", "conversation.resolved"], retry_delay=0)
    started = tenant.api.request(
        "POST", f"/v1/widget/agents/{agent_id}/conversations", json_body={}, headers={"origin": SHOP}
    )
    assert started.status == 201, started.body
    conversation_id, token = started.body["conversation_id"], started.body["session_token"]
    sent = tenant.api.request(
        "POST",
        f"/v1/widget/agents/{agent_id}/conversation/messages",
        token=token,
        json_body={"content": "Where is my parcel?"},
        headers={"origin": SHOP},
    )
    assert sent.status == 200, sent.body
    resolved = tenant.call("POST", f"/v1/inbox/conversations/{conversation_id}/resolve", json_body={})
    assert resolved.status == 200, resolved.body
    webhook_queue.drain()

    [resolution, message] = sorted(receiver.received, key=lambda d: d.payload["type"])
    assert message.payload["type"] == "message.received"
    data = message.payload["data"]
    assert (data["conversation_id"], data["role"], data["content"]) == (
        conversation_id,
        "user",
        "Where is my parcel?",
    )
    assert data["message_id"] and data["created_at"]
    assert resolution.payload["type"] == "conversation.resolved"
    assert resolution.payload["data"]["resolved_by"] == "human"
    assert all(verify(created["secret"], d) for d in receiver.received)


def test_timeouts_and_redirects_are_failures(
    hooks: HookTenant, receiver: Receiver, webhook_queue: WebhookQueue, monkeypatch: pytest.MonkeyPatch
) -> None:
    import httpx

    from chatapp.webhooks import delivery as webhook_delivery

    client = httpx.Client(timeout=0.3, follow_redirects=False)
    monkeypatch.setattr(webhook_delivery, "_http", lambda: client)
    created = hooks.create(receiver.url, ["conversation.created"], max_retries=2, retry_delay=0)
    receiver.statuses = [200, 302]
    receiver.delays = [1.0]
    hooks.call("POST", f"/v1/webhooks/{created['id']}/test")
    webhook_queue.drain()
    client.close()

    assert len(receiver.received) == 3  # timed out, redirected (not followed), delivered
    after = hooks.read(created["id"])
    assert (after["failure_count"], after["success_count"]) == (2, 1)
    assert after["last_error"] == "HTTP 302"
