"""Canned responses and the customer panel, including erasure on request."""

from __future__ import annotations

import urllib.request
import uuid
from typing import Any

import boto3
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from chatapp.config import get_settings
from chatapp.db.models.audit import AuditLog
from chatapp.db.models.conversations import Conversation, Customer, Message
from tests.integration.chat.conftest import ChatShop
from tests.integration.http import ApiClient
from tests.integration.tenant_data import Tenants


def _console(shop: ChatShop, who: str, method: str, path: str, **kwargs: Any) -> Any:
    return shop.tenant.api.request(method, path, token=shop.tenant.data.tokens[who], **kwargs)


def test_canned_responses_expand_in_replies(
    shop: ChatShop, other_shop: ChatShop, owner_session: Session
) -> None:
    created = _console(
        shop,
        "admin",
        "POST",
        "/v1/inbox/canned-responses",
        json_body={"title": "Thanks", "shortcut": "/thanks", "content": "Thank you, {{customer_name}}!"},
    )
    assert created.status == 201, created.body
    duplicate = _console(
        shop,
        "admin",
        "POST",
        "/v1/inbox/canned-responses",
        json_body={"title": "x", "shortcut": "/thanks", "content": "y"},
    )
    assert duplicate.status == 409 and duplicate.body["error"]["code"] == "shortcut_taken"
    foreign_agent = _console(
        shop,
        "admin",
        "POST",
        "/v1/inbox/canned-responses",
        json_body={
            "title": "Scoped",
            "shortcut": "/scoped",
            "content": "z",
            "is_global": False,
            "agent_ids": [str(other_shop.tenant.data.agent_id)],
        },
    )
    assert foreign_agent.status == 404 and foreign_agent.body["error"]["code"] == "agent_not_found"
    assert (
        _console(
            shop, "support", "POST", "/v1/inbox/canned-responses", json_body={"title": "t", "content": "c"}
        ).status
        == 403
    )
    # Another company may use the same shortcut for its own response.
    theirs = other_shop.tenant.api.request(
        "POST",
        "/v1/inbox/canned-responses",
        token=other_shop.tenant.data.tokens["admin"],
        json_body={"title": "Thanks", "shortcut": "/thanks", "content": "Cheers"},
    )
    assert theirs.status == 201

    visitor = shop.visit(customer={"name": "Ada", "email": "ada@example.com"})
    shop.widget("POST", "/conversation/handover", token=visitor.token, json_body={})
    reply = _console(
        shop,
        "admin",
        "POST",
        f"/v1/inbox/conversations/{visitor.conversation_id}/messages",
        json_body={"content": "/thanks See you soon. /unknown"},
    )
    assert reply.status == 201, reply.body
    assert reply.body["content"] == "Thank you, Ada! See you soon. /unknown"
    listed = _console(shop, "admin", "GET", "/v1/inbox/canned-responses").body
    assert [r["usage_count"] for r in listed if r["shortcut"] == "/thanks"] == [1]


def test_customer_panel_and_erasure(shop: ChatShop, other_shop: ChatShop, owner_session: Session) -> None:
    visitor = shop.visit(customer={"external_id": "crm-77", "name": "Lin", "email": "lin@example.com"})
    assert visitor.send("Where is my order?").status == 200
    second = shop.visit(customer={"external_id": "crm-77"})
    assert second.send("Hello again").status == 200
    ticket = shop.widget(
        "POST",
        "/conversation/attachments",
        token=visitor.token,
        json_body={"filename": "receipt.pdf", "mime_type": "application/pdf", "size": 5},
    ).body
    request = urllib.request.Request(  # noqa: S310 - moto on loopback
        ticket["upload_url"], data=b"%PDF-", method="PUT", headers=ticket["upload_headers"]
    )
    urllib.request.urlopen(request, timeout=10).close()  # noqa: S310

    customer_id = owner_session.scalar(
        select(Customer.id).where(
            Customer.company_id == shop.tenant.data.company_id, Customer.external_id == "crm-77"
        )
    )
    assert customer_id is not None
    panel = _console(shop, "support", "GET", f"/v1/inbox/customers/{customer_id}")
    assert panel.status == 200 and panel.body["name"] == "Lin" and len(panel.body["conversations"]) == 2
    tagged = _console(
        shop, "support", "PATCH", f"/v1/inbox/customers/{customer_id}", json_body={"tags": ["vip"]}
    )
    assert tagged.body["tags"] == ["vip"]
    foreign = other_shop.tenant.api.request(
        "GET", f"/v1/inbox/customers/{customer_id}", token=other_shop.tenant.data.tokens["admin"]
    )
    assert foreign.status == 404

    assert _console(shop, "support", "DELETE", f"/v1/inbox/customers/{customer_id}").status == 403
    erased = _console(shop, "admin", "DELETE", f"/v1/inbox/customers/{customer_id}")
    assert erased.status == 200, erased.body
    assert erased.body["conversations_removed"] == 2 and erased.body["attachments_removed"] == 1
    assert erased.body["messages_removed"] >= 4

    owner_session.expire_all()
    conversation_ids = [uuid.UUID(visitor.conversation_id), uuid.UUID(second.conversation_id)]
    assert owner_session.get(Customer, customer_id) is None
    assert (
        owner_session.scalar(select(func.count(Conversation.id)).where(Conversation.id.in_(conversation_ids)))
        == 0
    )
    assert (
        owner_session.scalar(
            select(func.count(Message.id)).where(Message.conversation_id.in_(conversation_ids))
        )
        == 0
    )
    left = boto3.client("s3").list_objects_v2(
        Bucket=get_settings().attachments_bucket,
        Prefix=f"{shop.tenant.data.company_id}/{visitor.conversation_id}/",
    )
    assert left.get("KeyCount", 0) == 0
    entry = owner_session.scalar(
        select(AuditLog).where(AuditLog.action == "customer.erase", AuditLog.resource_id == customer_id)
    )
    assert entry is not None and entry.user_id == shop.tenant.data.admin_id
    assert entry.details["conversations"] == 2 and "lin@example.com" not in str(entry.details)


def test_canned_response_fields_that_always_have_a_value_refuse_null(
    api: ApiClient, tenants: Tenants
) -> None:
    """Found by `./run fuzz`: a null title or content reached the database, null tags or agent ids
    were stored and the response could not be shown (500)."""
    token = tenants.a.tokens["admin"]
    created = api.request(
        "POST", "/v1/inbox/canned-responses", token=token, json_body={"title": "Nulls", "content": "c"}
    )
    assert created.status == 201, created.body
    path = f"/v1/inbox/canned-responses/{created.body['id']}"
    for field in ("title", "content", "tags", "agent_ids"):
        refused = api.request("PATCH", path, token=token, json_body={field: None})
        assert refused.status == 422, (field, refused.status, refused.body)
    cleared = api.request("PATCH", path, token=token, json_body={"category": None, "shortcut": None})
    assert cleared.status == 200, cleared.body
