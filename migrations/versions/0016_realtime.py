"""Real time (issue #17): WebSocket connect tickets and open connections, both company data.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from chatapp.db import policies

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TICKETS = "chatapp_realtime_tickets"
CONNECTIONS = "chatapp_realtime_connections"


def _company_fk() -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["company_id"], ["chatapp_companies.id"], ondelete="CASCADE")


def upgrade() -> None:
    op.create_table(
        TICKETS,
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("company_id", sa.UUID(), nullable=False),
        sa.Column("conversation_id", sa.UUID(), nullable=False),
        sa.Column("agent_id", sa.UUID(), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        _company_fk(),
        sa.ForeignKeyConstraint(["conversation_id"], ["chatapp_conversations.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["agent_id"], ["chatapp_agents.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index("realtime_tickets_expires_idx", TICKETS, ["expires_at"])
    op.create_table(
        CONNECTIONS,
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("connection_id", sa.String(128), nullable=False),
        sa.Column("company_id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("agent_id", sa.UUID(), nullable=True),
        sa.Column("conversation_id", sa.UUID(), nullable=True),
        sa.Column("user_id", sa.UUID(), nullable=True),
        sa.Column(
            "subscriptions",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
        sa.Column(
            "connected_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        _company_fk(),
        sa.ForeignKeyConstraint(["agent_id"], ["chatapp_agents.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["conversation_id"], ["chatapp_conversations.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["chatapp_users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("connection_id"),
        sa.CheckConstraint("kind IN ('widget', 'console')", name="realtime_connections_kind_check"),
    )
    op.create_index("realtime_connections_conversation_idx", CONNECTIONS, ["conversation_id"])
    op.create_index("realtime_connections_company_kind_idx", CONNECTIONS, ["company_id", "kind"])
    op.create_index("realtime_connections_expires_idx", CONNECTIONS, ["expires_at"])
    for table in (TICKETS, CONNECTIONS):
        for statement in policies.policy_statements(table):
            op.execute(statement)


def downgrade() -> None:
    op.drop_table(CONNECTIONS)
    op.drop_table(TICKETS)
