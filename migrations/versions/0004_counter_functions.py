"""Counter functions: rate-limit hits and usage metering from inside tenant transactions.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from chatapp.config import get_settings
from chatapp.db import counters

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(counters.COUNTER_FUNCTIONS_SQL)
    for statement in counters.grant_statements(get_settings().app_db_role):
        op.execute(statement)


def downgrade() -> None:
    op.execute(counters.DROP_COUNTER_FUNCTIONS_SQL)
