"""Emitting outbound webhook events: recorded inside the change's transaction, queued after it commits.

`emit` runs inside the caller's transaction: it finds the company's active endpoints subscribed to
the event (and, for endpoints bound to an agent, only that agent's events) and remembers one
delivery message per endpoint on the session. The messages go to the webhook queue from the
session's `after_commit` hook, so a change that rolls back emits nothing. A failure to queue after
the commit is logged and the event is lost (at-most-once between the commit and the queue: an
outbox table would be needed for at-least-once there). From the queue on, delivery is
at-least-once with retries (see `webhook_delivery`).

Each event gets one stable id `msg_<uuid>`, sent as the `webhook-id` header on every attempt to
every endpoint; receivers de-duplicate by it (the Standard Webhooks contract).
"""

from __future__ import annotations

import enum
import json
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from chatapp.config import get_settings
from chatapp.db.models.channels import Webhook
from chatapp.integrations.aws import client
from chatapp.observability import logger

TEST_EVENT = "webhook.test"
_PENDING = "webhook_events_pending"
_LISTENING = "webhook_events_listening"


def new_event_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, enum.Enum):
        return value.value
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def payload_body(event_type: str, data: dict[str, Any], now: datetime | None = None) -> str:
    """The request body: {"type", "timestamp", "data"} (the Standard Webhooks recommendation)."""
    payload = {"type": event_type, "timestamp": (now or datetime.now(UTC)).isoformat(), "data": data}
    return json.dumps(payload, default=_json_default, separators=(",", ":"))


def delivery_message(
    company_id: uuid.UUID, webhook_id: uuid.UUID, event_id: str, event_type: str, body: str, attempt: int = 0
) -> dict[str, Any]:
    return {
        "company_id": str(company_id),
        "webhook_id": str(webhook_id),
        "event_id": event_id,
        "event_type": event_type,
        "body": body,
        "attempt": attempt,
    }


def emit(
    db: Session,
    *,
    company_id: uuid.UUID,
    agent_id: uuid.UUID | None,
    event_type: str,
    data: dict[str, Any],
) -> None:
    """Record `event_type` for the company's subscribed endpoints; queued once `db` commits."""
    endpoints = db.execute(
        select(Webhook.id, Webhook.events, Webhook.agent_id).where(
            Webhook.company_id == company_id, Webhook.is_active.is_(True)
        )
    ).all()
    targets = [
        row.id
        for row in endpoints
        if event_type in (row.events or []) and (row.agent_id is None or row.agent_id == agent_id)
    ]
    if targets:
        queue_after_commit(db, company_id, targets, event_type, data)


def queue_after_commit(
    db: Session, company_id: uuid.UUID, webhook_ids: list[uuid.UUID], event_type: str, data: dict[str, Any]
) -> str:
    """Remember one delivery per endpoint on the session; returns the event's id."""
    event_id = new_event_id()
    body = payload_body(event_type, data)
    pending: list[dict[str, Any]] = db.info.setdefault(_PENDING, [])
    pending.extend(delivery_message(company_id, w, event_id, event_type, body) for w in webhook_ids)
    if not db.info.get(_LISTENING):
        db.info[_LISTENING] = True
        event.listen(db, "after_commit", _send_pending)
        event.listen(db, "after_rollback", _forget_pending)
    return event_id


def _forget_pending(db: Session) -> None:
    db.info.pop(_PENDING, None)


def _send_pending(db: Session) -> None:
    messages = db.info.pop(_PENDING, None)
    if not messages:
        return
    try:
        send(messages)
    except Exception as error:  # the change is committed; never fail the caller's request now
        logger.error(
            "webhook events could not be queued",
            extra={"count": len(messages), "error_type": type(error).__name__},
        )


def send(messages: list[dict[str, Any]], delay_seconds: int = 0) -> None:
    """Put delivery messages on the webhook queue (batches of ten)."""
    queue_url = get_settings().webhook_queue_url
    if not queue_url:
        raise RuntimeError("WEBHOOK_QUEUE_URL is not configured")
    sqs = client("sqs")
    for start in range(0, len(messages), 10):
        batch = messages[start : start + 10]
        response = sqs.send_message_batch(
            QueueUrl=queue_url,
            Entries=[
                {"Id": str(i), "MessageBody": json.dumps(m), "DelaySeconds": delay_seconds}
                for i, m in enumerate(batch)
            ],
        )
        if response.get("Failed"):
            raise RuntimeError(f"{len(response['Failed'])} webhook messages were not queued")
