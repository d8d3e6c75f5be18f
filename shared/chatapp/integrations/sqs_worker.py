"""The one shape of an SQS-driven Lambda: at-least-once, partial batch failures, dead letters.

Each record runs `work(record, final_attempt)`. A record that raises is reported failed, so SQS
delivers it again; on its last allowed receive (or at once, for an error that retrying cannot
fix) it is parked in the dead-letter queue with the reason as a message attribute and reported
done. The queue's own redrive policy stays the safety net for crashes and timeouts.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from chatapp.errors import DomainError
from chatapp.integrations.queues import dead_letter
from chatapp.observability import correlate, logger, observed, uncorrelate

Work = Callable[[SQSRecord, bool], str]
LambdaHandler = Callable[[dict[str, Any], Any], dict[str, Any]]


def failure_reason(error: Exception) -> str:
    """What the dead letter and the log say: a domain error's code, else only the error's type
    (messages may carry customer data)."""
    return error.code if isinstance(error, DomainError) else type(error).__name__


def sqs_worker(
    name: str,
    work: Work,
    *,
    max_receives: int,
    dead_letter_url_env: str,
    hopeless: tuple[type[Exception], ...] = (),
) -> LambdaHandler:
    """A Lambda handler for an SQS event source. `hopeless` errors are dead-lettered at once."""
    processor = BatchProcessor(event_type=EventType.SQS)

    def record_handler(record: SQSRecord) -> str:
        uncorrelate()
        correlate(message_id=record.message_id)
        final_attempt = int(record.attributes.approximate_receive_count or 1) >= max_receives
        try:
            outcome = work(record, final_attempt)
        except Exception as error:
            reason = failure_reason(error)
            logger.warning(
                f"{name} record failed",
                extra={"message_id": record.message_id, "reason": reason, "final_attempt": final_attempt},
            )
            if not final_attempt and not isinstance(error, hopeless):
                raise
            dead_letter(os.environ[dead_letter_url_env], record.body, record.message_id, reason)
            return "dead_lettered"
        logger.info(f"{name} record done", extra={"message_id": record.message_id, "outcome": outcome})
        return outcome

    @observed
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        result: dict[str, Any] = process_partial_response(
            event=event, record_handler=record_handler, processor=processor, context=context
        )
        return result

    return handler
