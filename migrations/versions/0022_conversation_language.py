"""Answers in the customer's language (issue #20): the conversation's language.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("chatapp_conversations", sa.Column("language", sa.String(16), nullable=True))


def downgrade() -> None:
    op.drop_column("chatapp_conversations", "language")
