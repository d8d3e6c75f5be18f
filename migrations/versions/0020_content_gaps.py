"""Content gaps (issue #19): question vectors stored as float32 bytes beside their reply, the
nightly topics, and knowledge-article drafts.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06
"""

from __future__ import annotations

import struct
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from chatapp.db import policies

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

VECTORS = "chatapp_question_vectors"
TOPICS = "chatapp_content_gap_topics"
DRAFTS = "chatapp_knowledge_drafts"


def _jsonb(name: str, default: str) -> sa.Column:
    return sa.Column(
        name,
        postgresql.JSONB(astext_type=sa.Text()),
        server_default=sa.text(f"'{default}'::jsonb"),
        nullable=False,
    )


def upgrade() -> None:
    # Reading 100,000 float4[] values back costs a text parse per number (~18 s); bytes cost one copy.
    op.add_column(VECTORS, sa.Column("embedding_bytes", sa.LargeBinary(), nullable=True))
    op.execute(
        f"UPDATE {VECTORS} v SET embedding_bytes = (SELECT string_agg(float4send(x), ''::bytea ORDER BY o)"
        " FROM unnest(v.embedding) WITH ORDINALITY AS u (x, o))"
    )
    op.drop_column(VECTORS, "embedding")
    op.alter_column(VECTORS, "embedding_bytes", new_column_name="embedding", nullable=False)
    op.add_column(VECTORS, sa.Column("reply_message_id", sa.UUID(), nullable=True))
    op.create_foreign_key(
        "chatapp_question_vectors_reply_message_id_fkey",
        VECTORS,
        "chatapp_messages",
        ["reply_message_id"],
        ["id"],
        ondelete="SET NULL",
    )
    op.execute(
        f"UPDATE {VECTORS} v SET reply_message_id = m.id FROM chatapp_messages m"
        " WHERE m.conversation_id = v.conversation_id AND m.role = 'assistant'"
        " AND m.metadata->>'replyTo' = v.message_id::text"
    )

    op.create_table(
        TOPICS,
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("company_id", sa.UUID(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("question_count", sa.Integer(), nullable=False),
        _jsonb("reasons", "{}"),
        _jsonb("agent_ids", "[]"),
        _jsonb("example_questions", "[]"),
        sa.Column("best_passage", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("first_asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("window_days", sa.Integer(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["company_id"], ["chatapp_companies.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("content_gap_topics_company_rank_idx", TOPICS, ["company_id", "rank"])

    op.create_table(
        DRAFTS,
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("company_id", sa.UUID(), nullable=False),
        sa.Column("topic_id", sa.UUID(), nullable=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        _jsonb("questions", "[]"),
        sa.Column("generated_by", sa.String(100), nullable=False),
        sa.Column("status", sa.String(16), server_default="draft", nullable=False),
        sa.Column("category_id", sa.UUID(), nullable=True),
        sa.Column("file_id", sa.UUID(), nullable=True),
        sa.Column("created_by", sa.UUID(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('draft', 'published')", name="knowledge_drafts_status_check"),
        sa.ForeignKeyConstraint(["company_id"], ["chatapp_companies.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["topic_id"], [f"{TOPICS}.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["category_id"], ["chatapp_knowledge_categories.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["file_id"], ["chatapp_knowledge_files.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["created_by"], ["chatapp_users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("knowledge_drafts_company_created_idx", DRAFTS, ["company_id", "created_at"])
    for table in (TOPICS, DRAFTS):
        for statement in policies.policy_statements(table):
            op.execute(statement)


def downgrade() -> None:
    op.drop_table(DRAFTS)
    op.drop_table(TOPICS)
    op.drop_constraint("chatapp_question_vectors_reply_message_id_fkey", VECTORS, type_="foreignkey")
    op.drop_column(VECTORS, "reply_message_id")
    op.add_column(VECTORS, sa.Column("embedding_array", postgresql.ARRAY(sa.REAL()), nullable=True))
    connection = op.get_bind()
    rows = connection.execute(sa.text(f"SELECT message_id, embedding FROM {VECTORS}")).all()
    for message_id, packed in rows:
        values = list(struct.unpack(f">{len(packed) // 4}f", packed))
        connection.execute(
            sa.text(f"UPDATE {VECTORS} SET embedding_array = :values WHERE message_id = :id"),
            {"values": values, "id": message_id},
        )
    op.drop_column(VECTORS, "embedding")
    op.alter_column(VECTORS, "embedding_array", new_column_name="embedding", nullable=False)
