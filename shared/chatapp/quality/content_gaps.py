"""Content gaps (docs/content-gaps.md): the customer questions the knowledge base served badly,
grouped into topics every night.

A question counts when its reply had a calibrated confidence under `LOW_CONFIDENCE`, the reply
handed the conversation to a person, or the customer rated the conversation 1 or 2 out of 5 when
ending it (every question of that conversation counts). Its embedding is the
one retrieval computed at turn time (`chatapp_question_vectors`), so clustering never embeds a
question again; only vectors of today's embedding model are comparable and used.

The nightly job reads the last `WINDOW_DAYS` of every company in one pass (system session, read
only), clusters each company's questions (`clustering.topics`) and replaces that company's topics
inside the company's own tenant context. Each topic keeps its count, why its questions count,
example questions and the passage of the knowledge base nearest to it (what there was, which is
often the page to fix).
"""

from __future__ import annotations

import itertools
import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, text
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from chatapp.access.authorization import require_permission
from chatapp.access.principals import Principal
from chatapp.db.models.agents import Agent
from chatapp.db.models.content_gaps import ContentGapTopic
from chatapp.db.ownership import owned
from chatapp.db.tenancy import TenantContext, system_session, tenant_session
from chatapp.errors import InvalidInput, NotFound
from chatapp.integrations.embeddings import get_embedder
from chatapp.knowledge.retrieval import NearestPassage, nearest_passages
from chatapp.observability import logger
from chatapp.quality import clustering
from chatapp.quality.schemas import ContentGapsOut, ContentGapTopicOut

WINDOW_DAYS = 30
LOW_CONFIDENCE = 0.5  # calibrated probability that the best passage answers the question
EXAMPLES = 5
MAX_TOPICS = 50  # per company, biggest first
PASSAGE_CHARS = 600
REASONS = ("low_confidence", "handed_over", "rated_poorly")

_GAP_QUESTIONS = text("""
SELECT * FROM (
    SELECT v.company_id, v.agent_id, v.message_id, v.conversation_id, v.embedding, v.created_at,
           left(q.content, 500) AS question,
           coalesce(r.confidence < :low, false) AS low_confidence,
           EXISTS (
               SELECT 1 FROM chatapp_escalations e
               WHERE e.conversation_id = v.conversation_id
                 AND e.trigger_details->>'messageId' = v.reply_message_id::text
           ) AS handed_over,
           coalesce(c.context->'rating'->>'score' IN ('1', '2'), false) AS rated_poorly
    FROM chatapp_question_vectors v
    JOIN chatapp_companies co ON co.id = v.company_id AND co.deleted_at IS NULL
    JOIN chatapp_conversations c ON c.id = v.conversation_id AND c.deleted_at IS NULL
    JOIN chatapp_messages q ON q.id = v.message_id
    LEFT JOIN LATERAL (
        SELECT CASE WHEN jsonb_typeof(m.metadata->'confidence') = 'number'
                    THEN (m.metadata->>'confidence')::float END AS confidence
        FROM chatapp_messages m WHERE m.id = v.reply_message_id
    ) r ON true
    WHERE v.created_at >= :since AND v.model_id = :model
      AND (CAST(:company AS uuid) IS NULL OR v.company_id = CAST(:company AS uuid))
) questions
WHERE low_confidence OR handed_over OR rated_poorly
ORDER BY company_id, created_at DESC
""")


@dataclass(frozen=True)
class RefreshResult:
    companies: int  # with at least one poorly served question
    questions: int
    topics: int

    def as_dict(self) -> dict[str, int]:
        return {"companies": self.companies, "questions": self.questions, "topics": self.topics}


def refresh(now: datetime | None = None, company_id: uuid.UUID | None = None) -> RefreshResult:
    """Recompute the topics of every company (or one); the nightly rollup job calls this."""
    now = now or datetime.now(UTC)
    parameters = {
        "low": LOW_CONFIDENCE,
        "since": now - timedelta(days=WINDOW_DAYS),
        "model": get_embedder().model_id,
        "company": company_id,
    }
    companies = questions = written = 0
    with system_session("content gaps: read poorly answered questions") as db:
        rows = db.execute(_GAP_QUESTIONS.execution_options(yield_per=2000), parameters)
        for company, grouped in itertools.groupby(rows, key=lambda row: row.company_id):
            # An unusually busy company: its most recent questions (groupby skips the rest).
            recent = list(itertools.islice(grouped, clustering.MAX_QUESTIONS))
            written += _replace_topics(company, recent, now)
            companies += 1
            questions += len(recent)
    _forget_stale(now, company_id)
    result = RefreshResult(companies, questions, written)
    logger.info("content gaps refreshed", extra=result.as_dict())
    return result


