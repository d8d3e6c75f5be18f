"""Company administration (issue #7): suspension, purge and custom-domain verification columns.

`status_reason` tells a suspended company's admins why; `status_changed_at` dates the last change
(a deleted company is purged a retention period after `deleted_at`). The custom domain is proven
with a DNS TXT record holding `custom_domain_token`. Two CHECK constraints keep `status` to the
design's four values and tie the `deleted` status to `deleted_at`.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLE = "chatapp_companies"


def upgrade() -> None:
    op.add_column(_TABLE, sa.Column("status_reason", sa.Text(), nullable=True))
    op.add_column(_TABLE, sa.Column("status_changed_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(_TABLE, sa.Column("custom_domain_token", sa.String(length=64), nullable=True))
    op.add_column(_TABLE, sa.Column("custom_domain_verified_at", sa.DateTime(timezone=True), nullable=True))
    op.create_check_constraint(
        op.f("ck_chatapp_companies_status"), _TABLE, "status IN ('active', 'suspended', 'pending', 'deleted')"
    )
    op.create_check_constraint(
        op.f("ck_chatapp_companies_deleted_status"), _TABLE, "(status = 'deleted') = (deleted_at IS NOT NULL)"
    )


def downgrade() -> None:
    op.drop_constraint(op.f("ck_chatapp_companies_deleted_status"), _TABLE, type_="check")
    op.drop_constraint(op.f("ck_chatapp_companies_status"), _TABLE, type_="check")
    op.drop_column(_TABLE, "custom_domain_verified_at")
    op.drop_column(_TABLE, "custom_domain_token")
    op.drop_column(_TABLE, "status_changed_at")
    op.drop_column(_TABLE, "status_reason")
