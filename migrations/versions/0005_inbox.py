"""Human inbox: canned-response shortcuts unique per company.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "canned_responses_company_shortcut_uidx",
        "chatapp_canned_responses",
        ["company_id", "shortcut"],
        unique=True,
        postgresql_where=sa.text("shortcut IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("canned_responses_company_shortcut_uidx", table_name="chatapp_canned_responses")
