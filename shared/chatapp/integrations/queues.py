"""Messages to the background queues."""

from __future__ import annotations

import json
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


def send_ingest(message: dict[str, Any], *, delay_seconds: int = 0) -> None:
    queue_url = get_settings().ingest_queue_url
    if not queue_url:
        raise RuntimeError("INGEST_QUEUE_URL is not configured")
    client("sqs").send_message(
        QueueUrl=queue_url, MessageBody=json.dumps(message), DelaySeconds=delay_seconds
    )
