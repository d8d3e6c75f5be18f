"""Upload -> queue -> ingest -> indexed -> retrieval, for every supported format, on the real stack."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from chatapp.knowledge import vectors as knowledge_vectors
from tests.integration.knowledge.conftest import KnowledgeTenant, LocalAws
from tests.integration.knowledge.documents import FORMATS, MIME_TYPES, build

FILLER = [
    ("Shipping", "Orders leave our warehouse within two business days and arrive by courier."),
    ("Payments", "We accept cards and bank transfers; invoices are sent by e-mail after purchase."),
]


def _fact(fmt: str) -> tuple[str, str, str]:
    code = f"ZX{fmt.upper()}{uuid.uuid4().hex[:4].upper()}"
    paragraph = (
        f"Warranty claims for the titanium frame need the serial code {code} printed under the saddle."
    )
    return code, "How do I claim the frame warranty?", paragraph


@pytest.mark.parametrize("fmt", FORMATS)
def test_each_format_is_indexed_and_retrievable(
    fmt: str, tenant: KnowledgeTenant, local_aws: LocalAws, owner_session: Session
) -> None:
    category = tenant.category(f"Docs {fmt}")
    tenant.assign(category)
    code, question, paragraph = _fact(fmt)
    content = build(fmt, f"Frame guide ({fmt})", [*FILLER, ("Warranty", paragraph)])
    file_id = tenant.upload(category, f"guide.{fmt}", content, MIME_TYPES[fmt])
    assert tenant.file(file_id)["status"] == "pending"

    assert local_aws.drain() >= 1
    indexed = tenant.file(file_id)
    assert indexed["status"] == "indexed", indexed["processing_error"]
    assert indexed["chunk_count"] >= 1 and indexed["indexed_at"]
    assert indexed["metadata"]["wordCount"] > 20
    if fmt == "pdf":
        assert indexed["metadata"]["pageCount"] == 3

    results = tenant.retrieve(f"{question} {code}")
    assert results and code in results[0]["text"], [r["text"] for r in results]
    assert results[0]["filename"] == f"guide.{fmt}"
    if fmt == "pdf":
        assert results[0]["page_number"] == 3
    # Also found by meaning alone, without the lexical hook.
    assert any(code in r["text"] for r in tenant.retrieve(question))

    rows = owner_session.execute(
        text("SELECT count(*) FROM chatapp_knowledge_chunks WHERE file_id = :f"), {"f": file_id}
    ).scalar()
    vectors = knowledge_vectors.for_company(tenant.data.company_id).count(uuid.UUID(file_id))
    assert rows == vectors == indexed["chunk_count"]


def test_corrupt_file_ends_failed_with_a_reason(tenant: KnowledgeTenant, local_aws: LocalAws) -> None:
    category = tenant.category("Broken")
    file_id = tenant.upload(
        category, "broken.pdf", b"%PDF-1.4 this is not really a pdf \x00\x01\x02", "application/pdf"
    )
    local_aws.drain()
    failed = tenant.file(file_id)
    assert failed["status"] == "failed"
    assert "PDF" in failed["processing_error"] and "Traceback" not in failed["processing_error"]


def test_duplicate_delivery_leaves_exactly_one_set(
    tenant: KnowledgeTenant, local_aws: LocalAws, owner_session: Session
) -> None:
    category = tenant.category("Twice")
    content = build(
        "md", "Twice", [(f"Section {i}", f"Paragraph number {i} about returns. " * 30) for i in range(6)]
    )
    file_id = tenant.upload(category, "twice.md", content)
    messages = local_aws.receive()
    assert len(messages) == 1
    local_aws.sources.deliver_sqs(local_aws.ingest, local_aws.queue_url, messages)
    first = tenant.file(file_id)
    # The same record again (SQS delivered it twice): nothing changes.
    local_aws.sources.deliver_sqs(local_aws.ingest, local_aws.queue_url, messages)
    second = tenant.file(file_id)
    assert first["status"] == second["status"] == "indexed"
    assert first["indexed_at"] == second["indexed_at"]
    chunks = owner_session.execute(
        text("SELECT count(*) FROM chatapp_knowledge_chunks WHERE file_id = :f"), {"f": file_id}
    ).scalar()
    assert chunks == second["chunk_count"] > 1
    assert knowledge_vectors.for_company(tenant.data.company_id).count(uuid.UUID(file_id)) == chunks


def test_reindex_replaces_chunks_and_vectors(
    tenant: KnowledgeTenant, local_aws: LocalAws, owner_session: Session
) -> None:
    category = tenant.category("Again")
    file_id = tenant.upload(category, "again.md", build("md", "Again", [("One", "Alpha beta gamma. " * 40)]))
    local_aws.drain()
    before = set(
        owner_session.execute(
            text("SELECT id FROM chatapp_knowledge_chunks WHERE file_id = :f"), {"f": file_id}
        ).scalars()
    )
    owner_session.rollback()
    assert tenant.call("POST", f"/v1/knowledge/files/{file_id}/reindex").status == 202
    local_aws.drain()
    after = set(
        owner_session.execute(
            text("SELECT id FROM chatapp_knowledge_chunks WHERE file_id = :f"), {"f": file_id}
        ).scalars()
    )
    assert after and before.isdisjoint(after)
    assert knowledge_vectors.for_company(tenant.data.company_id).count(uuid.UUID(file_id)) == len(after)


def test_deleting_a_file_removes_chunks_vectors_and_object(
    tenant: KnowledgeTenant, local_aws: LocalAws, owner_session: Session
) -> None:
    category = tenant.category("Gone")
    file_id = tenant.upload(category, "gone.txt", b"Temporary words about the lighthouse keeper.\n")
    local_aws.drain()
    assert tenant.call("DELETE", f"/v1/knowledge/files/{file_id}").status == 204
    assert tenant.call("GET", f"/v1/knowledge/files/{file_id}").status == 404
    assert (
        owner_session.execute(
            text("SELECT count(*) FROM chatapp_knowledge_chunks WHERE file_id = :f"), {"f": file_id}
        ).scalar()
        == 0
    )
    assert knowledge_vectors.for_company(tenant.data.company_id).count(uuid.UUID(file_id)) == 0
