"""Ingest one knowledge file: download, parse, chunk, embed, index. Idempotent and at-least-once safe.

Every message names a file and the ingest generation it was queued for. The job:

1. claims the file (`pending|failed|processing -> processing`) unless the message is stale (the
   file was deleted or re-queued since) or already done (`indexed` at this generation);
2. streams the file from S3, parses it page by page, chunks and embeds in batches, upserting
   vectors under ids derived from (file, generation, position), so a redelivery overwrites
   rather than duplicates;
3. publishes in one transaction: the file's chunk rows are replaced, vectors of other
   generations are deleted, and the file becomes `indexed`.

A file that cannot be parsed ends `failed` with a reason a person can act on; transient errors
propagate so the queue retries, and on the last attempt the reason is recorded on the file
before the message moves to the dead-letter queue. Nothing is left `processing`.
"""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import delete, select, text

from chatapp.db.enums import FileStatus
from chatapp.db.models.agents import Agent, AgentKnowledgeCategory, AgentPackage
from chatapp.db.models.knowledge import KnowledgeChunk, KnowledgeFile
from chatapp.db.tenancy import TenantContext, tenant_session
from chatapp.errors import InvalidInput
from chatapp.integrations import queues, storage
from chatapp.integrations.embeddings import Embedder, get_embedder, minilm_tokenizer
from chatapp.integrations.vector_store import VectorPoint
from chatapp.knowledge import lexical
from chatapp.knowledge import vectors as knowledge_vectors
from chatapp.knowledge.chunking import Chunk, ChunkingConfig, chunk_sections
from chatapp.knowledge.parse_errors import ParseError
from chatapp.knowledge.parsing import Section, parse_document
from chatapp.observability import correlate, count, logger

EMBED_BATCH = 64
_CHUNK_NAMESPACE = uuid.UUID("6f1d3c2e-8f7a-4b6e-9d51-2c4a7e0b9f13")


# A message is sent inside the transaction that bumps the file's generation (so a failed send
# commits nothing); a worker can therefore see it before that commit is visible. Such a message is
# put back with a short delay a few times rather than mistaken for a stale one.
NOT_YET_VISIBLE_RETRIES = 5
NOT_YET_VISIBLE_DELAY_SECONDS = 2


class IngestMessage(BaseModel):
    company_id: uuid.UUID
    file_id: uuid.UUID
    generation: int
    requeues: int = 0

    @classmethod
    def from_body(cls, body: str) -> IngestMessage:
        try:
            return cls.model_validate_json(body)
        except ValidationError:
            raise InvalidInput("Not an ingestion message.", code="invalid_ingest_message") from None


class IngestOutcome(StrEnum):
    INDEXED = "indexed"
    FAILED = "failed"  # permanently: the file itself is the problem
    STALE = "stale"  # the file was deleted or queued again since this message
    ALREADY_DONE = "already_done"  # a duplicate delivery after success
    REQUEUED = "requeued"  # arrived before the transaction that sent it was visible; sent again


@dataclass
class _Claim:
    storage_path: str
    mime_type: str
    category_id: uuid.UUID
    title_fallback: str
    chunking: ChunkingConfig


@dataclass
class _Stats:
    words: int = 0
    chunks: list[Chunk] = field(default_factory=list)


def chunk_id(file_id: uuid.UUID, generation: int, index: int) -> uuid.UUID:
    return uuid.uuid5(_CHUNK_NAMESPACE, f"{file_id}:{generation}:{index}")


def lexical_text(chunk: Chunk) -> str:
    """What BM25 indexes: the section heading and the chunk's text."""
    return f"{chunk.section_title}\n{chunk.text}" if chunk.section_title else chunk.text


def count_tokens(text: str) -> int:
    return len(minilm_tokenizer().encode(text, add_special_tokens=False).ids)


