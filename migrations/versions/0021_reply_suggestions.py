"""The copilot (issue #20): reply suggestions for human agents, with what became of each.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from chatapp.db import policies

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "chatapp_reply_suggestions"


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("company_id", sa.UUID(), nullable=False),
        sa.Column("conversation_id", sa.UUID(), nullable=False),
        sa.Column("requested_by", sa.UUID(), nullable=True),
        sa.Column("for_message_id", sa.UUID(), nullable=True),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column(
            "citations",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
        sa.Column("model", sa.String(100), nullable=True),
        sa.Column("offline", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("latency_ms", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), server_default="suggested", nullable=False),
        sa.Column("sent_message_id", sa.UUID(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('suggested', 'sent', 'edited', 'ignored')", name="reply_suggestions_status_check"
        ),
        sa.ForeignKeyConstraint(["company_id"], ["chatapp_companies.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["conversation_id"], ["chatapp_conversations.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["requested_by"], ["chatapp_users.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["for_message_id"], ["chatapp_messages.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["sent_message_id"], ["chatapp_messages.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("reply_suggestions_conversation_idx", TABLE, ["conversation_id", "created_at"])
    op.create_index("reply_suggestions_company_created_idx", TABLE, ["company_id", "created_at"])
    for statement in policies.policy_statements(TABLE):
        op.execute(statement)


def downgrade() -> None:
    op.drop_table(TABLE)
