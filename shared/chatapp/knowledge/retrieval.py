"""Hybrid retrieval for agents: dense vectors and BM25, both in Qdrant, fused by score.

Everything is restricted twice: to the company (row-level security on chunks and files, and the
company filter on every vector query) and to the categories assigned to the agent.

Each side proposes its best `CANDIDATES_PER_SIDE` chunks; every candidate is then scored exactly on
both sides (a second, id-restricted query per side), and the two scores are blended: the dense
cosine min-max scaled over the candidates, BM25 divided by the best BM25. Blending scores beats
reciprocal-rank fusion here because it keeps *how much* better the best match is (measured in
docs/retrieval.md). BM25's IDF is the company's own (`chatapp.knowledge.lexical`).

`relevanceThreshold` (ragConfig) is a cosine similarity: a chunk less similar than that to the
question is never returned in dense or hybrid mode. `maxResults` caps what is returned.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import text
from sqlalchemy.orm import Session

from chatapp.integrations.embeddings import get_embedder
from chatapp.integrations.vector_store import Sparse
from chatapp.knowledge import confidence, lexical
from chatapp.knowledge import vectors as knowledge_vectors
from chatapp.knowledge.schemas import RetrievedChunkOut

DEFAULT_MAX_RESULTS = 5
DEFAULT_RELEVANCE_THRESHOLD = 0.2  # cosine; all-MiniLM-L6-v2 puts unrelated text near 0, related above 0.3
CANDIDATES_PER_SIDE = 30
DENSE_WEIGHT = 0.8  # of the blended score; BM25 has the rest (docs/retrieval.md)
REPEAT_DISCOUNT = 0.9  # a file's second chunk counts 0.9, its third 0.81, ... (with_repeats_discounted)
DEFAULT_RERANK_BUDGET_MS, MIN_RERANK_BUDGET_MS, MAX_RERANK_BUDGET_MS = 1500, 200, 5000
Mode = Literal["hybrid", "dense", "text"]

_TERM_STATS = text("""
    SELECT term_id, chunk_count FROM chatapp_knowledge_term_stats
    WHERE company_id = :company AND term_id = ANY(:terms) AND chunk_count > 0
""")
_LOAD_CHUNKS = text("""
    SELECT c.id, c.content, c.page_number, c.section_title, c.lexical_terms, f.id AS file_id,
           f.original_filename, f.category_id, f.source_url
    FROM chatapp_knowledge_chunks c JOIN chatapp_knowledge_files f ON f.id = c.file_id
    WHERE c.id = ANY(:ids) AND f.category_id = ANY(:categories) AND f.status = 'indexed'