def ingest(
    message: IngestMessage,
    *,
    final_attempt: bool = False,
    on_progress: Callable[[int], None] | None = None,
) -> IngestOutcome:
    correlate(company_id=message.company_id, file_id=message.file_id)
    context = TenantContext.company_service(message.company_id)
    embedder = get_embedder()
    claim = _claim(context, message, embedder)
    if isinstance(claim, IngestOutcome):
        return claim
    try:
        stats, title, page_count = _index_content(message, claim, embedder, on_progress)
    except ParseError as error:
        _fail(context, message, error.reason)
        return IngestOutcome.FAILED
    except Exception as error:
        if final_attempt:
            _fail(
                context,
                message,
                "The file could not be processed after several attempts. Try re-indexing it.",
            )
        logger.warning(
            "ingestion attempt failed",
            extra={"file_id": str(message.file_id), "error_type": type(error).__name__},
        )
        raise
    return _publish(context, message, claim, stats, title, page_count, embedder)


def _requeue(message: IngestMessage) -> IngestOutcome:
    """The file row (or its new generation) is not visible yet, or the file is gone for good."""
    if message.requeues >= NOT_YET_VISIBLE_RETRIES:
        return IngestOutcome.STALE  # deleted (or never committed): nothing to index
    queues.send_ingest(
        message.model_copy(update={"requeues": message.requeues + 1}).model_dump(mode="json"),
        delay_seconds=NOT_YET_VISIBLE_DELAY_SECONDS,
    )
    return IngestOutcome.REQUEUED


def _claim(context: TenantContext, message: IngestMessage, embedder: Embedder) -> _Claim | IngestOutcome:
    with tenant_session(context) as db:
        row = db.get(KnowledgeFile, message.file_id, with_for_update=True)
        if row is None or row.ingest_generation < message.generation:
            return _requeue(message)
        if row.ingest_generation != message.generation:
            return IngestOutcome.STALE
        if row.status is FileStatus.INDEXED:
            return IngestOutcome.ALREADY_DONE
        row.status = FileStatus.PROCESSING
        row.processing_error = None
        return _Claim(
            storage_path=row.storage_path,
            mime_type=row.mime_type,
            category_id=row.category_id,
            title_fallback=Path(row.original_filename).stem,
            chunking=_chunking_config(db, row.category_id, embedder),
        )


def _chunking_config(db: Any, category_id: uuid.UUID, embedder: Embedder) -> ChunkingConfig:
    """The smallest chunk size among the agents reading this category (finer chunks serve every
    agent), else the default agent package's, else the design's 500/50."""
    configs = list(
        db.scalars(
            select(Agent.rag_config)
            .join(AgentKnowledgeCategory, AgentKnowledgeCategory.agent_id == Agent.id)
            .where(AgentKnowledgeCategory.category_id == category_id, Agent.deleted_at.is_(None))
        )
    )
    if not configs:
        default = db.scalar(
            select(AgentPackage.default_config).where(AgentPackage.is_default.is_(True)).limit(1)
        )
        configs = [(default or {}).get("ragConfig")]
    options = [ChunkingConfig.from_rag_config(c, embedder.max_input_tokens) for c in configs]
    return min(options, key=lambda c: c.chunk_size)


def _index_content(
    message: IngestMessage, claim: _Claim, embedder: Embedder, on_progress: Callable[[int], None] | None
) -> tuple[_Stats, str, int | None]:
    stats = _Stats()
    vectors = knowledge_vectors.for_company(message.company_id)
    with tempfile.TemporaryDirectory(prefix="buzzi-ingest-") as workdir:
        local = Path(workdir) / "content"
        storage.download(claim.storage_path, local)
        document = parse_document(local, claim.mime_type)
        title = (document.title or claim.title_fallback).strip()

        def counted(sections: Iterator[Section]) -> Iterator[Section]:
            for section in sections:
                stats.words += len(section.text.split())
                yield section

        batch: list[Chunk] = []
        for chunk in chunk_sections(
            counted(document.sections), document_title=title, config=claim.chunking, count_tokens=count_tokens
        ):
            batch.append(chunk)
            if len(batch) == EMBED_BATCH:
                _embed_batch(batch, message, claim, embedder, vectors, stats, on_progress)
                batch = []
        if batch:
            _embed_batch(batch, message, claim, embedder, vectors, stats, on_progress)
        if not stats.chunks:
            raise ParseError("The file contains no text to index.")
        return stats, title, document.page_count


