"""Channel sends worker: one reply per message, retried by the queue while the platform is down."""

from __future__ import annotations

import json
import os
import uuid
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from chatapp.observability import logger, observed
from chatapp.services import channel_outbound

processor = BatchProcessor(event_type=EventType.SQS)
MAX_RECEIVES = int(os.environ.get("CHANNEL_MAX_RECEIVES", "3"))


def record_handler(record: SQSRecord) -> str:
    job = json.loads(record.body)
    final_attempt = int(record.attributes.approximate_receive_count or 1) >= MAX_RECEIVES
    outcome = channel_outbound.deliver(
        uuid.UUID(job["company_id"]), uuid.UUID(job["message_id"]), final_attempt=final_attempt
    )
    logger.info("channel send", extra={"outcome": outcome})
    return outcome


@observed
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    result: dict[str, Any] = process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
    return result
