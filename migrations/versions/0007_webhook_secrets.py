"""Outbound webhooks: signing secrets are stored sealed (KMS envelope), longer than varchar(64).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.alter_column("chatapp_webhooks", "secret", type_=sa.Text(), existing_type=sa.String(length=64))


def downgrade() -> None:
    # Sealed secrets do not fit varchar(64): they cannot be kept, so endpoints lose their secrets.
    op.execute("UPDATE chatapp_webhooks SET secret = left(secret, 64)")
    op.alter_column("chatapp_webhooks", "secret", type_=sa.String(length=64), existing_type=sa.Text())