def _embed_batch(
    batch: list[Chunk],
    message: IngestMessage,
    claim: _Claim,
    embedder: Embedder,
    vectors: knowledge_vectors.CompanyVectors,
    stats: _Stats,
    on_progress: Callable[[int], None] | None,
) -> None:
    embeddings = embedder.embed_documents([c.embed_text for c in batch])
    points = [
        VectorPoint(
            chunk_id(message.file_id, message.generation, c.index),
            vector,
            message.file_id,
            claim.category_id,
            generation=message.generation,
            lexical=lexical.document_vector(lexical_text(c)),
        )
        for c, vector in zip(batch, embeddings, strict=True)
    ]
    vectors.upsert(points)
    stats.chunks.extend(batch)
    if on_progress:
        on_progress(len(stats.chunks))


def _publish(
    context: TenantContext,
    message: IngestMessage,
    claim: _Claim,
    stats: _Stats,
    title: str,
    page_count: int | None,
    embedder: Embedder,
) -> IngestOutcome:
    vectors = knowledge_vectors.for_company(message.company_id)
    with tenant_session(context) as db:
        row = db.get(KnowledgeFile, message.file_id, with_for_update=True)
        if row is None or row.ingest_generation != message.generation:
            return IngestOutcome.STALE  # a newer run (or the delete) cleans up after this one
        db.execute(delete(KnowledgeChunk).where(KnowledgeChunk.file_id == message.file_id))
        _insert_chunks(db, message, stats.chunks)
        db.flush()
        vectors.delete_file(message.file_id, keep_generation=message.generation)
        row.status = FileStatus.INDEXED
        row.chunk_count = len(stats.chunks)
        row.indexed_at = datetime.now(UTC)
        row.qdrant_collection = vectors.collection
        row.metadata_ = {
            **(row.metadata_ or {}),
            "title": title,
            "pageCount": page_count,
            "wordCount": stats.words,
            "embeddingModel": embedder.model_id,
            "chunkSize": claim.chunking.chunk_size,
            "overlapSize": claim.chunking.overlap,
        }
    logger.info("file indexed", extra={"file_id": str(message.file_id), "chunks": len(stats.chunks)})
    return IngestOutcome.INDEXED


_INSERT_CHUNKS = text("""
    INSERT INTO chatapp_knowledge_chunks (id, file_id, company_id, chunk_index, content, start_offset,
                                          end_offset, page_number, section_title, qdrant_id, lexical_terms)
    SELECT c.id, :file_id, :company_id, c.index, c.content, c.start_offset, c.end_offset, c.page_number,
           c.section_title, c.id::text, c.terms::integer[]
    FROM unnest(CAST(:ids AS uuid[]), CAST(:indexes AS integer[]), CAST(:contents AS text[]),
                CAST(:starts AS integer[]), CAST(:ends AS integer[]), CAST(:pages AS integer[]),
                CAST(:sections AS text[]), CAST(:terms AS text[]))
         AS c(id, index, content, start_offset, end_offset, page_number, section_title, terms)
""")


def _insert_chunks(db: Any, message: IngestMessage, chunks: list[Chunk]) -> None:
    """All chunk rows in one statement, as columns (COPY is refused under row-level security).

    One statement, so the term-counting trigger runs once: through executemany it ran once per row
    (4 s for 1 MB), and a multi-row VALUES spent a tenth of ingestion compiling its parameters."""
    db.execute(
        _INSERT_CHUNKS,
        {
            "file_id": message.file_id,
            "company_id": message.company_id,
            "ids": [chunk_id(message.file_id, message.generation, c.index) for c in chunks],
            "indexes": [c.index for c in chunks],
            "contents": [c.text for c in chunks],
            "starts": [c.start_offset for c in chunks],
            "ends": [c.end_offset for c in chunks],
            "pages": [c.page_number for c in chunks],
            "sections": [(c.section_title or "")[:255] or None for c in chunks],
            # Rows of different lengths cannot share one 2-D array: each travels as its literal.
            "terms": [
                "{" + ",".join(map(str, lexical.document_term_ids(lexical_text(c)))) + "}" for c in chunks
            ],
        },
    )


def _fail(context: TenantContext, message: IngestMessage, reason: str) -> None:
    with tenant_session(context) as db:
        row = db.get(KnowledgeFile, message.file_id, with_for_update=True)
        if row is not None and row.ingest_generation == message.generation:
            row.status = FileStatus.FAILED
            row.processing_error = reason
    count("IngestFailures")
    logger.info("file failed", extra={"file_id": str(message.file_id), "reason": reason})
