"""Answering a test run's questions (the SQS worker's side; docs/test-runs.md).

Each question goes through the real engine in a sandbox conversation (`quality/sandbox.py`) and is
graded by source match: the expected file among the citations is good, missing it is poor. At least
once: a redelivered question that has its answer is left alone.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from chatapp.db.models.knowledge import KnowledgeChunk
from chatapp.db.models.test_runs import TestRun, TestRunResult
from chatapp.db.tenancy import TenantContext, tenant_session
from chatapp.observability import logger
from chatapp.quality import grading, sandbox
from chatapp.quality.test_runs import summarize


def answer_question(company_id: uuid.UUID, run_id: uuid.UUID, position: int) -> bool:
    """Answer and grade one question of a run; False if it was answered already (a redelivery)."""
    context = TenantContext.company_service(company_id)
    with tenant_session(context) as db:
        result = _result(db, run_id, position)
        if result is None or result.answered_at is not None:
            return False
        db.execute(
            update(TestRun)
            .where(TestRun.id == run_id, TestRun.status == "queued")
            .values(status="running", started_at=datetime.now(UTC))
        )
        run = db.get(TestRun, run_id)
        assert run is not None
        agent_id, question, expected_answer = run.agent_id, result.question, result.expected_answer
        expected_source, by_model = result.expected_source, run.grader_model is not None
    answer = sandbox.ask(company_id, agent_id, question)
    verdict = None
    if by_model:  # outside any transaction: the model takes its time
        verdict = grading.grade(
            question, expected_answer, answer.answer, _passages(context, answer.citations)
        )
    with tenant_session(context) as db:
        result = _result(db, run_id, position, lock=True)
        if result is None or result.answered_at is not None:
            return False  # another delivery of this message got there first
        result.conversation_id = answer.conversation_id
        result.answer = answer.answer
        result.citations = answer.citations
        result.confidence = Decimal(str(answer.confidence)) if answer.confidence is not None else None
        result.would_hand_over = answer.would_hand_over
        result.input_tokens, result.output_tokens = answer.input_tokens, answer.output_tokens
        result.latency_ms = answer.latency_ms
        result.answered_at = datetime.now(UTC)
        _grade_by_source(result, expected_source, answer.citations)
        if verdict is not None:  # the model's grade, when there is one; the source match stays recorded
            result.grade, result.grade_reason, result.graded_by = verdict.grade, verdict.reason, "model"
        run = db.scalar(select(TestRun).where(TestRun.id == run_id).with_for_update())
        assert run is not None
        run.answered_count += 1
        if run.answered_count >= run.question_count:
            db.flush()
            run.status, run.finished_at = "finished", datetime.now(UTC)
            run.summary = summarize(db, run)
            logger.info("test run finished", extra={"run_id": str(run.id), "questions": run.question_count})
    return True


def _result(db: Session, run_id: uuid.UUID, position: int, *, lock: bool = False) -> TestRunResult | None:
    query = select(TestRunResult).where(TestRunResult.run_id == run_id, TestRunResult.position == position)
    return db.scalar(query.with_for_update() if lock else query)


def _passages(context: TenantContext, citations: list[dict[str, Any]]) -> list[str]:
    """The texts of the cited chunks, in citation order, for the grader."""
    ids = [uuid.UUID(str(c["chunkId"])) for c in citations if c.get("chunkId")]
    if not ids:
        return []
    with tenant_session(context) as db:
        texts = dict(
            db.execute(
                select(KnowledgeChunk.id, KnowledgeChunk.content).where(KnowledgeChunk.id.in_(ids))
            ).all()
        )
    return [texts[i] for i in ids if i in texts]


def _grade_by_source(result: TestRunResult, expected: str | None, citations: list[dict[str, Any]]) -> None:
    """Offline grading: the expected file among the citations is good, missing it is poor."""
    if not expected:
        return
    cited = {str(c.get("filename") or "").casefold() for c in citations}
    result.source_match = expected.casefold() in cited
    result.grade = "good" if result.source_match else "poor"
    result.grade_reason = (
        f"Cited {expected}." if result.source_match else f"{expected} is not among the citations."
    )
    result.graded_by = "source"
