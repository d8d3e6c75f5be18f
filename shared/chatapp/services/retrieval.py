"""Hybrid retrieval for agents: dense vectors (Qdrant) + PostgreSQL full text, fused by reciprocal rank.

Everything is restricted twice: to the company (row-level security on chunks and files, and the
company filter on every vector query) and to the categories assigned to the agent.

`relevanceThreshold` (ragConfig) is a cosine similarity and applies to the dense side; full-text
hits have no comparable scale and enter the fusion by rank. `maxResults` caps what is returned.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import text
from sqlalchemy.orm import Session

from chatapp.db.tenancy import tenant_session
from chatapp.integrations.embeddings import get_embedder
from chatapp.schemas.knowledge import RetrievalOut, RetrievedChunkOut
from chatapp.services import knowledge_vectors
from chatapp.services.agents import get_agent
from chatapp.services.authorization import require_permission
from chatapp.services.knowledge_categories import agent_category_ids
from chatapp.services.principals import Principal

RRF_K = 60
DEFAULT_MAX_RESULTS = 5
DEFAULT_RELEVANCE_THRESHOLD = 0.2  # cosine; all-MiniLM-L6-v2 puts unrelated text near 0, related above 0.3
CANDIDATES_PER_SIDE = 30
Mode = Literal["hybrid", "dense", "text"]

_WORD = re.compile(r"[A-Za-z0-9]+")
_TEXT_SEARCH = text("""
    SELECT c.id, ts_rank_cd(c.search_vector, q, 1) AS rank
    FROM chatapp_knowledge_chunks c
    JOIN chatapp_knowledge_files f ON f.id = c.file_id, to_tsquery('english', :query) q
    WHERE f.category_id = ANY(:categories) AND f.status = 'indexed' AND c.search_vector @@ q
    ORDER BY rank DESC
    LIMIT :limit
""")
_LOAD_CHUNKS = text("""
    SELECT c.id, c.content, c.page_number, c.section_title, f.id AS file_id, f.original_filename,
           f.category_id
    FROM chatapp_knowledge_chunks c JOIN chatapp_knowledge_files f ON f.id = c.file_id
    WHERE c.id = ANY(:ids) AND f.category_id = ANY(:categories) AND f.status = 'indexed'
""")


@dataclass(frozen=True)
class RagSettings:
    max_results: int = DEFAULT_MAX_RESULTS
    relevance_threshold: float = DEFAULT_RELEVANCE_THRESHOLD

    @classmethod
    def from_rag_config(cls, rag_config: dict[str, object] | None) -> RagSettings:
        config = rag_config or {}
        max_results = config.get("maxResults")
        threshold = config.get("relevanceThreshold")
        return cls(
            max_results=max_results
            if isinstance(max_results, int) and 0 < max_results <= 50
            else DEFAULT_MAX_RESULTS,
            relevance_threshold=float(threshold)
            if isinstance(threshold, int | float) and 0 <= threshold < 1
            else DEFAULT_RELEVANCE_THRESHOLD,
        )


def text_query(question: str) -> str | None:
    """An OR of the question's words: ranking, not matching every word, decides relevance."""
    words = list(dict.fromkeys(w.lower() for w in _WORD.findall(question)))
    return " | ".join(words) if words else None


def search(
    db: Session,
    company_id: uuid.UUID,
    category_ids: Sequence[uuid.UUID],
    question: str,
    *,
    limit: int,
    relevance_threshold: float = DEFAULT_RELEVANCE_THRESHOLD,
    mode: Mode = "hybrid",
) -> list[RetrievedChunkOut]:
    """The retrieval core; `db` must be in the company's tenant context."""
    if not category_ids or not question.strip():
        return []
    dense: dict[uuid.UUID, tuple[int, float]] = {}
    if mode in ("hybrid", "dense"):
        vector = get_embedder().embed_query(question)
        hits = knowledge_vectors.for_company(company_id).search(
            vector, category_ids=category_ids, limit=CANDIDATES_PER_SIDE, score_threshold=relevance_threshold
        )
        dense = {hit.chunk_id: (rank, hit.score) for rank, hit in enumerate(hits, start=1)}
    lexical: dict[uuid.UUID, int] = {}
    query = text_query(question)
    if mode in ("hybrid", "text") and query:
        rows = db.execute(
            _TEXT_SEARCH, {"query": query, "categories": list(category_ids), "limit": CANDIDATES_PER_SIDE}
        )
        lexical = {row.id: rank for rank, row in enumerate(rows, start=1)}

    fused: dict[uuid.UUID, float] = {}
    for chunk, (rank, _) in dense.items():
        fused[chunk] = fused.get(chunk, 0.0) + 1.0 / (RRF_K + rank)
    for chunk, rank in lexical.items():
        fused[chunk] = fused.get(chunk, 0.0) + 1.0 / (RRF_K + rank)
    ranked = sorted(fused, key=lambda c: fused[c], reverse=True)
    # Over-fetch: a vector whose chunk row is gone (a superseded generation) is dropped here.
    rows = {
        r.id: r
        for r in db.execute(_LOAD_CHUNKS, {"ids": ranked[: limit * 3], "categories": list(category_ids)})
    }
    results = []
    for chunk in ranked:
        row = rows.get(chunk)
        if row is None:
            continue
        results.append(
            RetrievedChunkOut(
                chunk_id=chunk,
                file_id=row.file_id,
                filename=row.original_filename,
                category_id=row.category_id,
                text=row.content,
                page_number=row.page_number,
                section_title=row.section_title,
                score=round(fused[chunk], 6),
                dense_score=round(dense[chunk][1], 4) if chunk in dense else None,
                text_rank=lexical.get(chunk),
            )
        )
        if len(results) == limit:
            break
    return results


def retrieve_for_agent(
    principal: Principal, agent_id: uuid.UUID, question: str, max_results: int | None = None
) -> RetrievalOut:
    """What `agent_id` would retrieve for `question` (agents call this; so does the console's test)."""
    require_permission(principal, "knowledge", "read")
    with tenant_session(principal.context()) as db:
        agent = get_agent(db, agent_id)
        settings = RagSettings.from_rag_config(agent.rag_config)
        if agent.rag_enabled is False:
            return RetrievalOut(query=question, results=[])
        results = search(
            db,
            agent.company_id,
            agent_category_ids(db, agent_id),
            question,
            limit=max_results or settings.max_results,
            relevance_threshold=settings.relevance_threshold,
        )
    return RetrievalOut(query=question, results=results)
