"""Knowledge ingestion worker: SQS batches in, partial batch failures out.

Each record is one file to (re)index. A record that still fails on its last allowed receive is
moved to the dead-letter queue by this handler, with the failure reason as a message attribute,
and the file is marked failed; the queue's redrive policy remains the safety net for crashes.
"""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from chatapp.errors import DomainError
from chatapp.integrations.queues import dead_letter
from chatapp.observability import logger, observed
from chatapp.services.ingestion import IngestMessage, ingest

processor = BatchProcessor(event_type=EventType.SQS)
MAX_RECEIVES = int(os.environ.get("INGEST_MAX_RECEIVES", "3"))


def _dead_letter(record: SQSRecord, reason: str) -> None:
    dead_letter(os.environ["INGEST_DLQ_URL"], record.body, record.message_id, reason)


def record_handler(record: SQSRecord) -> str:
    final_attempt = int(record.attributes.approximate_receive_count or 1) >= MAX_RECEIVES
    try:
        outcome = ingest(IngestMessage.from_body(record.body), final_attempt=final_attempt)
    except Exception as error:
        reason = error.code if isinstance(error, DomainError) else type(error).__name__
        logger.warning(
            "ingest record failed",
            extra={"message_id": record.message_id, "reason": reason, "final_attempt": final_attempt},
        )
        if not final_attempt:
            raise
        _dead_letter(record, reason)
        return "dead_lettered"
    logger.info("ingest record done", extra={"message_id": record.message_id, "outcome": outcome.value})
    return outcome.value


@observed
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    result: dict[str, Any] = process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
    return result