def _replace_topics(company_id: uuid.UUID, rows: Sequence[Row[Any]], now: datetime) -> int:
    import numpy as np

    vectors = np.stack([np.frombuffer(row.embedding, dtype=">f4") for row in rows]).astype(np.float32)
    found = clustering.topics(vectors)[:MAX_TOPICS]
    with tenant_session(TenantContext.company_service(company_id)) as db:
        db.execute(delete(ContentGapTopic).where(ContentGapTopic.company_id == company_id))
        passages = nearest_passages(db, company_id, [topic.centroid.tolist() for topic in found])
        db.add_all(
            _topic(company_id, rank, [rows[i] for i in topic.members], passage, now)
            for rank, (topic, passage) in enumerate(zip(found, passages, strict=True), start=1)
        )
    return len(found)


def _topic(
    company_id: uuid.UUID, rank: int, members: list[Row[Any]], passage: NearestPassage | None, now: datetime
) -> ContentGapTopic:
    reasons = Counter(reason for row in members for reason in REASONS if getattr(row, reason))
    return ContentGapTopic(
        company_id=company_id,
        rank=rank,
        label=members[0].question,
        question_count=len(members),
        reasons={reason: reasons.get(reason, 0) for reason in REASONS},
        agent_ids=sorted({str(row.agent_id) for row in members}),
        example_questions=[_example(row) for row in _distinct(members)[:EXAMPLES]],
        best_passage=None
        if passage is None
        else {
            "chunk_id": str(passage.chunk_id),
            "file_id": str(passage.file_id),
            "filename": passage.filename,
            "section_title": passage.section_title,
            "text": passage.text[:PASSAGE_CHARS],
            "similarity": passage.similarity,
        },
        first_asked_at=min(row.created_at for row in members),
        last_asked_at=max(row.created_at for row in members),
        window_days=WINDOW_DAYS,
        computed_at=now,
    )


def _distinct(rows: Iterable[Row[Any]]) -> list[Row[Any]]:
    """Rows with the same question asked again (a copy-pasted one) shown once."""
    seen: set[str] = set()
    kept = []
    for row in rows:
        key = " ".join(row.question.casefold().split())
        if key not in seen:
            seen.add(key)
            kept.append(row)
    return kept


def _example(row: Row[Any]) -> dict[str, Any]:
    return {
        "text": row.question,
        "message_id": str(row.message_id),
        "conversation_id": str(row.conversation_id),
        "agent_id": str(row.agent_id),
        "asked_at": row.created_at.isoformat(),
        "reasons": [reason for reason in REASONS if getattr(row, reason)],
    }


def _forget_stale(now: datetime, company_id: uuid.UUID | None) -> None:
    """Topics of companies with no poorly served question left in the window."""
    with system_session("content gaps: forget stale topics") as db:
        query = delete(ContentGapTopic).where(ContentGapTopic.computed_at < now)
        if company_id is not None:
            query = query.where(ContentGapTopic.company_id == company_id)
        db.execute(query)


# ---------------------------------------------------------------- the console's view


def _company(principal: Principal) -> uuid.UUID:
    if principal.company_id is None:
        raise InvalidInput("Content gaps belong to a company; act within one.", code="company_required")
    return principal.company_id


def list_topics(principal: Principal, agent_id: uuid.UUID | None = None) -> ContentGapsOut:
    require_permission(principal, "analytics", "read")
    company_id = _company(principal)
    with tenant_session(principal.context()) as db:
        if agent_id is not None and owned(db, Agent, agent_id) is None:
            raise NotFound("No such agent.", code="agent_not_found")
        rows = db.scalars(
            select(ContentGapTopic)
            .where(ContentGapTopic.company_id == company_id)
            .order_by(ContentGapTopic.rank)
        ).all()
        topics = [row for row in rows if agent_id is None or str(agent_id) in row.agent_ids]
        return ContentGapsOut(
            computed_at=max((row.computed_at for row in rows), default=None),
            window_days=WINDOW_DAYS,
            low_confidence_below=LOW_CONFIDENCE,
            topics=[ContentGapTopicOut.model_validate(row) for row in topics],
        )


def topic_for_draft(db: Session, topic_id: uuid.UUID) -> ContentGapTopic:
    topic = owned(db, ContentGapTopic, topic_id)
    if topic is None:
        raise NotFound(
            "No such content-gap topic; topics are recomputed every night.", code="topic_not_found"
        )
    return topic
