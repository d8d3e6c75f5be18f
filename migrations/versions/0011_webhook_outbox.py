"""Webhook outbox: webhook events are written in the change's transaction, so none is lost after a commit.

`chatapp_webhook_outbox` holds one delivery message per endpoint until it is on the webhook queue
(`chatapp/webhooks/events.py`, `chatapp/webhooks/outbox.py`). Row-level security: `company` access
(`chatapp.db.policies`), applied here because migration 0001 only covers the tables it created.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from chatapp.db import policies

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "chatapp_webhook_outbox"


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("company_id", sa.UUID(), nullable=False),
        sa.Column("webhook_id", sa.UUID(), nullable=False),
        sa.Column("message", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "message->>'company_id' = company_id::text AND message->>'webhook_id' = webhook_id::text",
            name=op.f("ck_chatapp_webhook_outbox_message_matches"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["chatapp_companies.id"],
            name=op.f("fk_chatapp_webhook_outbox_company_id_chatapp_companies"),
        ),
        sa.ForeignKeyConstraint(
            ["webhook_id"],
            ["chatapp_webhooks.id"],
            name=op.f("fk_chatapp_webhook_outbox_webhook_id_chatapp_webhooks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chatapp_webhook_outbox")),
    )
    op.create_index("webhook_outbox_created_idx", TABLE, ["created_at"], unique=False)
    for statement in policies.policy_statements(TABLE):
        op.execute(statement)
    # The application role's grants come from 0001's default privileges for new tables.


def downgrade() -> None:
    op.drop_table(TABLE)  # its index and policies go with it
