"""BM25 with each company's own statistics: kept by the database, used by retrieval, never shared."""

from __future__ import annotations

import uuid

from sqlalchemy import text
from sqlalchemy.orm import Session

from chatapp.knowledge import lexical
from tests.integration.knowledge.conftest import KnowledgeTenant, LocalAws
from tests.integration.knowledge.documents import build


def _stats(db: Session, company_id: uuid.UUID, words: list[str]) -> dict[str, int]:
    ids = {lexical.term_id(lexical.terms(w)[0]): w for w in words}
    rows = db.execute(
        text(
            "SELECT term_id, chunk_count FROM chatapp_knowledge_term_stats "
            "WHERE company_id = :c AND term_id = ANY(:t)"
        ),
        {"c": company_id, "t": list(ids)},
    )
    found = {ids[r.term_id]: r.chunk_count for r in rows}
    return {w: found.get(w, 0) for w in words}


def _chunks_containing(db: Session, company_id: uuid.UUID, word: str) -> int:
    term = lexical.term_id(lexical.terms(word)[0])
    return db.execute(
        text(
            "SELECT count(*) FROM chatapp_knowledge_chunks WHERE company_id = :c AND :t = ANY(lexical_terms)"
        ),
        {"c": company_id, "t": term},
    ).scalar_one()


def _upload(tenant: KnowledgeTenant, category: str, name: str, sections: list[tuple[str, str]]) -> str:
    return tenant.upload(category, f"{name}.md", build("md", name, sections), "text/markdown")


def test_term_counts_follow_indexing_reindexing_and_deletion(
    tenant: KnowledgeTenant, local_aws: LocalAws, owner_session: Session
) -> None:
    category = tenant.category("Bikes")
    tenant.assign(category)
    sections = [
        (f"Part {i}", f"The derailleur of model {i} needs oiling every month. " * 20) for i in range(4)
    ]
    first = _upload(tenant, category, "derailleurs", sections)
    second = _upload(tenant, category, "saddles", [("Saddles", "Leather saddles need wax twice a year.")])
    local_aws.drain()
    company = tenant.data.company_id
    expected = _chunks_containing(owner_session, company, "derailleur")
    assert expected >= 2
    assert _stats(owner_session, company, ["derailleur", "saddle"]) == {"derailleur": expected, "saddle": 1}

    # Re-indexing replaces the chunks: the counts do not double.
    assert tenant.call("POST", f"/v1/knowledge/files/{first}/reindex").status == 202
    local_aws.drain()
    assert _stats(owner_session, company, ["derailleur", "saddle"]) == {"derailleur": expected, "saddle": 1}

    assert tenant.call("DELETE", f"/v1/knowledge/files/{first}").status in (200, 204)
    local_aws.drain()
    assert _stats(owner_session, company, ["derailleur", "saddle"]) == {"derailleur": 0, "saddle": 1}
    counted = owner_session.execute(
        text("SELECT chunk_count FROM chatapp_knowledge_term_stats WHERE company_id = :c AND term_id = :t"),
        {"c": company, "t": lexical.ALL_CHUNKS},
    ).scalar_one()
    chunks = owner_session.execute(
        text("SELECT count(*) FROM chatapp_knowledge_chunks WHERE company_id = :c"), {"c": company}
    ).scalar_one()
    assert counted == chunks > 0
    assert tenant.file(second)["status"] == "indexed"


def test_rare_words_outweigh_common_ones(tenant: KnowledgeTenant, local_aws: LocalAws) -> None:
    """The issue's failure: full-text ranking without IDF let a word on every page ("chunk") beat
    the one rare word that names the topic ("interactively")."""
    category = tenant.category("Manual")
    tenant.assign(category)
    for n in range(8):
        _upload(
            tenant,
            category,
            f"format-{n}",
            [
                (
                    f"Format {n}",
                    f"Pack file format {n}: every chunk has a header, and each chunk a checksum. " * 3,
                )
            ],
        )
    _upload(
        tenant,
        category,
        "staging",
        [("Staging", "Use add --patch to choose interactively which hunks of a file to stage.")],
    )
    local_aws.drain()

    found = tenant.retrieve("stage a file chunk by chunk interactively", mode="text")
    assert found[0]["filename"] == "staging.md", [r["filename"] for r in found]
    assert found[0]["lexical_score"] > 0 and found[0]["dense_score"] is None


def test_another_company_cannot_move_our_ranking(
    tenant: KnowledgeTenant, other_tenant: KnowledgeTenant, local_aws: LocalAws
) -> None:
    """IDF is the company's own: a second company flooding the store with our query's words leaves
    our BM25 scores exactly as they were (with a shared IDF they would fall)."""
    category = tenant.category("Returns")
    tenant.assign(category)
    _upload(tenant, category, "returns", [("Returns", "Refunds for returned parcels take five days.")])
    _upload(tenant, category, "shipping", [("Shipping", "Parcels ship within two days.")])
    local_aws.drain()
    before = {
        r["chunk_id"]: r["lexical_score"] for r in tenant.retrieve("refund returned parcel", mode="text")
    }
    assert before and all(score > 0 for score in before.values())

    theirs = other_tenant.category("Noise")
    other_tenant.assign(theirs)
    for n in range(5):
        _upload(
            other_tenant, theirs, f"noise-{n}", [("Refunds", "Refund returned parcel refund returned. " * 5)]
        )
    local_aws.drain()

    after = {
        r["chunk_id"]: r["lexical_score"] for r in tenant.retrieve("refund returned parcel", mode="text")
    }
    assert after == before
    assert all(r["filename"].startswith("noise") for r in other_tenant.retrieve("refund", mode="text"))


def test_files_indexed_before_the_lexical_index_are_reindexed_by_housekeeping(
    tenant: KnowledgeTenant, local_aws: LocalAws, owner_session: Session
) -> None:
    """An upgrade changes the collection (layout or model): housekeeping queues the files still in
    the old one, once, and after ingestion they are found again, words and meaning."""
    from chatapp.knowledge import vectors
    from chatapp.system import housekeeping

    category = tenant.category("Legacy")
    tenant.assign(category)
    file_id = _upload(tenant, category, "legacy", [("Lockers", "Bike lockers open with the blue fob.")])
    local_aws.drain()
    owner_session.execute(
        text(
            "UPDATE chatapp_knowledge_files SET qdrant_collection = 'chunks_all_minilm_l6_v2_onnx_int8' "
            "WHERE id = :f"
        ),
        {"f": file_id},
    )
    owner_session.execute(
        text("UPDATE chatapp_knowledge_chunks SET lexical_terms = NULL WHERE file_id = :f"), {"f": file_id}
    )
    owner_session.commit()

    assert housekeeping.run().outdated_files_requeued == 1
    assert tenant.file(file_id)["status"] == "pending"
    assert housekeeping.run().outdated_files_requeued == 0  # queued once
    local_aws.drain()

    indexed = tenant.file(file_id)
    assert indexed["status"] == "indexed"
    owner_session.expire_all()
    collection = owner_session.execute(
        text("SELECT qdrant_collection FROM chatapp_knowledge_files WHERE id = :f"), {"f": file_id}
    ).scalar_one()
    assert collection == vectors.current_collection()
    assert tenant.retrieve("blue fob", mode="text")[0]["filename"] == "legacy.md"
