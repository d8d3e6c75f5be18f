"""Outbound webhook worker: SQS batches in, partial batch failures out.

Each record is one event for one endpoint. HTTP failures are retried by queueing a new, delayed
message (exponential backoff up to the endpoint's `max_retries`), so the record itself succeeds.
A record that raises (database or queue unavailable) is redelivered by SQS and dead-lettered with
the reason on its last allowed receive; a malformed one at once (see `chatapp.integrations.sqs_worker`).
"""

from __future__ import annotations

import os

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from chatapp.errors import DomainError
from chatapp.integrations.sqs_worker import sqs_worker
from chatapp.webhooks.delivery import DeliveryMessage, deliver


def deliver_event(record: SQSRecord, _final_attempt: bool) -> str:
    return deliver(DeliveryMessage.from_body(record.body)).value


handler = sqs_worker(
    "webhook",
    deliver_event,
    max_receives=int(os.environ.get("WEBHOOK_MAX_RECEIVES", "5")),
    dead_letter_url_env="WEBHOOK_DLQ_URL",
    hopeless=(DomainError,),  # a malformed message never gets better
)
