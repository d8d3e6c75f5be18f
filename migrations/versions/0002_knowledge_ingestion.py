"""Knowledge ingestion: full-text search on chunks, one chunk per position, ingest generations,
and one usage row per company, agent and period.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "chatapp_knowledge_chunks",
        sa.Column(
            "search_vector",
            postgresql.TSVECTOR(),
            sa.Computed(
                "to_tsvector('english', coalesce(section_title, '') || ' ' || content)", persisted=True
            ),
            nullable=True,
        ),
    )
    op.create_index(
        "knowledge_chunks_file_index_idx", "chatapp_knowledge_chunks", ["file_id", "chunk_index"], unique=True
    )
    op.create_index(
        "knowledge_chunks_search_idx",
        "chatapp_knowledge_chunks",
        ["search_vector"],
        unique=False,
        postgresql_using="gin",
    )
    op.add_column(
        "chatapp_knowledge_files",
        sa.Column("ingest_generation", sa.Integer(), server_default="0", nullable=False),
    )
    op.create_index(
        "usage_company_agent_period_uidx",
        "chatapp_usage_records",
        ["company_id", "agent_id", "period_start"],
        unique=True,
        postgresql_nulls_not_distinct=True,
    )


def downgrade() -> None:
    op.drop_index(
        "usage_company_agent_period_uidx",
        table_name="chatapp_usage_records",
        postgresql_nulls_not_distinct=True,
    )
    op.drop_column("chatapp_knowledge_files", "ingest_generation")
    op.drop_index(
        "knowledge_chunks_search_idx", table_name="chatapp_knowledge_chunks", postgresql_using="gin"
    )
    op.drop_index("knowledge_chunks_file_index_idx", table_name="chatapp_knowledge_chunks")
    op.drop_column("chatapp_knowledge_chunks", "search_vector")
