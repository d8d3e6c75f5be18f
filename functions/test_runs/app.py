"""Agent test runs (console): start a run from questions or CSV, follow it, read and regrade answers."""

from __future__ import annotations

import uuid

from chatapp.api.access import ADMIN
from chatapp.api.app import create_app, lambda_handler
from chatapp.api.auth import Authenticated
from chatapp.quality import test_runs
from chatapp.quality.schemas import (
    GradeIn,
    RegressionSetIn,
    RegressionSetOut,
    TestResultOut,
    TestRunCsvIn,
    TestRunDetailOut,
    TestRunIn,
    TestRunOut,
)

app = create_app("test-runs")

BASE = "/v1/agents/{agent_id}/test-runs"


@app.post(BASE, response_model=TestRunOut, status_code=202, tags=[ADMIN])
async def start_run(agent_id: uuid.UUID, body: TestRunIn, principal: Authenticated) -> TestRunOut:
    """Queue the questions; the run answers them in the background (poll the run for progress)."""
    return test_runs.start_run(principal, agent_id, body)


@app.post(BASE + "/csv", response_model=TestRunOut, status_code=202, tags=[ADMIN])
async def start_csv_run(agent_id: uuid.UUID, body: TestRunCsvIn, principal: Authenticated) -> TestRunOut:
    """The same, with the questions as CSV text (header: question, expected_answer, expected_source)."""
    return test_runs.start_csv_run(principal, agent_id, body)


@app.get(BASE, response_model=list[TestRunOut], tags=[ADMIN])
async def list_runs(agent_id: uuid.UUID, principal: Authenticated) -> list[TestRunOut]:
    return test_runs.list_runs(principal, agent_id)


@app.get(BASE + "/{run_id}", response_model=TestRunDetailOut, tags=[ADMIN])
async def run_detail(agent_id: uuid.UUID, run_id: uuid.UUID, principal: Authenticated) -> TestRunDetailOut:
    return test_runs.run_detail(principal, agent_id, run_id)


@app.patch(BASE + "/{run_id}/results/{position}", response_model=TestResultOut, tags=[ADMIN])
async def override_grade(
    agent_id: uuid.UUID, run_id: uuid.UUID, position: int, body: GradeIn, principal: Authenticated
) -> TestResultOut:
    """A person's grade replaces the automatic one, and the run's summary follows."""
    return test_runs.override_grade(principal, agent_id, run_id, position, body)


@app.put("/v1/agents/{agent_id}/regression-set", response_model=RegressionSetOut, tags=[ADMIN])
async def set_regression_set(
    agent_id: uuid.UUID, body: RegressionSetIn, principal: Authenticated
) -> RegressionSetOut:
    """A run's questions become the agent's regression set (replacing the one it had)."""
    return test_runs.set_regression_set(principal, agent_id, body)


@app.get("/v1/agents/{agent_id}/regression-set", response_model=RegressionSetOut, tags=[ADMIN])
async def regression_set(agent_id: uuid.UUID, principal: Authenticated) -> RegressionSetOut:
    return test_runs.regression_set(principal, agent_id)


@app.post(
    "/v1/agents/{agent_id}/regression-set/runs", response_model=TestRunOut, status_code=202, tags=[ADMIN]
)
async def run_regression_set(agent_id: uuid.UUID, principal: Authenticated) -> TestRunOut:
    """Run the regression set: a test run like any other, named "Regression set"."""
    return test_runs.run_regression_set(principal, agent_id)


handler = lambda_handler(app)
