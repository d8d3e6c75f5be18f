"""A worker can receive an ingestion message before the transaction that sent it is visible (the
message is sent inside it). Such a message must come back shortly, not be dropped as stale, or the
file would wait in "pending" forever."""

from __future__ import annotations

import json
import uuid

from chatapp.knowledge.ingestion import NOT_YET_VISIBLE_RETRIES, IngestMessage, IngestOutcome, ingest
from tests.integration.knowledge.conftest import KnowledgeTenant, LocalAws


def test_a_message_from_an_uncommitted_transaction_is_put_back(
    tenant: KnowledgeTenant, local_aws: LocalAws
) -> None:
    category = tenant.category("Race")
    file_id = tenant.upload(category, "race.md", b"# Race\n\nCommitted later than queued.\n", "text/markdown")
    local_aws.drain()
    assert tenant.file(file_id)["status"] == "indexed"  # generation 1 is done

    ahead = IngestMessage(company_id=tenant.data.company_id, file_id=uuid.UUID(file_id), generation=2)
    assert ingest(ahead) is IngestOutcome.REQUEUED
    [requeued] = [m for m in _all_messages(local_aws) if json.loads(m["Body"])["file_id"] == file_id]
    assert json.loads(requeued["Body"])["requeues"] == 1

    unknown = IngestMessage(company_id=tenant.data.company_id, file_id=uuid.uuid4(), generation=1)
    assert ingest(unknown) is IngestOutcome.REQUEUED  # the row itself may not be visible yet
    gone = unknown.model_copy(update={"requeues": NOT_YET_VISIBLE_RETRIES})
    assert ingest(gone) is IngestOutcome.STALE  # after a few tries: deleted, or never committed
    behind = IngestMessage(company_id=tenant.data.company_id, file_id=uuid.UUID(file_id), generation=0)
    assert ingest(behind) is IngestOutcome.STALE  # superseded by a newer generation


def _all_messages(local_aws: LocalAws) -> list[dict[str, object]]:
    import time

    time.sleep(2.2)  # the requeue is delayed by two seconds
    return local_aws.receive()
