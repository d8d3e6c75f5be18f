"""Outbound webhook worker: SQS batches in, partial batch failures out.

Each record is one event for one endpoint. HTTP failures are retried by queueing a new, delayed
message (exponential backoff up to the endpoint's `max_retries`), so the record itself succeeds.
A record that raises (database or queue unavailable) is reported failed and SQS redelivers it; on
its last allowed receive it is moved to the dead-letter queue with the reason as an attribute,
and the queue's redrive policy remains the safety net for crashes.
"""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from chatapp.errors import DomainError
from chatapp.integrations.queues import dead_letter
from chatapp.observability import logger, observed
from chatapp.services.webhook_delivery import DeliveryMessage, deliver

processor = BatchProcessor(event_type=EventType.SQS)
MAX_RECEIVES = int(os.environ.get("WEBHOOK_MAX_RECEIVES", "5"))


def _dead_letter(record: SQSRecord, reason: str) -> None:
    dead_letter(os.environ["WEBHOOK_DLQ_URL"], record.body, record.message_id, reason)


def record_handler(record: SQSRecord) -> str:
    final_attempt = int(record.attributes.approximate_receive_count or 1) >= MAX_RECEIVES
    try:
        outcome = deliver(DeliveryMessage.from_body(record.body))
    except Exception as error:
        reason = error.code if isinstance(error, DomainError) else type(error).__name__
        logger.warning(
            "webhook record failed",
            extra={"message_id": record.message_id, "reason": reason, "final_attempt": final_attempt},
        )
        if isinstance(error, DomainError):  # a malformed message never gets better
            _dead_letter(record, reason)
            return "dead_lettered"
        if not final_attempt:
            raise
        _dead_letter(record, reason)
        return "dead_lettered"
    logger.info("webhook record done", extra={"message_id": record.message_id, "outcome": outcome.value})
    return outcome.value


@observed
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    result: dict[str, Any] = process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
    return result
