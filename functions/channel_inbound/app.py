"""Channel events worker: verified webhook events in (SQS), answers out through the engine.

At-least-once: a redelivered event finds its platform message ids already answered. An event that
still fails on its last allowed receive is parked in the dead-letter queue with the reason.
"""

from __future__ import annotations

import json
import os

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from chatapp.channels import inbound
from chatapp.integrations.sqs_worker import sqs_worker


def answer_event(record: SQSRecord, _final_attempt: bool) -> str:
    return f"{inbound.process(json.loads(record.body))} messages"


handler = sqs_worker(
    "channel event",
    answer_event,
    max_receives=int(os.environ.get("CHANNEL_MAX_RECEIVES", "3")),
    dead_letter_url_env="CHANNEL_INBOUND_DLQ_URL",
)
