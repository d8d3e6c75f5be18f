"""Widget identity verification (issue #13, finding 4): a company's site signs its visitors' identity.

`identity_secret` is the company's HMAC key for widget identities, sealed with KMS envelope encryption
(`integrations/secret_box`, context company + purpose `identity`); it is shown once, when generated.
`require_identity_verification`: when true, only a validly signed identity links a widget conversation
to a customer profile or updates one. Companies that exist when this migration runs keep today's
behaviour (false, the server default, so their integrations keep working); new companies are created
with it on by the services that create companies (sign-up, master admin, seed).

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLE = "chatapp_companies"


def upgrade() -> None:
    op.add_column(
        _TABLE,
        sa.Column(
            "require_identity_verification", sa.Boolean(), server_default=sa.text("false"), nullable=False
        ),
    )
    op.add_column(_TABLE, sa.Column("identity_secret", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column(_TABLE, "identity_secret")
    op.drop_column(_TABLE, "require_identity_verification")
