"""What a conversation's widget attachments take (issue #14, finding 13: attachment flooding).

`attachment_count` and `attachment_bytes` count the upload tickets a conversation was given (a
ticket's size is signed into its upload URL, so S3 stores no more). They cap one conversation and,
summed, the company's attachment storage against the plan's `attachmentStorageGb`.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLE = "chatapp_conversations"


def upgrade() -> None:
    op.add_column(_TABLE, sa.Column("attachment_count", sa.Integer(), server_default="0", nullable=False))
    op.add_column(_TABLE, sa.Column("attachment_bytes", sa.BigInteger(), server_default="0", nullable=False))


def downgrade() -> None:
    op.drop_column(_TABLE, "attachment_bytes")
    op.drop_column(_TABLE, "attachment_count")
