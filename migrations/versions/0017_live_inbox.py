"""Live inbox (issue #18): console connect tickets, console sockets tied to their session, and the
real-time outbox that inbox events leave through after commit.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from chatapp.db import policies

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TICKETS = "chatapp_realtime_tickets"
CONNECTIONS = "chatapp_realtime_connections"
OUTBOX = "chatapp_realtime_outbox"


def upgrade() -> None:
    op.add_column(TICKETS, sa.Column("kind", sa.String(16), server_default="widget", nullable=False))
    op.add_column(TICKETS, sa.Column("user_id", sa.UUID(), nullable=True))
    op.add_column(TICKETS, sa.Column("session_id", sa.UUID(), nullable=True))
    op.alter_column(TICKETS, "conversation_id", nullable=True)
    op.alter_column(TICKETS, "agent_id", nullable=True)
    op.create_foreign_key(
        "realtime_tickets_user_fk", TICKETS, "chatapp_users", ["user_id"], ["id"], ondelete="CASCADE"
    )
    op.create_foreign_key(
        "realtime_tickets_session_fk", TICKETS, "chatapp_sessions", ["session_id"], ["id"], ondelete="CASCADE"
    )
    op.create_check_constraint(
        "realtime_tickets_kind_check",
        TICKETS,
        "(kind = 'widget' AND conversation_id IS NOT NULL AND agent_id IS NOT NULL)"
        " OR (kind = 'console' AND user_id IS NOT NULL AND session_id IS NOT NULL)",
    )
    # Signing out (the session row goes) closes the console's sockets for pushes at once.
    op.add_column(CONNECTIONS, sa.Column("session_id", sa.UUID(), nullable=True))
    op.create_foreign_key(
        "realtime_connections_session_fk",
        CONNECTIONS,
        "chatapp_sessions",
        ["session_id"],
        ["id"],
        ondelete="CASCADE",
    )
    op.create_table(
        OUTBOX,
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("company_id", sa.UUID(), nullable=False),
        sa.Column("conversation_id", sa.UUID(), nullable=True),
        sa.Column("event_type", sa.String(48), nullable=False),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("clock_timestamp()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(["company_id"], ["chatapp_companies.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["conversation_id"], ["chatapp_conversations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("realtime_outbox_created_idx", OUTBOX, ["created_at"])
    for statement in policies.policy_statements(OUTBOX):
        op.execute(statement)


def downgrade() -> None:
    op.drop_table(OUTBOX)
    op.drop_constraint("realtime_connections_session_fk", CONNECTIONS, type_="foreignkey")
    op.drop_column(CONNECTIONS, "session_id")
    op.execute(f"DELETE FROM {TICKETS} WHERE kind <> 'widget'")
    op.drop_constraint("realtime_tickets_kind_check", TICKETS, type_="check")
    op.drop_constraint("realtime_tickets_session_fk", TICKETS, type_="foreignkey")
    op.drop_constraint("realtime_tickets_user_fk", TICKETS, type_="foreignkey")
    op.alter_column(TICKETS, "agent_id", nullable=False)
    op.alter_column(TICKETS, "conversation_id", nullable=False)
    op.drop_column(TICKETS, "session_id")
    op.drop_column(TICKETS, "user_id")
    op.drop_column(TICKETS, "kind")