""")


@dataclass(frozen=True)
class RagSettings:
    max_results: int = DEFAULT_MAX_RESULTS
    relevance_threshold: float = DEFAULT_RELEVANCE_THRESHOLD
    rerank: bool = False  # let the language model order the top candidates (when there is one)
    rerank_budget_ms: int = DEFAULT_RERANK_BUDGET_MS

    @classmethod
    def from_rag_config(cls, rag_config: dict[str, object] | None) -> RagSettings:
        config = rag_config or {}
        max_results = config.get("maxResults")
        threshold = config.get("relevanceThreshold")
        budget = config.get("rerankBudgetMs")
        return cls(
            rerank=config.get("rerank") is True,
            rerank_budget_ms=budget
            if isinstance(budget, int) and MIN_RERANK_BUDGET_MS <= budget <= MAX_RERANK_BUDGET_MS
            else DEFAULT_RERANK_BUDGET_MS,
            max_results=max_results
            if isinstance(max_results, int) and 0 < max_results <= 50
            else DEFAULT_MAX_RESULTS,
            relevance_threshold=float(threshold)
            if isinstance(threshold, int | float) and 0 <= threshold < 1
            else DEFAULT_RELEVANCE_THRESHOLD,
        )


@dataclass(frozen=True)
class LexicalQuery:
    idf: dict[int, float]  # every term of the question, words the company never used included
    sparse: Sparse | None  # the terms that can match, as a query vector; None when none can


def lexical_query(db: Session, company_id: uuid.UUID, question: str) -> LexicalQuery:
    """The question's BM25 weights, from the company's own term statistics."""
    terms = lexical.query_term_ids(question)
    if not terms:
        return LexicalQuery({}, None)
    rows = db.execute(_TERM_STATS, {"company": company_id, "terms": [lexical.ALL_CHUNKS, *terms]})
    containing = {row.term_id: row.chunk_count for row in rows}
    chunks = containing.pop(lexical.ALL_CHUNKS, 0)
    weights = lexical.query_vector(terms, chunks, containing)
    return LexicalQuery(
        {t: lexical.idf(chunks, containing.get(t, 0)) for t in terms},
        weights if weights.indices else None,
    )


def blend(dense: dict[uuid.UUID, float], bm25: dict[uuid.UUID, float]) -> dict[uuid.UUID, float]:
    """One score in [0, 1] per candidate: `DENSE_WEIGHT` of its scaled cosine plus the rest of its
    BM25 relative to the best. Either side may be empty (dense-only or lexical-only search)."""
    candidates = dense.keys() | bm25.keys()
    low, high = (min(dense.values()), max(dense.values())) if dense else (0.0, 0.0)
    best = max(bm25.values(), default=0.0)
    dense_weight = DENSE_WEIGHT if bm25 else 1.0
    if not dense:
        dense_weight = 0.0
    scores = {}
    for chunk in candidates:
        cosine = dense.get(chunk, low)
        scaled = (cosine - low) / (high - low) if high > low else 1.0
        relative = bm25.get(chunk, 0.0) / best if best > 0 else 0.0
        scores[chunk] = dense_weight * scaled + (1 - dense_weight) * relative
    return scores


def with_repeats_discounted(
    scores: dict[uuid.UUID, float], files: dict[uuid.UUID, uuid.UUID]
) -> dict[uuid.UUID, float]:
    """Each further chunk of a file counts `REPEAT_DISCOUNT` times less than the one before it.

    Small chunks of one page overlap and say nearly the same thing, and a handful of them would
    fill the results. Measured with 5 results (docs/retrieval.md): without this, page success@5 on
    python_stdlib was 0.85, with it 0.92; taking only each file's best chunk first also gave 0.92,
    but cost a small company's knowledge (the 256-question set, recall@5 0.98 to 0.91), where the
    answer is often a file's second chunk; 0.9 keeps that at 0.98."""
    seen: dict[uuid.UUID, int] = {}
    discounted = {}
    for chunk in sorted(scores, key=lambda c: scores[c], reverse=True):
        file_id = files.get(chunk, chunk)
        repeats = seen.get(file_id, 0)
        seen[file_id] = repeats + 1
        discounted[chunk] = scores[chunk] * REPEAT_DISCOUNT**repeats
    return discounted


@dataclass
class Candidates:
    """Each side's scores for the chunks either side proposed, and each chunk's file."""

    dense: dict[uuid.UUID, float] = field(default_factory=dict)
    bm25: dict[uuid.UUID, float] = field(default_factory=dict)
    files: dict[uuid.UUID, uuid.UUID] = field(default_factory=dict)


def search(
    db: Session,
    company_id: uuid.UUID,
    category_ids: Sequence[uuid.UUID],
    question: str,
    *,
    limit: int,
    relevance_threshold: float = DEFAULT_RELEVANCE_THRESHOLD,
    mode: Mode = "hybrid",
    dense_text: str | None = None,
    keep_vector: Callable[[list[float]], None] | None = None,
) -> list[RetrievedChunkOut]:
    """The retrieval core; `db` must be in the company's tenant context. `dense_text`, when given,
    is embedded instead of the question (e.g. the question with a hypothetical answer).
    `keep_vector` receives the query's embedding (content gaps keep it: embedding customers'
    questions again later would cost an hour per 100,000 on a CPU)."""
    if not category_ids or not question.strip():
        return []
    embedder = get_embedder()
    vector = embedder.embed_query(dense_text or question) if mode in ("hybrid", "dense") else None
    if vector is not None and keep_vector is not None:
        keep_vector(vector)
    words = lexical_query(db, company_id, question)
    sparse = words.sparse if mode in ("hybrid", "text") else None
    found = _candidates(company_id, category_ids, vector, sparse, relevance_threshold)
    fused = with_repeats_discounted(blend(found.dense, found.bm25), found.files)
    ranked = sorted(fused, key=lambda c: fused[c], reverse=True)
    # Over-fetch: a vector whose chunk row is gone (a superseded generation) is dropped here.
    rows = db.execute(_LOAD_CHUNKS, {"ids": ranked[: limit * 3], "categories": list(category_ids)})
    by_id = {row.id: row for row in rows}
    calibration = confidence.calibration_for(embedder.model_id)
    results = []
    for chunk in (c for c in ranked if c in by_id):
        results.append(_result(by_id[chunk], fused[chunk], found, words, calibration))
        if len(results) == limit:
            break
    return results


