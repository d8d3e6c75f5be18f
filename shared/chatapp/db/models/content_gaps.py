"""Not in the design (issue #19): content gaps. Each customer question's query embedding, kept at
turn time (migrations 0019, 0020); the topics the nightly job clusters the poorly answered ones
into; and the knowledge-article drafts an admin writes from a topic and publishes as a file."""

from __future__ import annotations

import struct
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from chatapp.db.base import Base, created_at, json_array, json_object, updated_at, uuid_pk

# The tables these foreign keys name must be in the metadata before a flush sorts the tables; the
# nightly job imports nothing else that would put them there.
from chatapp.db.models import agents, conversations, core, knowledge  # noqa: F401

DRAFT_STATUSES = ("draft", "published")


def pack_embedding(vector: list[float]) -> bytes:
    """A vector as `QuestionVector.embedding` stores it."""
    return struct.pack(f">{len(vector)}f", *vector)


class QuestionVector(Base):
    """A customer question's query embedding: the vector retrieval computed anyway, so clustering
    never embeds questions again. `embedding` is big-endian float32 (PostgreSQL's float4send
    layout): read back with one frombuffer, where a float4[] costs a text parse per number."""

    __tablename__ = "chatapp_question_vectors"
    __table_args__ = (Index("question_vectors_company_created_idx", "company_id", "created_at"),)

    message_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("chatapp_messages.id", ondelete="CASCADE"), primary_key=True
    )
    company_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("chatapp_companies.id", ondelete="CASCADE"))
    agent_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("chatapp_agents.id", ondelete="CASCADE"))
    conversation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("chatapp_conversations.id", ondelete="CASCADE")
    )
    reply_message_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("chatapp_messages.id", ondelete="SET NULL")
    )
    model_id: Mapped[str] = mapped_column(String(100))
    embedding: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = created_at()


class ContentGapTopic(Base):
    """One topic of a company's poorly answered questions, as the last nightly run clustered them
    (each run replaces the company's topics)."""

    __tablename__ = "chatapp_content_gap_topics"
    __table_args__ = (Index("content_gap_topics_company_rank_idx", "company_id", "rank"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    company_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("chatapp_companies.id", ondelete="CASCADE"))
    rank: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(Text)
    question_count: Mapped[int] = mapped_column(Integer)
    reasons: Mapped[dict[str, int]] = json_object(nullable=False)
    agent_ids: Mapped[list[str]] = json_array(nullable=False)
    example_questions: Mapped[list[dict[str, Any]]] = json_array(nullable=False)
    best_passage: Mapped[dict[str, Any] | None] = mapped_column(JSONB(none_as_null=True))
    first_asked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_asked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    window_days: Mapped[int] = mapped_column(Integer)
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class KnowledgeDraft(Base):
    """A knowledge article an admin is writing from a content-gap topic; publishing stores it as a
    Markdown file of a category, indexed like any upload."""

    __tablename__ = "chatapp_knowledge_drafts"
    __table_args__ = (
        CheckConstraint(f"status IN {DRAFT_STATUSES}", name="knowledge_drafts_status_check"),
        Index("knowledge_drafts_company_created_idx", "company_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    company_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("chatapp_companies.id", ondelete="CASCADE"))
    topic_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("chatapp_content_gap_topics.id", ondelete="SET NULL")
    )
    title: Mapped[str] = mapped_column(String(200))
    content: Mapped[str] = mapped_column(Text)
    questions: Mapped[list[str]] = json_array(nullable=False)
    generated_by: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(16), server_default="draft")
    category_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("chatapp_knowledge_categories.id", ondelete="SET NULL")
    )
    file_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("chatapp_knowledge_files.id", ondelete="SET NULL")
    )
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("chatapp_users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
