"""Streams answers to open widget sockets (SQS worker): the chat API stored the customer's message
and answered 202; this runs the agent and sends its answer frame by frame (docs/realtime.md).

Heavy modules load at init, as in the chat function (SnapStart snapshots them).
"""

from __future__ import annotations

import contextlib
import json
import os
import uuid

import anthropic  # noqa: F401
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from chatapp.config import get_settings
from chatapp.integrations.sqs_worker import sqs_worker
from chatapp.snapstart import register_after_restore, reopen_connections
from chatapp.surfaces import widget_streaming

if get_settings().qdrant_url:
    import qdrant_client  # noqa: F401

register_after_restore(reopen_connections)


def answer(record: SQSRecord, final_attempt: bool) -> str:
    job = json.loads(record.body)
    ids = (uuid.UUID(job["company_id"]), uuid.UUID(job["conversation_id"]), uuid.UUID(job["message_id"]))
    retried = int(record.attributes.approximate_receive_count or 1) > 1
    try:
        widget_streaming.stream_answer(*ids, retried=retried)
    except Exception:
        if final_attempt:  # the widget stops waiting; the dead letter keeps the job for a person
            with contextlib.suppress(Exception):
                widget_streaming.give_up_answer(*ids)
        raise
    return "answered"


handler = sqs_worker(
    "streamed answer",
    answer,
    max_receives=int(os.environ.get("ANSWER_MAX_RECEIVES", "3")),
    dead_letter_url_env="ANSWER_DLQ_URL",
)
