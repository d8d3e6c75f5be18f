"""Channel sends worker: one reply per message, retried by the queue while the platform is down.

A send that still fails on its last allowed receive is recorded on the message as failed; anything
else still failing then (the database, say) is dead-lettered with the reason.
"""

from __future__ import annotations

import json
import os
import uuid

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from chatapp.channels import outbound
from chatapp.integrations.sqs_worker import sqs_worker


def send_reply(record: SQSRecord, final_attempt: bool) -> str:
    job = json.loads(record.body)
    return outbound.deliver(
        uuid.UUID(job["company_id"]), uuid.UUID(job["message_id"]), final_attempt=final_attempt
    )


handler = sqs_worker(
    "channel send",
    send_reply,
    max_receives=int(os.environ.get("CHANNEL_MAX_RECEIVES", "3")),
    dead_letter_url_env="CHANNEL_OUTBOUND_DLQ_URL",
)
