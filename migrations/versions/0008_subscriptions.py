"""Subscription lifecycle (issue #7): columns the renewal, lapse and reminder job needs.

`unpaid_at` marks a payment as missing (a master admin's action, later a payment provider's
callback), which starts the lapse path; `past_due_at` dates the start of the lapse (grace begins
`past_due_days` after it); `reminders_sent` lists the reminder e-mails already sent for the current
period, so each goes once; `billing_day` is the day of the month periods end on, so a period
clamped to a short month's end returns to it afterwards. A partial unique index keeps one live
subscription per company.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLE = "chatapp_company_subscriptions"
_LIVE = "status IN ('trial', 'active', 'past_due', 'grace_period')"


def upgrade() -> None:
    op.add_column(_TABLE, sa.Column("unpaid_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(_TABLE, sa.Column("past_due_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        _TABLE,
        sa.Column(
            "reminders_sent",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
    )
    op.add_column(_TABLE, sa.Column("billing_day", sa.SmallInteger(), nullable=True))
    op.create_check_constraint(
        op.f("ck_chatapp_company_subscriptions_billing_day"), _TABLE, "billing_day BETWEEN 1 AND 31"
    )
    op.create_index(
        "subscriptions_company_live_uidx",
        _TABLE,
        ["company_id"],
        unique=True,
        postgresql_where=sa.text(_LIVE),
    )


def downgrade() -> None:
    op.drop_index("subscriptions_company_live_uidx", table_name=_TABLE, postgresql_where=sa.text(_LIVE))
    op.drop_constraint(op.f("ck_chatapp_company_subscriptions_billing_day"), _TABLE, type_="check")
    op.drop_column(_TABLE, "billing_day")
    op.drop_column(_TABLE, "reminders_sent")
    op.drop_column(_TABLE, "past_due_at")
    op.drop_column(_TABLE, "unpaid_at")
