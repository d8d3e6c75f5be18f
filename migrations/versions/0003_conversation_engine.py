"""Conversation engine: one widget per agent, returning customers matched by external id, and
agent packages whose entry point is a Python "module:callable".

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("widget_config_agent_uidx", "chatapp_widget_configs", ["agent_id"], unique=True)
    op.create_index(
        "customers_company_external_uidx",
        "chatapp_customers",
        ["company_id", "external_id"],
        unique=True,
        postgresql_where=sa.text("external_id IS NOT NULL"),
    )
    op.alter_column("chatapp_agent_packages", "entry_point", server_default="agent:respond")


def downgrade() -> None:
    op.alter_column("chatapp_agent_packages", "entry_point", server_default="agent.py")
    op.drop_index("customers_company_external_uidx", table_name="chatapp_customers")
    op.drop_index("widget_config_agent_uidx", table_name="chatapp_widget_configs")