def _candidates(
    company_id: uuid.UUID,
    category_ids: Sequence[uuid.UUID],
    vector: list[float] | None,
    sparse: Sparse | None,
    relevance_threshold: float,
) -> Candidates:
    vectors = knowledge_vectors.for_company(company_id)
    found = Candidates()
    if vector is not None:
        for hit in vectors.search(
            vector, category_ids=category_ids, limit=CANDIDATES_PER_SIDE, score_threshold=relevance_threshold
        ):
            found.dense[hit.chunk_id], found.files[hit.chunk_id] = hit.score, hit.file_id
    if sparse is not None:
        for hit in vectors.search(sparse, category_ids=category_ids, limit=CANDIDATES_PER_SIDE):
            found.bm25[hit.chunk_id], found.files[hit.chunk_id] = hit.score, hit.file_id
    if vector is None or sparse is None:
        return found
    # Exact scores on both sides for every candidate: a chunk one side missed still has a score.
    unscored = [c for c in found.bm25 if c not in found.dense]
    for hit in vectors.search(
        vector,
        category_ids=category_ids,
        limit=len(unscored) or 1,
        among=unscored,
        score_threshold=relevance_threshold,
    ):
        found.dense[hit.chunk_id] = hit.score
    found.bm25 = {c: s for c, s in found.bm25.items() if c in found.dense}  # below the threshold: out
    unscored = [c for c in found.dense if c not in found.bm25]
    for hit in vectors.search(sparse, category_ids=category_ids, limit=len(unscored) or 1, among=unscored):
        found.bm25[hit.chunk_id] = hit.score
    return found


def _result(
    row: Any, score: float, found: Candidates, words: LexicalQuery, calibration: confidence.Calibration
) -> RetrievedChunkOut:
    dense, bm25 = found.dense.get(row.id), found.bm25.get(row.id)
    coverage = confidence.coverage(words.idf, set(row.lexical_terms or ()))
    return RetrievedChunkOut(
        chunk_id=row.id,
        file_id=row.file_id,
        filename=row.original_filename,
        url=row.source_url,
        category_id=row.category_id,
        text=row.content,
        page_number=row.page_number,
        section_title=row.section_title,
        score=round(score, 6),
        dense_score=round(dense, 4) if dense is not None else None,
        lexical_score=round(bm25, 4) if bm25 is not None else None,
        confidence=round(confidence.answer_probability(dense, coverage, calibration), 4),
    )


@dataclass(frozen=True)
class NearestPassage:
    chunk_id: uuid.UUID
    file_id: uuid.UUID
    filename: str
    section_title: str | None
    text: str
    similarity: float  # cosine with the query vector


_COMPANY_CATEGORIES = text("SELECT id FROM chatapp_knowledge_categories WHERE company_id = :company")


def nearest_passages(
    db: Session, company_id: uuid.UUID, vectors: Sequence[Sequence[float]]
) -> list[NearestPassage | None]:
    """For each embedding already computed, the company's indexed passage closest to it (in any
    category, at any similarity), e.g. to show what the knowledge base had on a topic; `db` in the
    company's tenant context. One query for the categories and one for the chunks, whatever the count."""
    category_ids = list(db.scalars(_COMPANY_CATEGORIES, {"company": company_id}))
    vectors_of_company = knowledge_vectors.for_company(company_id)
    hits = [vectors_of_company.search(list(v), category_ids=category_ids, limit=3) for v in vectors]
    wanted = list({hit.chunk_id for found in hits for hit in found})
    rows = (
        {row.id: row for row in db.execute(_LOAD_CHUNKS, {"ids": wanted, "categories": category_ids})}
        if wanted
        else {}
    )
    nearest: list[NearestPassage | None] = []
    for found in hits:
        # A vector whose chunk row is gone (a superseded generation) is skipped.
        hit = next((h for h in found if h.chunk_id in rows), None)
        row = rows[hit.chunk_id] if hit else None
        nearest.append(
            None
            if hit is None or row is None
            else NearestPassage(
                hit.chunk_id,
                row.file_id,
                row.original_filename,
                row.section_title,
                row.content,
                round(hit.score, 4),
            )
        )
    return nearest
