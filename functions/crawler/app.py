"""Knowledge source crawler: one item of a sync (a page, a sitemap, a page of an API's listing) per
SQS message. At least once: a visited item is not visited again; an item that still fails on its
last allowed receive is parked in the dead-letter queue with the reason.
"""

from __future__ import annotations

import os

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from chatapp.errors import InvalidInput
from chatapp.integrations.sqs_worker import sqs_worker
from chatapp.knowledge.sources.syncs import CrawlMessage, process


def visit_item(record: SQSRecord, _final_attempt: bool) -> str:
    return process(CrawlMessage.from_body(record.body))


handler = sqs_worker(
    "crawl item",
    visit_item,
    max_receives=int(os.environ.get("CRAWL_MAX_RECEIVES", "3")),
    dead_letter_url_env="CRAWL_DLQ_URL",
    hopeless=(InvalidInput,),
)
