"""Knowledge ingestion worker: SQS batches in, partial batch failures out.

Each record is one file to (re)index. On its last allowed receive a failing record is moved to the
dead-letter queue with the reason (see `chatapp.integrations.sqs_worker`), and `ingest` marks the
file failed.
"""

from __future__ import annotations

import os

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from chatapp.integrations.sqs_worker import sqs_worker
from chatapp.knowledge.ingestion import IngestMessage, ingest


def index_file(record: SQSRecord, final_attempt: bool) -> str:
    return ingest(IngestMessage.from_body(record.body), final_attempt=final_attempt).value


handler = sqs_worker(
    "ingest",
    index_file,
    max_receives=int(os.environ.get("INGEST_MAX_RECEIVES", "3")),
    dead_letter_url_env="INGEST_DLQ_URL",
)
