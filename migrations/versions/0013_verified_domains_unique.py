"""Custom domains are unique among verified ones only (issue #14, finding 9: domain squatting).

The design made `custom_domain` unique outright, so an unverified claim blocked the domain's real
owner for ever. Any number of companies may now claim a domain; the partial unique index lets only
one of them hold it verified. A plain index keeps look-ups by domain fast.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLE = "chatapp_companies"


def upgrade() -> None:
    op.drop_constraint("uq_chatapp_companies_custom_domain", _TABLE, type_="unique")
    op.create_index("companies_custom_domain_idx", _TABLE, ["custom_domain"])
    op.create_index(
        "companies_verified_custom_domain_key",
        _TABLE,
        ["custom_domain"],
        unique=True,
        postgresql_where=sa.text("custom_domain_verified"),
    )


def downgrade() -> None:
    # Unverified duplicates cannot survive the old constraint: keep the verified holder's claim.
    op.execute(
        f"UPDATE {_TABLE} SET custom_domain = NULL, custom_domain_token = NULL "
        "WHERE custom_domain IS NOT NULL AND NOT coalesce(custom_domain_verified, false) "
        f"AND custom_domain IN (SELECT custom_domain FROM {_TABLE} GROUP BY custom_domain HAVING count(*) > 1)"
    )
    op.drop_index("companies_verified_custom_domain_key", table_name=_TABLE)
    op.drop_index("companies_custom_domain_idx", table_name=_TABLE)
    op.create_unique_constraint("uq_chatapp_companies_custom_domain", _TABLE, ["custom_domain"])
