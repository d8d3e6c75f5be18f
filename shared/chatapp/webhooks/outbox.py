"""The webhook outbox relay: sends the events the after-commit send could not queue.

`webhook_events` writes each delivery message to `chatapp_webhook_outbox` in the change's
transaction and, after the commit, queues it and deletes the row. A row still there `older_than`
later (60 s by default, so the relay never races that send) means the send or the delete failed:
the scheduled relay (every minute) queues it and deletes it. Rows are taken `FOR UPDATE SKIP
LOCKED`, so overlapping runs split the work instead of queueing it twice. A message may still be
queued twice (a delete that failed after a send that worked): receivers de-duplicate by
`webhook-id`, which stays the same.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select

from chatapp.db.models.channels import WebhookOutbox
from chatapp.db.tenancy import system_session
from chatapp.observability import logger
from chatapp.webhooks import events as webhook_events

BATCH = 10  # SQS's batch limit: a failed batch stops the run, the batches before it are kept sent


def relay(
    now: datetime | None = None, older_than: timedelta = timedelta(seconds=60), limit: int = 500
) -> int:
    """Queue and delete up to `limit` outbox rows older than `older_than`; returns how many were sent."""
    cutoff = (now or datetime.now(UTC)) - older_than
    sent = 0
    with system_session("webhook outbox relay: queue events the after-commit send missed") as db:
        rows = db.execute(
            select(WebhookOutbox.id, WebhookOutbox.message)
            .where(WebhookOutbox.created_at < cutoff)
            .order_by(WebhookOutbox.created_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        for start in range(0, len(rows), BATCH):
            batch = rows[start : start + BATCH]
            try:
                webhook_events.send([row.message for row in batch])
            except Exception as error:  # the rest stays for the next run
                logger.error(
                    "webhook outbox relay could not queue events",
                    extra={"pending": len(rows) - start, "error_type": type(error).__name__},
                )
                break
            db.execute(delete(WebhookOutbox).where(WebhookOutbox.id.in_([row.id for row in batch])))
            sent += len(batch)
    if sent:
        logger.info("webhook outbox relay queued events", extra={"count": sent})
    return sent
