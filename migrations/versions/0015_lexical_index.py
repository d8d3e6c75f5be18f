"""True BM25 for retrieval (issue #15): each chunk's term ids, and each company's term statistics.

`chatapp_knowledge_chunks.lexical_terms` holds a chunk's distinct term ids (see
`chatapp.knowledge.lexical`). `chatapp_knowledge_term_stats` counts, per company, how many chunks
contain each term, and under term id 0 how many chunks there are: what BM25's IDF needs, kept per company so that no tenant's
documents move another's ranking. Statement-level triggers with transition tables keep the counts
in the same transaction as every insert or delete of chunks, cascades included, so no code path
can forget them. Chunks are never updated in place (re-indexing replaces them).

Existing chunks have no term ids: re-index their files to give them a lexical index.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from chatapp.db import policies

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATS = "chatapp_knowledge_term_stats"
ALL_CHUNKS = 0  # the term id under which a company's row counts all its chunks (BM25's N)
CHUNKS = "chatapp_knowledge_chunks"

_COUNT_INSERTED = f"""
CREATE FUNCTION chatapp_count_inserted_chunk_terms() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Rows are locked in key order, so two files indexed at once cannot deadlock here.
    INSERT INTO {STATS} (company_id, term_id, chunk_count)
    SELECT company_id, term, count(*) FROM (
        SELECT company_id, unnest(lexical_terms) AS term FROM inserted_chunks
        UNION ALL SELECT company_id, {ALL_CHUNKS} FROM inserted_chunks
    ) terms
    GROUP BY company_id, term ORDER BY company_id, term
    ON CONFLICT (company_id, term_id)
    DO UPDATE SET chunk_count = {STATS}.chunk_count + EXCLUDED.chunk_count;
    RETURN NULL;
END $$;
"""
_COUNT_DELETED = f"""
CREATE FUNCTION chatapp_count_deleted_chunk_terms() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    WITH gone AS (
        SELECT company_id, term, count(*) AS chunks FROM (
            SELECT company_id, unnest(lexical_terms) AS term FROM deleted_chunks
            UNION ALL SELECT company_id, {ALL_CHUNKS} FROM deleted_chunks
        ) terms
        GROUP BY company_id, term
    ), locked AS (
        SELECT s.company_id, s.term_id, gone.chunks FROM {STATS} s
        JOIN gone ON gone.company_id = s.company_id AND gone.term = s.term_id
        ORDER BY s.company_id, s.term_id FOR UPDATE OF s
    )
    UPDATE {STATS} s SET chunk_count = greatest(s.chunk_count - locked.chunks, 0)
    FROM locked WHERE s.company_id = locked.company_id AND s.term_id = locked.term_id;
    RETURN NULL;
END $$;
"""


def upgrade() -> None:
    # PostgreSQL full text (ts_rank_cd, no IDF) is replaced by BM25; its index only slowed inserts.
    op.drop_index("knowledge_chunks_search_idx", table_name=CHUNKS)
    op.drop_column(CHUNKS, "search_vector")
    op.add_column(CHUNKS, sa.Column("lexical_terms", postgresql.ARRAY(sa.Integer()), nullable=True))
    op.create_table(
        STATS,
        sa.Column("company_id", sa.UUID(), nullable=False),
        sa.Column("term_id", sa.Integer(), nullable=False),
        sa.Column("chunk_count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["company_id"], ["chatapp_companies.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("company_id", "term_id"),
    )
    for statement in policies.policy_statements(STATS):
        op.execute(statement)
    op.execute(_COUNT_INSERTED)
    op.execute(_COUNT_DELETED)
    op.execute(
        f"CREATE TRIGGER knowledge_chunks_count_inserted AFTER INSERT ON {CHUNKS} "
        "REFERENCING NEW TABLE AS inserted_chunks FOR EACH STATEMENT "
        "EXECUTE FUNCTION chatapp_count_inserted_chunk_terms()"
    )
    op.execute(
        f"CREATE TRIGGER knowledge_chunks_count_deleted AFTER DELETE ON {CHUNKS} "
        "REFERENCING OLD TABLE AS deleted_chunks FOR EACH STATEMENT "
        "EXECUTE FUNCTION chatapp_count_deleted_chunk_terms()"
    )


def downgrade() -> None:
    op.execute(f"DROP TRIGGER IF EXISTS knowledge_chunks_count_deleted ON {CHUNKS}")
    op.execute(f"DROP TRIGGER IF EXISTS knowledge_chunks_count_inserted ON {CHUNKS}")
    op.execute("DROP FUNCTION IF EXISTS chatapp_count_deleted_chunk_terms()")
    op.execute("DROP FUNCTION IF EXISTS chatapp_count_inserted_chunk_terms()")
    op.drop_table(STATS)
    op.drop_column(CHUNKS, "lexical_terms")
    op.add_column(
        CHUNKS,
        sa.Column(
            "search_vector",
            postgresql.TSVECTOR(),
            sa.Computed(
                "to_tsvector('english', coalesce(section_title, '') || ' ' || content)", persisted=True
            ),
            nullable=True,
        ),
    )
    op.create_index("knowledge_chunks_search_idx", CHUNKS, ["search_vector"], postgresql_using="gin")
