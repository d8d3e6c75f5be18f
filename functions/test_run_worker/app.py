"""Test run worker: one question of an agent's test run per SQS message, answered in a sandbox
conversation and graded. At least once: an answered question is not answered again; a question
that still fails on its last allowed receive is parked in the dead-letter queue with the reason.
"""

from __future__ import annotations

import json
import os
import uuid

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from chatapp.integrations.sqs_worker import sqs_worker
from chatapp.quality import test_run_answers


def answer_question(record: SQSRecord, _final_attempt: bool) -> str:
    message = json.loads(record.body)
    answered = test_run_answers.answer_question(
        uuid.UUID(message["company_id"]), uuid.UUID(message["run_id"]), int(message["position"])
    )
    return "answered" if answered else "already answered"


handler = sqs_worker(
    "test question",
    answer_question,
    max_receives=int(os.environ.get("TEST_RUN_MAX_RECEIVES", "3")),
    dead_letter_url_env="TEST_RUN_DLQ_URL",
)
