"""Analytics rollups (issue #7): the unique key the daily upsert needs, and the metrics columns the API reads.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "chatapp_daily_analytics"
COUNTERS = (
    "ai_resolved_conversations",
    "first_response_count",
    "response_count",
    "confidence_count",
    "sentiment_count",
    "rag_relevance_count",
)
TOTALS = (
    "first_response_time_total",
    "response_time_total",
    "conversation_duration_total",
    "confidence_total",
    "sentiment_total",
    "rag_relevance_total",
)


def upgrade() -> None:
    for name in COUNTERS:
        op.add_column(TABLE, sa.Column(name, sa.Integer(), server_default="0", nullable=True))
    for name in TOTALS:
        op.add_column(
            TABLE, sa.Column(name, sa.Numeric(precision=16, scale=4), server_default="0", nullable=True)
        )
    op.add_column(
        TABLE, sa.Column("avg_first_response_time", sa.Numeric(precision=10, scale=2), nullable=True)
    )
    op.add_column(TABLE, sa.Column("hourly_user_messages", postgresql.ARRAY(sa.Integer()), nullable=True))
    # Rows written before this key existed could repeat a combination; keep the newest of each.
    op.execute(
        f"""
        DELETE FROM {TABLE} d USING {TABLE} newer
        WHERE d.company_id = newer.company_id
          AND d.agent_id IS NOT DISTINCT FROM newer.agent_id
          AND d.channel IS NOT DISTINCT FROM newer.channel
          AND d.date = newer.date
          AND (d.updated_at, d.id) < (newer.updated_at, newer.id)
        """
    )
    op.create_index(
        "daily_analytics_dimensions_uidx",
        TABLE,
        ["company_id", "agent_id", "channel", "date"],
        unique=True,
        postgresql_nulls_not_distinct=True,
    )


def downgrade() -> None:
    op.drop_index("daily_analytics_dimensions_uidx", table_name=TABLE, postgresql_nulls_not_distinct=True)
    for name in ("hourly_user_messages", "avg_first_response_time", *TOTALS, *COUNTERS):
        op.drop_column(TABLE, name)
