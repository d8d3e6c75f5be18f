"""Section 8: daily analytics aggregates, written by the rollup schedule."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, Integer, Numeric
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from chatapp.db.base import Base, created_at, updated_at, uuid_pk
from chatapp.db.enums import ChannelType, channel_type

# The tables these foreign keys name must be in the metadata before a flush sorts the tables.
from chatapp.db.models import agents, core  # noqa: F401


def _counter() -> Mapped[int | None]:
    return mapped_column(Integer, server_default="0")


def _total() -> Mapped[Decimal | None]:
    """A sum an average is divided from: kept so averages over a date range are exact."""
    return mapped_column(Numeric(16, 4), server_default="0")


class DailyAnalytics(Base):
    __tablename__ = "chatapp_daily_analytics"
    __table_args__ = (
        Index("daily_analytics_company_date_idx", "company_id", "date"),
        Index("daily_analytics_agent_date_idx", "agent_id", "date"),
        Index("daily_analytics_date_idx", "date"),
        # Not in the design: the rollup upserts one row per company, agent, channel and local day.
        Index(
            "daily_analytics_dimensions_uidx",
            "company_id",
            "agent_id",
            "channel",
            "date",
            unique=True,
            postgresql_nulls_not_distinct=True,
        ),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    company_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("chatapp_companies.id"))
    agent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("chatapp_agents.id"))
    channel: Mapped[ChannelType | None] = mapped_column(channel_type)
    date: Mapped[date] = mapped_column(Date)
    total_conversations: Mapped[int | None] = _counter()
    new_conversations: Mapped[int | None] = _counter()
    resolved_conversations: Mapped[int | None] = _counter()
    escalated_conversations: Mapped[int | None] = _counter()
    abandoned_conversations: Mapped[int | None] = _counter()
    total_messages: Mapped[int | None] = _counter()
    user_messages: Mapped[int | None] = _counter()
    ai_messages: Mapped[int | None] = _counter()
    human_agent_messages: Mapped[int | None] = _counter()
    avg_response_time: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    avg_conversation_duration: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    avg_messages_per_conversation: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    avg_confidence_score: Mapped[Decimal | None] = mapped_column(Numeric(3, 2))
    avg_sentiment_score: Mapped[Decimal | None] = mapped_column(Numeric(3, 2))
    total_tokens_used: Mapped[int | None] = _counter()
    rag_queries_count: Mapped[int | None] = _counter()
    avg_rag_relevance: Mapped[Decimal | None] = mapped_column(Numeric(3, 2))
    estimated_cost: Mapped[Decimal | None] = mapped_column(Numeric(10, 4))
    # Not in the design (migration 0010): what the analytics API needs, and the weights behind
    # each average. See docs/schema-deviations.md, "Analytics (issue #7)".
    ai_resolved_conversations: Mapped[int | None] = _counter()
    avg_first_response_time: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    first_response_time_total: Mapped[Decimal | None] = _total()
    first_response_count: Mapped[int | None] = _counter()
    response_time_total: Mapped[Decimal | None] = _total()
    response_count: Mapped[int | None] = _counter()
    conversation_duration_total: Mapped[Decimal | None] = _total()
    confidence_total: Mapped[Decimal | None] = _total()
    confidence_count: Mapped[int | None] = _counter()
    sentiment_total: Mapped[Decimal | None] = _total()
    sentiment_count: Mapped[int | None] = _counter()
    rag_relevance_total: Mapped[Decimal | None] = _total()
    rag_relevance_count: Mapped[int | None] = _counter()
    hourly_user_messages: Mapped[list[int] | None] = mapped_column(ARRAY(Integer))
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()
