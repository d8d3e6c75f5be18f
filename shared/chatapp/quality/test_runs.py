"""Agent test runs (docs/test-runs.md): a set of questions run against an agent before it goes live.

Starting a run stores its questions and queues one SQS message per question, so a run fans out and
shows progress; `quality/test_run_answers.py` answers them. A finished run is compared with the
agent's previous one: which questions got worse.
Runs are limited per plan by `testRunsPerMonth` (402 when used up).
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from chatapp.access.authorization import require_permission
from chatapp.access.principals import Principal
from chatapp.agents.management import get_agent
from chatapp.billing.quotas import require_room
from chatapp.billing.usage import usage_period
from chatapp.companies.status import require_serving
from chatapp.db.models.test_runs import RegressionQuestion, TestRun, TestRunResult
from chatapp.db.tenancy import tenant_session
from chatapp.errors import InvalidInput, NotFound
from chatapp.integrations import queues
from chatapp.quality import grading
from chatapp.quality.schemas import (
    MAX_QUESTIONS,
    GradeIn,
    RegressionSetIn,
    RegressionSetOut,
    TestQuestionIn,
    TestResultOut,
    TestRunCsvIn,
    TestRunDetailOut,
    TestRunIn,
    TestRunOut,
)

GRADE_RANK = {"poor": 0, "acceptable": 1, "good": 2}


def start_run(principal: Principal, agent_id: uuid.UUID, body: TestRunIn) -> TestRunOut:
    return _start(principal, agent_id, body.name, lambda _db: body.questions)


def start_csv_run(principal: Principal, agent_id: uuid.UUID, body: TestRunCsvIn) -> TestRunOut:
    return _start(principal, agent_id, body.name, lambda _db: parse_csv(body.csv))


def _start(
    principal: Principal, agent_id: uuid.UUID, name: str, read: Callable[[Session], list[TestQuestionIn]]
) -> TestRunOut:
    """`read` gives the questions once the caller may use the agent (a bad CSV is not news to
    someone who may not see the agent)."""
    require_permission(principal, "agents", "write", agent_id)
    company_id = principal.company_id
    assert company_id is not None
    with tenant_session(principal.context()) as db:
        get_agent(db, agent_id)
        questions = read(db)
        limits = require_serving(db, company_id)
        allowed = limits.number("testRunsPerMonth")
        require_room(
            db,
            limits,
            "testRunsPerMonth",
            used=runs_this_month(db, company_id),
            code="test_run_limit_reached",
            what=f"Your plan allows {allowed} test runs a month.",
        )
        grader = grading.grader_model()
        run = TestRun(
            company_id=company_id,
            agent_id=agent_id,
            created_by=principal.user_id,
            name=name,
            question_count=len(questions),
            grader_model=grader,
            grader_prompt_version=grading.PROMPT_VERSION if grader else None,
            summary={},
        )
        db.add(run)
        db.flush()
        for position, question in enumerate(questions, start=1):
            db.add(
                TestRunResult(
                    run_id=run.id,
                    company_id=company_id,
                    position=position,
                    question=question.question.strip(),
                    expected_answer=question.expected_answer,
                    expected_source=(question.expected_source or "").strip() or None,
                    citations=[],
                )
            )
        db.flush()
        db.refresh(run)
        started = TestRunOut.model_validate(run)
    queues.send_test_questions(company_id, run.id, range(1, len(questions) + 1))
    return started


def set_regression_set(principal: Principal, agent_id: uuid.UUID, body: RegressionSetIn) -> RegressionSetOut:
    """The run's questions, with their expected answers and sources, become the agent's regression
    set (replacing the one it had)."""
    require_permission(principal, "agents", "write", agent_id)
    with tenant_session(principal.context()) as db:
        run = _run(db, agent_id, body.from_run)
        results = db.scalars(
            select(TestRunResult).where(TestRunResult.run_id == run.id).order_by(TestRunResult.position)
        ).all()
        db.execute(delete(RegressionQuestion).where(RegressionQuestion.agent_id == agent_id))
        for result in results:
            db.add(
                RegressionQuestion(
                    company_id=run.company_id,
                    agent_id=agent_id,
                    position=result.position,
                    question=result.question,
                    expected_answer=result.expected_answer,
                    expected_source=result.expected_source,
                )
            )
        db.flush()
        return RegressionSetOut(questions=_regression_questions(db, agent_id))


def regression_set(principal: Principal, agent_id: uuid.UUID) -> RegressionSetOut:
    require_permission(principal, "agents", "read", agent_id)
    with tenant_session(principal.context()) as db:
        get_agent(db, agent_id)
        return RegressionSetOut(questions=_regression_questions(db, agent_id))


def run_regression_set(principal: Principal, agent_id: uuid.UUID) -> TestRunOut:
    def read(db: Session) -> list[TestQuestionIn]:
        questions = _regression_questions(db, agent_id)
        if not questions:
            raise NotFound("This agent has no regression set yet.", code="regression_set_empty")
        return questions

    return _start(principal, agent_id, "Regression set", read)


def _regression_questions(db: Session, agent_id: uuid.UUID) -> list[TestQuestionIn]:
    rows = db.scalars(
        select(RegressionQuestion)
        .where(RegressionQuestion.agent_id == agent_id)
        .order_by(RegressionQuestion.position)
    ).all()
    return [
        TestQuestionIn(
            question=r.question, expected_answer=r.expected_answer, expected_source=r.expected_source
        )
        for r in rows
    ]


def parse_csv(text: str) -> list[TestQuestionIn]:
    """`question,expected_answer,expected_source` with a header row; only `question` is required."""
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    if not rows or "question" not in (rows[0].keys() if rows else ()):
        raise InvalidInput("The CSV needs a header row with a 'question' column.", code="invalid_csv")
    questions = []
    for number, row in enumerate(rows, start=2):
        question = (row.get("question") or "").strip()
        if not question:
            continue
        try:
            questions.append(
                TestQuestionIn(
                    question=question,
                    expected_answer=(row.get("expected_answer") or "").strip() or None,
                    expected_source=(row.get("expected_source") or "").strip() or None,
                )
            )
        except ValueError:
            raise InvalidInput(f"Row {number} of the CSV is too long.", code="invalid_csv") from None
    if not questions:
        raise InvalidInput("The CSV has no questions.", code="invalid_csv")
    if len(questions) > MAX_QUESTIONS:
        raise InvalidInput(f"A test run takes at most {MAX_QUESTIONS} questions.", code="too_many_questions")
    return questions


def runs_this_month(db: Session, company_id: uuid.UUID) -> int:
    start, end = usage_period()
    return int(
        db.scalar(
            select(func.count(TestRun.id)).where(
                TestRun.company_id == company_id, TestRun.created_at >= start, TestRun.created_at < end
            )
        )
        or 0
    )


def list_runs(principal: Principal, agent_id: uuid.UUID) -> list[TestRunOut]:
    require_permission(principal, "agents", "read", agent_id)
    with tenant_session(principal.context()) as db:
        get_agent(db, agent_id)
        rows = db.scalars(
            select(TestRun).where(TestRun.agent_id == agent_id).order_by(TestRun.created_at.desc()).limit(50)
        ).all()
        return [TestRunOut.model_validate(row) for row in rows]


def run_detail(principal: Principal, agent_id: uuid.UUID, run_id: uuid.UUID) -> TestRunDetailOut:
    require_permission(principal, "agents", "read", agent_id)
    with tenant_session(principal.context()) as db:
        run = _run(db, agent_id, run_id)
        results = db.scalars(
            select(TestRunResult).where(TestRunResult.run_id == run.id).order_by(TestRunResult.position)
        ).all()
        return TestRunDetailOut(
            **TestRunOut.model_validate(run).model_dump(),
            results=[TestResultOut.model_validate(r) for r in results],
        )


def override_grade(
    principal: Principal, agent_id: uuid.UUID, run_id: uuid.UUID, position: int, body: GradeIn
) -> TestResultOut:
    require_permission(principal, "agents", "write", agent_id)
    with tenant_session(principal.context()) as db:
        run = _run(db, agent_id, run_id, lock=True)
        result = db.scalar(
            select(TestRunResult).where(TestRunResult.run_id == run.id, TestRunResult.position == position)
        )
        if result is None:
            raise NotFound("No such question in this run.", code="test_question_not_found")
        result.grade, result.grade_reason, result.graded_by = body.grade, body.reason, "person"
        db.flush()
        if run.status == "finished":
            run.summary = summarize(db, run)
        return TestResultOut.model_validate(result)


def _run(db: Session, agent_id: uuid.UUID, run_id: uuid.UUID, *, lock: bool = False) -> TestRun:
    get_agent(db, agent_id)
    query = select(TestRun).where(TestRun.id == run_id, TestRun.agent_id == agent_id)
    run = db.scalar(query.with_for_update() if lock else query)
    if run is None:
        raise NotFound("No such test run.", code="test_run_not_found")
    return run


def summarize(db: Session, run: TestRun) -> dict[str, Any]:
    results = db.scalars(select(TestRunResult).where(TestRunResult.run_id == run.id)).all()
    grades = {grade: 0 for grade in GRADE_RANK} | {"ungraded": 0}
    for result in results:
        grades[result.grade or "ungraded"] += 1
    expected = [r for r in results if r.expected_source]
    latencies = sorted(r.latency_ms for r in results if r.latency_ms is not None)
    summary: dict[str, Any] = {
        "grades": grades,
        "source_match": {"expected": len(expected), "matched": sum(1 for r in expected if r.source_match)},
        "would_hand_over": sum(1 for r in results if r.would_hand_over),
        "latency_ms_p50": latencies[len(latencies) // 2] if latencies else None,
        "tokens": sum((r.input_tokens or 0) + (r.output_tokens or 0) for r in results),
    }
    return summary | _compared_with_previous(db, run, results)


def _compared_with_previous(db: Session, run: TestRun, results: Any) -> dict[str, Any]:
    """The same questions in the agent's previous finished run: how many got worse or better."""
    previous = db.scalar(
        select(TestRun)
        .where(
            TestRun.agent_id == run.agent_id,
            TestRun.status == "finished",
            TestRun.created_at < run.created_at,
        )
        .order_by(TestRun.created_at.desc())
        .limit(1)
    )
    if previous is None:
        return {"previous_run_id": None, "got_worse": 0, "got_better": 0}
    before = {
        r.question.casefold(): r
        for r in db.scalars(select(TestRunResult).where(TestRunResult.run_id == previous.id))
    }
    worse = better = 0
    for result in results:
        earlier = before.get(result.question.casefold())
        if earlier is None or earlier.grade is None or result.grade is None:
            continue
        change = GRADE_RANK[result.grade] - GRADE_RANK[earlier.grade]
        worse += change < 0
        better += change > 0
    return {"previous_run_id": str(previous.id), "got_worse": worse, "got_better": better}
