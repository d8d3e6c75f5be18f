"""Messages to the background queues."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from chatapp.config import get_settings
from chatapp.integrations.aws import client


def dead_letter(queue_url: str, body: str, source_message_id: str, reason: str) -> None:
    """Park a message that failed its last allowed attempt, with the reason, for a person to look at."""
    client("sqs").send_message(
        QueueUrl=queue_url,
        MessageBody=body,
        MessageAttributes={
            "failure_reason": {"DataType": "String", "StringValue": reason[:1000]},
            "source_message_id": {"DataType": "String", "StringValue": source_message_id},
        },
    )


def _send(setting: str, message: dict[str, Any], delay_seconds: int = 0) -> None:
    queue_url = getattr(get_settings(), setting)
    if not queue_url:
        raise RuntimeError(f"{setting.upper()} is not configured")
    client("sqs").send_message(
        QueueUrl=queue_url, MessageBody=json.dumps(message), DelaySeconds=delay_seconds
    )


def send_ingest(message: dict[str, Any], *, delay_seconds: int = 0) -> None:
    _send("ingest_queue_url", message, delay_seconds)


def send_channel_event(message: dict[str, Any]) -> None:
    """A verified platform webhook, answered by the channel worker."""
    _send("channel_inbound_queue_url", message)


def send_test_questions(company_id: Any, run_id: Any, positions: Iterable[int]) -> None:
    """One message per question of a test run, so a run fans out across workers."""
    queue_url = get_settings().test_run_queue_url
    if not queue_url:
        raise RuntimeError("TEST_RUN_QUEUE_URL is not configured")
    entries = [
        {
            "Id": str(position),
            "MessageBody": json.dumps(
                {"company_id": str(company_id), "run_id": str(run_id), "position": position}
            ),
        }
        for position in positions
    ]
    sqs = client("sqs")
    for start in range(0, len(entries), 10):  # SQS takes ten a batch
        sent = sqs.send_message_batch(QueueUrl=queue_url, Entries=entries[start : start + 10])
        if sent.get("Failed"):
            raise RuntimeError(f"{len(sent['Failed'])} test questions could not be queued")


def send_crawl(messages: list[dict[str, Any]], *, delay_seconds: int = 0) -> None:
    """Items of a knowledge source's sync, one message each, so a large site fans out."""
    queue_url = get_settings().crawl_queue_url
    if not queue_url:
        raise RuntimeError("CRAWL_QUEUE_URL is not configured")
    sqs = client("sqs")
    for start in range(0, len(messages), 10):  # SQS takes ten a batch
        entries = [
            {"Id": str(n), "MessageBody": json.dumps(m), "DelaySeconds": delay_seconds}
            for n, m in enumerate(messages[start : start + 10])
        ]
        sent = sqs.send_message_batch(QueueUrl=queue_url, Entries=entries)
        if sent.get("Failed"):
            raise RuntimeError(f"{len(sent['Failed'])} crawl messages could not be queued")


def send_channel_delivery(company_id: Any, message_id: Any) -> None:
    """A reply to push to the customer's platform (the widget polls; other channels are pushed to)."""
    _send("channel_outbound_queue_url", {"company_id": str(company_id), "message_id": str(message_id)})
