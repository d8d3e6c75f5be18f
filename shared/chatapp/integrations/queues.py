"""Messages to the background queues."""

from __future__ import annotations

import json
from typing import Any

from chatapp.config import get_settings
from chatapp.integrations.aws import client


def send_ingest(message: dict[str, Any]) -> None:
    queue_url = get_settings().ingest_queue_url
    if not queue_url:
        raise RuntimeError("INGEST_QUEUE_URL is not configured")
    client("sqs").send_message(QueueUrl=queue_url, MessageBody=json.dumps(message))
