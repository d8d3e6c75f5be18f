"""Channel events worker: verified webhook events in (SQS), answers out through the engine.

At-least-once: a redelivered event finds its platform message ids already answered. An event that
still fails on its last allowed receive is parked in the dead-letter queue with the reason.
"""

from __future__ import annotations

import json
import os
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from chatapp.integrations.queues import dead_letter
from chatapp.observability import logger, observed
from chatapp.services import channel_inbound

processor = BatchProcessor(event_type=EventType.SQS)
MAX_RECEIVES = int(os.environ.get("CHANNEL_MAX_RECEIVES", "3"))


def record_handler(record: SQSRecord) -> int:
    final_attempt = int(record.attributes.approximate_receive_count or 1) >= MAX_RECEIVES
    try:
        return channel_inbound.process(json.loads(record.body))
    except Exception as error:
        logger.warning("channel event failed", extra={"reason": type(error).__name__, "final": final_attempt})
        if not final_attempt:
            raise
        dead_letter(
            os.environ["CHANNEL_INBOUND_DLQ_URL"], record.body, record.message_id, type(error).__name__
        )
        return 0


@observed
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    result: dict[str, Any] = process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
    return result
