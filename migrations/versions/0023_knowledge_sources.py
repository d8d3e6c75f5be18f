"""Knowledge that stays current (issue #21): web and help-centre sources, their syncs and the items
each sync visits, the crawlers' shared per-host clock, and the source columns of knowledge files.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from chatapp.db import policies

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SOURCES = "chatapp_knowledge_sources"
SYNCS = "chatapp_source_syncs"
ITEMS = "chatapp_source_sync_items"
HOSTS = "chatapp_crawl_hosts"
FILES = "chatapp_knowledge_files"


def _now(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=nullable)


def _jsonb(name: str) -> sa.Column:
    return sa.Column(
        name, postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False
    )


def upgrade() -> None:
    op.create_table(
        SOURCES,
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("company_id", sa.UUID(), nullable=False),
        sa.Column("category_id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("start_url", sa.String(2000), nullable=False),
        sa.Column("include_patterns", postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False),
        sa.Column("exclude_patterns", postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False),
        sa.Column("page_limit", sa.Integer(), server_default="500", nullable=False),
        sa.Column("schedule", sa.String(16), server_default="manual", nullable=False),
        sa.Column("allow_http", sa.Boolean(), server_default=sa.false(), nullable=False),
        _jsonb("settings"),
        sa.Column("credentials", sa.Text(), nullable=True),
        sa.Column("next_sync_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.UUID(), nullable=True),
        _now("created_at"),
        _now("updated_at"),
        sa.ForeignKeyConstraint(["company_id"], ["chatapp_companies.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["category_id"], ["chatapp_knowledge_categories.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["created_by"], ["chatapp_users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.CheckConstraint("kind IN ('web', 'zendesk')", name="knowledge_sources_kind_check"),
        sa.CheckConstraint(
            "schedule IN ('daily', 'weekly', 'manual')", name="knowledge_sources_schedule_check"
        ),
    )
    op.create_index("knowledge_sources_company_idx", SOURCES, ["company_id", "created_at"])
    op.create_index("knowledge_sources_due_idx", SOURCES, ["schedule", "next_sync_at"])
    op.create_table(
        SYNCS,
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("company_id", sa.UUID(), nullable=False),
        sa.Column("source_id", sa.UUID(), nullable=False),
        sa.Column("trigger", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), server_default="running", nullable=False),
        sa.Column("removed_count", sa.Integer(), server_default="0", nullable=False),
        _jsonb("state"),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("requested_by", sa.UUID(), nullable=True),
        _now("started_at"),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["company_id"], ["chatapp_companies.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["source_id"], [f"{SOURCES}.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["requested_by"], ["chatapp_users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.CheckConstraint("status IN ('running', 'completed', 'failed')", name="source_syncs_status_check"),
        sa.CheckConstraint("trigger IN ('manual', 'schedule')", name="source_syncs_trigger_check"),
    )
    op.create_index("source_syncs_source_idx", SYNCS, ["source_id", "started_at"])
    op.create_index(
        "source_syncs_one_running_idx",
        SYNCS,
        ["source_id"],
        unique=True,
        postgresql_where=sa.text("status = 'running'"),
    )
    op.add_column(FILES, sa.Column("source_id", sa.UUID(), nullable=True))
    op.add_column(FILES, sa.Column("source_key", sa.Text(), nullable=True))
    op.add_column(FILES, sa.Column("source_url", sa.String(2000), nullable=True))
    op.add_column(FILES, sa.Column("title", sa.String(500), nullable=True))
    op.add_column(FILES, sa.Column("change_token", sa.String(500), nullable=True))
    op.add_column(FILES, sa.Column("content_hash", sa.String(64), nullable=True))
    op.add_column(FILES, sa.Column("last_synced_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(FILES, sa.Column("missed_syncs", sa.Integer(), server_default="0", nullable=False))
    op.create_foreign_key(
        "fk_knowledge_files_source", FILES, SOURCES, ["source_id"], ["id"], ondelete="SET NULL"
    )
    op.create_index(
        "knowledge_files_source_key_idx",
        FILES,
        ["source_id", "source_key"],
        unique=True,
        postgresql_where=sa.text("source_id IS NOT NULL"),
    )
    op.create_table(
        ITEMS,
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("company_id", sa.UUID(), nullable=False),
        sa.Column("sync_id", sa.UUID(), nullable=False),
        sa.Column("item_key", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("outcome", sa.String(16), server_default="pending", nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        _jsonb("hint"),
        sa.Column("file_id", sa.UUID(), nullable=True),
        _now("created_at"),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["company_id"], ["chatapp_companies.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["sync_id"], [f"{SYNCS}.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["file_id"], [f"{FILES}.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.CheckConstraint("kind IN ('page', 'listing')", name="source_sync_items_kind_check"),
        sa.CheckConstraint(
            "outcome IN ('pending', 'new', 'changed', 'unchanged', 'listed', 'failed', 'skipped')",
            name="source_sync_items_outcome_check",
        ),
    )
    op.create_index("source_sync_items_key_idx", ITEMS, ["sync_id", "item_key"], unique=True)
    op.create_index("source_sync_items_outcome_idx", ITEMS, ["sync_id", "outcome"])
    op.create_table(
        HOSTS,
        sa.Column("host", sa.String(300), nullable=False),
        sa.Column("next_request_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("host"),
    )
    for table in (SOURCES, SYNCS, ITEMS, HOSTS):
        for statement in policies.policy_statements(table):
            op.execute(statement)


def downgrade() -> None:
    op.drop_table(HOSTS)
    op.drop_table(ITEMS)
    op.drop_index("knowledge_files_source_key_idx", table_name=FILES)
    op.drop_constraint("fk_knowledge_files_source", FILES, type_="foreignkey")
    for column in (
        "missed_syncs",
        "last_synced_at",
        "content_hash",
        "change_token",
        "title",
        "source_url",
        "source_key",
        "source_id",
    ):
        op.drop_column(FILES, column)
    op.drop_table(SYNCS)
    op.drop_table(SOURCES)
