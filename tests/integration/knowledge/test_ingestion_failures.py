"""At-least-once ingestion: crashes, redeliveries and poison messages end in one consistent state."""

from __future__ import annotations

import json
import uuid

import boto3
import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from chatapp.integrations import embeddings
from chatapp.knowledge import ingestion
from chatapp.knowledge import vectors as knowledge_vectors
from tests.integration.knowledge.conftest import KnowledgeTenant, LocalAws
from tests.integration.knowledge.documents import build


class _EmbedderThatDiesOnce:
    """The model process dying mid-file (out of memory, a timeout): fails on its second batch, once."""

    def __init__(self, real: embeddings.Embedder) -> None:
        self.real, self.calls, self.failed = real, 0, False
        self.model_id, self.dimensions, self.max_input_tokens = (
            real.model_id,
            real.dimensions,
            real.max_input_tokens,
        )

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.calls += 1
        if self.calls == 2 and not self.failed:
            self.failed = True
            raise TimeoutError("embedding worker stopped")
        return self.real.embed_documents(texts)

    def embed_query(self, text_: str) -> list[float]:
        return self.real.embed_query(text_)


def test_crash_half_way_then_redelivery_ends_with_one_set(
    tenant: KnowledgeTenant, local_aws: LocalAws, owner_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    dying = _EmbedderThatDiesOnce(embeddings.get_embedder())
    monkeypatch.setattr(ingestion, "get_embedder", lambda: dying)
    monkeypatch.setattr(knowledge_vectors, "get_embedder", lambda: dying)
    monkeypatch.setattr(ingestion, "EMBED_BATCH", 4)
    category = tenant.category("Crash")
    content = build(
        "md",
        "Crash",
        [(f"Part {i}", f"Sentence {i} about the harbour ferry timetable. " * 25) for i in range(10)],
    )
    file_id = tenant.upload(category, "crash.md", content)

    first = local_aws.receive()
    failed = local_aws.sources.deliver_sqs(local_aws.ingest, local_aws.queue_url, first)
    assert failed == [first[0]["MessageId"]]  # reported as a partial batch failure, not lost
    assert tenant.file(file_id)["status"] == "processing"
    vectors = knowledge_vectors.for_company(tenant.data.company_id)
    assert vectors.count(uuid.UUID(file_id)) == 4  # the first batch was already written

    local_aws.drain()  # redelivery
    done = tenant.file(file_id)
    assert done["status"] == "indexed"
    chunks = owner_session.execute(
        text("SELECT count(*) FROM chatapp_knowledge_chunks WHERE file_id = :f"), {"f": file_id}
    ).scalar()
    assert chunks == done["chunk_count"] > 4
    assert vectors.count(uuid.UUID(file_id)) == chunks


def test_message_failing_three_times_reaches_the_dead_letter_queue_with_its_reason(
    tenant: KnowledgeTenant, local_aws: LocalAws
) -> None:
    sqs = boto3.client("sqs")
    sqs.send_message(QueueUrl=local_aws.queue_url, MessageBody=json.dumps({"not": "an ingest message"}))
    outcomes = []
    for _ in range(3):
        messages = local_aws.receive()
        assert len(messages) == 1
        outcomes.append(local_aws.sources.deliver_sqs(local_aws.ingest, local_aws.queue_url, messages))
    assert [bool(o) for o in outcomes] == [True, True, False]  # retried twice, handled on the third receive
    assert local_aws.receive() == []
    dead = local_aws.receive(local_aws.dead_letter_url)
    assert len(dead) == 1
    assert dead[0]["MessageAttributes"]["failure_reason"]["StringValue"] == "invalid_ingest_message"
    assert json.loads(dead[0]["Body"]) == {"not": "an ingest message"}
    sqs.delete_message(QueueUrl=local_aws.dead_letter_url, ReceiptHandle=dead[0]["ReceiptHandle"])


def test_file_failing_every_attempt_is_marked_failed_before_dead_lettering(
    tenant: KnowledgeTenant, local_aws: LocalAws, owner_session: Session
) -> None:
    category = tenant.category("Vanishing")
    file_id = tenant.upload(category, "vanishing.txt", b"Words that will disappear from storage.\n")
    key = owner_session.scalar(
        text("SELECT storage_path FROM chatapp_knowledge_files WHERE id = :f"), {"f": file_id}
    )
    boto3.client("s3").delete_object(Bucket=local_aws.sources.bucket_names["KnowledgeBucket"], Key=key)
    for _ in range(3):
        local_aws.sources.deliver_sqs(local_aws.ingest, local_aws.queue_url, local_aws.receive())
    failed = tenant.file(file_id)
    assert failed["status"] == "failed" and "several attempts" in failed["processing_error"]
    dead = local_aws.receive(local_aws.dead_letter_url)
    assert [json.loads(m["Body"])["file_id"] for m in dead] == [file_id]
    boto3.client("sqs").delete_message(
        QueueUrl=local_aws.dead_letter_url, ReceiptHandle=dead[0]["ReceiptHandle"]
    )
