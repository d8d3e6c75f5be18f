"""Agent test runs (issue #19): sandbox conversations, runs, their per-question results, and each
agent's regression set.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from chatapp.db import policies

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RUNS = "chatapp_test_runs"
RESULTS = "chatapp_test_run_results"
REGRESSION = "chatapp_regression_questions"


def _jsonb(name: str, default: str) -> sa.Column:
    return sa.Column(
        name,
        postgresql.JSONB(astext_type=sa.Text()),
        server_default=sa.text(f"'{default}'::jsonb"),
        nullable=False,
    )


def upgrade() -> None:
    # A test run's conversations go through the real engine but count nowhere a real one does.
    op.add_column(
        "chatapp_conversations",
        sa.Column("is_sandbox", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.create_table(
        RUNS,
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("company_id", sa.UUID(), nullable=False),
        sa.Column("agent_id", sa.UUID(), nullable=False),
        sa.Column("created_by", sa.UUID(), nullable=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("status", sa.String(16), server_default="queued", nullable=False),
        sa.Column("question_count", sa.Integer(), nullable=False),
        sa.Column("answered_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("grader_model", sa.String(100), nullable=True),
        sa.Column("grader_prompt_version", sa.String(32), nullable=True),
        _jsonb("summary", "{}"),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["company_id"], ["chatapp_companies.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["agent_id"], ["chatapp_agents.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["created_by"], ["chatapp_users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'finished', 'failed')", name="test_runs_status_check"
        ),
    )
    op.create_index("test_runs_agent_created_idx", RUNS, ["company_id", "agent_id", "created_at"])
    op.create_table(
        RESULTS,
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("run_id", sa.UUID(), nullable=False),
        sa.Column("company_id", sa.UUID(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("expected_answer", sa.Text(), nullable=True),
        sa.Column("expected_source", sa.String(255), nullable=True),
        sa.Column("conversation_id", sa.UUID(), nullable=True),
        sa.Column("answer", sa.Text(), nullable=True),
        _jsonb("citations", "[]"),
        sa.Column("confidence", sa.Numeric(5, 4), nullable=True),
        sa.Column("would_hand_over", sa.Boolean(), nullable=True),
        sa.Column("input_tokens", sa.Integer(), nullable=True),
        sa.Column("output_tokens", sa.Integer(), nullable=True),
        sa.Column("latency_ms", sa.Integer(), nullable=True),
        sa.Column("source_match", sa.Boolean(), nullable=True),
        sa.Column("grade", sa.String(16), nullable=True),
        sa.Column("grade_reason", sa.Text(), nullable=True),
        sa.Column("graded_by", sa.String(16), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["run_id"], [f"{RUNS}.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["company_id"], ["chatapp_companies.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["conversation_id"], ["chatapp_conversations.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("run_id", "position", name="test_run_results_position_key"),
        sa.CheckConstraint("grade IN ('good', 'acceptable', 'poor')", name="test_run_results_grade_check"),
        sa.CheckConstraint(
            "graded_by IN ('source', 'model', 'person')", name="test_run_results_graded_by_check"
        ),
    )
    op.create_table(
        REGRESSION,
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("company_id", sa.UUID(), nullable=False),
        sa.Column("agent_id", sa.UUID(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("expected_answer", sa.Text(), nullable=True),
        sa.Column("expected_source", sa.String(255), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["company_id"], ["chatapp_companies.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["agent_id"], ["chatapp_agents.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("agent_id", "position", name="regression_questions_position_key"),
    )
    for table in (RUNS, RESULTS, REGRESSION):
        for statement in policies.policy_statements(table):
            op.execute(statement)


def downgrade() -> None:
    op.drop_table(REGRESSION)
    op.drop_table(RESULTS)
    op.drop_table(RUNS)
    op.drop_column("chatapp_conversations", "is_sandbox")
