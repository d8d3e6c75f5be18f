"""Emitting outbound webhook events: written inside the change's transaction, queued after it commits.

`emit` runs inside the caller's transaction: it finds the company's active endpoints subscribed to
the event (and, for endpoints bound to an agent, only that agent's events) and writes one delivery
message per endpoint to `chatapp_webhook_outbox` (a transactional outbox), remembering them on the
session too. A change that rolls back takes its outbox rows with it and emits nothing. After the
commit the session's `after_commit` hook sends the messages to the webhook queue at once and deletes
their rows; if the send (or the delete) fails, the rows stay and `webhook_outbox.relay` sends them a
minute later. So delivery is at-least-once from the commit on (queue retries: see
`webhook_delivery`), and an event may occasionally be queued twice.

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

from sqlalchemy import delete, event, func, insert, select
from sqlalchemy.orm import Session

from chatapp.config import get_settings
from chatapp.db.models.channels import Webhook, WebhookOutbox
from chatapp.db.tenancy import system_session
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
    """Write one delivery per endpoint to the outbox in `db`'s transaction; returns the event's id."""
    event_id = new_event_id()
    body = payload_body(event_type, data)
    rows = [
        {
            "id": uuid.uuid4(),
            "company_id": company_id,
            "webhook_id": webhook_id,
            "message": delivery_message(company_id, webhook_id, event_id, event_type, body),
            # The insert's own time, not now() (the transaction's start): the relay's age cut-off
            # should count from the event, even in a long transaction.
            "created_at": func.clock_timestamp(),
        }
        for webhook_id in webhook_ids
    ]
    # A Core insert, not ORM objects: bookkeeping, never part of the caller's unit of work or audit.
    db.execute(insert(WebhookOutbox).values(rows))
    pending: list[tuple[uuid.UUID, dict[str, Any]]] = db.info.setdefault(_PENDING, [])
    pending.extend((row["id"], row["message"]) for row in rows)
    if not db.info.get(_LISTENING):
        db.info[_LISTENING] = True
        event.listen(db, "after_commit", _send_pending)
        event.listen(db, "after_rollback", _forget_pending)
    return event_id


def _forget_pending(db: Session) -> None:
    db.info.pop(_PENDING, None)


def _send_pending(db: Session) -> None:
    pending: list[tuple[uuid.UUID, dict[str, Any]]] | None = db.info.pop(_PENDING, None)
    if not pending:
        return
    try:
        send([message for _, message in pending])
    except Exception as error:  # the change is committed; never fail the caller's request now
        logger.warning(
            "webhook events could not be queued; the outbox relay will send them",
            extra={"count": len(pending), "error_type": type(error).__name__},
        )
        return
    _forget_sent([outbox_id for outbox_id, _ in pending])


def _forget_sent(outbox_ids: list[uuid.UUID]) -> None:
    """Delete outbox rows whose messages are on the queue. Best effort: a row left behind is only
    sent again by the relay, and receivers de-duplicate by `webhook-id`."""
    try:
        with system_session("webhook outbox: forget events queued after commit") as db:
            db.execute(delete(WebhookOutbox).where(WebhookOutbox.id.in_(outbox_ids)))
    except Exception as error:
        logger.warning(
            "queued webhook events stay in the outbox; the relay will send them again",
            extra={"count": len(outbox_ids), "error_type": type(error).__name__},
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
