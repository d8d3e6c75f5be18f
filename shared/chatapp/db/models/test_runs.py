"""Not in the design (issue #19): agent test runs (migration 0018). A company admin runs a set of
questions against an agent; each goes through the real engine in a sandbox conversation, and its
answer, citations, confidence, handover and cost are kept with a grade."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from chatapp.db.base import Base, created_at, json_array, json_object, uuid_pk

# The tables these foreign keys name must be in the metadata before a flush sorts the tables.
from chatapp.db.models import agents, conversations, core  # noqa: F401

RUN_STATUSES = ("queued", "running", "finished", "failed")
GRADES = ("good", "acceptable", "poor")
GRADED_BY = ("source", "model", "person")


class TestRun(Base):
    __tablename__ = "chatapp_test_runs"
    __table_args__ = (
        CheckConstraint(f"status IN {RUN_STATUSES}", name="test_runs_status_check"),
        Index("test_runs_agent_created_idx", "company_id", "agent_id", "created_at"),
    )
    __test__ = False  # not a pytest class

    id: Mapped[uuid.UUID] = uuid_pk()
    company_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("chatapp_companies.id", ondelete="CASCADE"))
    agent_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("chatapp_agents.id", ondelete="CASCADE"))
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("chatapp_users.id", ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), server_default="queued")
    question_count: Mapped[int] = mapped_column(Integer)
    answered_count: Mapped[int] = mapped_column(Integer, server_default="0")
    grader_model: Mapped[str | None] = mapped_column(String(100))
    grader_prompt_version: Mapped[str | None] = mapped_column(String(32))
    summary: Mapped[dict[str, Any]] = json_object(nullable=False)
    created_at: Mapped[datetime] = created_at()
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class TestRunResult(Base):
    __tablename__ = "chatapp_test_run_results"
    __table_args__ = (
        UniqueConstraint("run_id", "position", name="test_run_results_position_key"),
        CheckConstraint(f"grade IN {GRADES}", name="test_run_results_grade_check"),
        CheckConstraint(f"graded_by IN {GRADED_BY}", name="test_run_results_graded_by_check"),
    )
    __test__ = False

    id: Mapped[uuid.UUID] = uuid_pk()
    run_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("chatapp_test_runs.id", ondelete="CASCADE"))
    company_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("chatapp_companies.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    question: Mapped[str] = mapped_column(Text)
    expected_answer: Mapped[str | None] = mapped_column(Text)
    expected_source: Mapped[str | None] = mapped_column(String(255))
    conversation_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("chatapp_conversations.id", ondelete="SET NULL")
    )
    answer: Mapped[str | None] = mapped_column(Text)
    citations: Mapped[list[dict[str, Any]]] = json_array(nullable=False)
    confidence: Mapped[Decimal | None] = mapped_column(Numeric(5, 4))
    would_hand_over: Mapped[bool | None]
    input_tokens: Mapped[int | None] = mapped_column(Integer)
    output_tokens: Mapped[int | None] = mapped_column(Integer)
    latency_ms: Mapped[int | None] = mapped_column(Integer)
    source_match: Mapped[bool | None]
    grade: Mapped[str | None] = mapped_column(String(16))
    grade_reason: Mapped[str | None] = mapped_column(Text)
    graded_by: Mapped[str | None] = mapped_column(String(16))
    error: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class RegressionQuestion(Base):
    """A question of an agent's regression set: what every change to the agent is tested against."""

    __tablename__ = "chatapp_regression_questions"
    __table_args__ = (UniqueConstraint("agent_id", "position", name="regression_questions_position_key"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    company_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("chatapp_companies.id", ondelete="CASCADE"))
    agent_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("chatapp_agents.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    question: Mapped[str] = mapped_column(Text)
    expected_answer: Mapped[str | None] = mapped_column(Text)
    expected_source: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = created_at()
