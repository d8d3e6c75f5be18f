"""A test run's questions go through the real engine in sandbox conversations, which count nowhere
a customer's does (issue #19). Each exclusion is checked beside a real conversation that does
count, so every assertion here could fail."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import boto3
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from chatapp.db.models.agents import Agent
from chatapp.quality import sandbox
from tests.integration.chat.conftest import ChatShop
from tests.integration.chat.sockets import Realtime
from tests.integration.stack import LocalAws

GUIDE = (
    "# Returns\n\nYou can return any item within 30 days of delivery for a full refund. Print the "
    "prepaid label from your order page and drop the parcel at any parcel shop."
)


def _webhook_messages(local_aws: LocalAws) -> list[dict[str, Any]]:
    url = local_aws.sources.queue_urls["WebhookQueue"]
    sqs, found = boto3.client("sqs"), []
    while messages := local_aws.receive(url):
        for message in messages:
            found.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return found


def _mentions(items: list[Any], conversation_ids: set[str]) -> bool:
    return any(c in json.dumps(item, default=str) for item in items for c in conversation_ids)


def _agent_totals(owner_session: Session, agent_id: uuid.UUID) -> tuple[int, int]:
    owner_session.expire_all()
    agent = owner_session.get(Agent, agent_id)
    assert agent is not None
    return agent.total_messages or 0, agent.total_conversations or 0


def test_sandbox_conversations_count_nowhere_a_customers_does(
    shop: ChatShop, realtime: Realtime, local_aws: LocalAws, owner_session: Session, owner_engine: Engine
) -> None:
    from chatapp.analytics.rollup import rollup_date

    data = shop.tenant.data
    shop.teach("returns.md", GUIDE)
    shop.configure(escalation_rules={"keywords": ["lawyer"]})
    hook = shop.tenant.call(
        "POST",
        "/v1/webhooks",
        json_body={
            "name": "all",
            "url": "http://127.0.0.1:9/",
            "events": ["conversation.created", "message.received", "escalation.created"],
        },
    )
    assert hook.status == 201, hook.body
    online = shop.tenant.call(
        "PUT", "/v1/inbox/presence", token=data.tokens["support"], json_body={"status": "online"}
    )
    assert online.status == 200  # someone auto-assignment would pick
    console = realtime.console(shop, shop.tenant.token)
    realtime.wait_open(1)
    _webhook_messages(local_aws)
    usage_before = shop.tenant.call("GET", "/v1/knowledge/usage").body["messages_this_month"]
    totals_before = _agent_totals(owner_session, data.agent_id)

    answered = sandbox.ask(data.company_id, data.agent_id, "How do I return an item for a refund?")
    handed = sandbox.ask(data.company_id, data.agent_id, "My lawyer wants the parcel back")
    assert answered.answer and [c["filename"] for c in answered.citations] == ["returns.md"]
    assert answered.would_hand_over is False and answered.latency_ms > 0
    assert handed.would_hand_over is True
    sandboxes = {str(answered.conversation_id), str(handed.conversation_id)}

    # The control: a customer's conversation, the same questions, counted everywhere.
    visitor = shop.visit()
    assert visitor.send("How do I return an item for a refund?").status == 200
    assert visitor.send("My lawyer wants the parcel back").body["escalated"] is True
    console.until("escalation.created")

    hooks = _webhook_messages(local_aws)
    assert _mentions(hooks, {visitor.conversation_id}) and not _mentions(hooks, sandboxes)
    frames = [frame for _, frame in console.received]
    assert _mentions(frames, {visitor.conversation_id}) and not _mentions(frames, sandboxes)

    queue = shop.tenant.call("GET", "/v1/inbox/escalations").body
    assert {e["conversation_id"] for e in queue} & sandboxes == set()
    assert visitor.conversation_id in {e["conversation_id"] for e in queue}
    with owner_engine.connect() as db:
        escalations = db.execute(
            text("SELECT count(*) FROM chatapp_escalations WHERE conversation_id = ANY(:ids)"),
            {"ids": [uuid.UUID(c) for c in sandboxes]},
        ).scalar_one()
    assert escalations == 0  # nothing to auto-assign, nothing in anyone's queue
    listed = shop.tenant.call("GET", "/v1/inbox/conversations?limit=100").body
    assert visitor.conversation_id in {c["id"] for c in listed} and not {c["id"] for c in listed} & sandboxes
    detail = shop.tenant.call("GET", f"/v1/inbox/conversations/{answered.conversation_id}")
    assert detail.status == 404

    created = shop.tenant.call(
        "POST", "/v1/api-keys", json_body={"name": "reader", "scopes": ["read:conversations"]}
    )
    assert created.status == 201, created.body
    api_key = created.body["key"]
    public = shop.tenant.call("GET", "/v1/public/conversations?limit=100", token=api_key)
    assert public.status == 200, public.body
    public_ids = {c["id"] for c in public.body["items"]}
    assert visitor.conversation_id in public_ids and not public_ids & sandboxes
    assert (
        shop.tenant.call("GET", f"/v1/public/conversations/{answered.conversation_id}", token=api_key).status
        == 404
    )

    # Usage meter and the agent's totals: the customer's four messages and one conversation only.
    usage_after = shop.tenant.call("GET", "/v1/knowledge/usage").body["messages_this_month"]
    assert usage_after - usage_before == 4
    messages, conversations = _agent_totals(owner_session, data.agent_id)
    assert (messages - totals_before[0], conversations - totals_before[1]) == (4, 1)

    # Content gaps keep each customer question's query embedding, never a test run's.
    with owner_engine.connect() as db:
        kept = db.execute(
            text(
                "SELECT v.conversation_id::text, m.content, v.model_id, length(v.embedding) / 4, "
                "v.reply_message_id IS NOT NULL "
                "FROM chatapp_question_vectors v JOIN chatapp_messages m ON m.id = v.message_id "
                "WHERE v.company_id = :c"
            ),
            {"c": data.company_id},
        ).all()
    assert {(row[0], row[1]) for row in kept} >= {
        (visitor.conversation_id, "How do I return an item for a refund?")
    }
    assert all(row[0] not in sandboxes and row[3] == 384 and row[2] for row in kept)
    assert all(row[4] for row in kept if row[0] == visitor.conversation_id)  # with its reply

    rollup_date(datetime.now(UTC).date(), data.company_id)
    with owner_engine.connect() as db:
        new = db.execute(
            text(
                "SELECT coalesce(sum(new_conversations), 0) FROM chatapp_daily_analytics "
                "WHERE company_id = :c AND date = :d AND agent_id IS NOT NULL"
            ),
            {"c": data.company_id, "d": datetime.now(UTC).date()},
        ).scalar_one()
        started_today = db.execute(
            text(
                "SELECT count(*) FROM chatapp_conversations WHERE company_id = :c AND NOT is_sandbox "
                "AND started_at::date = :d"
            ),
            {"c": data.company_id, "d": datetime.now(UTC).date()},
        ).scalar_one()
    assert new == started_today  # the two sandboxes are not among them
