"""Requests and responses of agent test runs."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

MAX_QUESTIONS = 50
Grade = Literal["good", "acceptable", "poor"]


class TestQuestionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    __test__ = False

    question: Annotated[str, Field(min_length=1, max_length=1000)]
    expected_answer: Annotated[str, Field(max_length=4000)] | None = None
    expected_source: Annotated[str, Field(max_length=255)] | None = Field(
        default=None, description="The file name the answer should cite, e.g. returns.md."
    )


class TestRunIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    __test__ = False

    name: Annotated[str, Field(min_length=1, max_length=200)] = "Test run"
    questions: Annotated[list[TestQuestionIn], Field(min_length=1, max_length=MAX_QUESTIONS)]


class TestRunCsvIn(BaseModel):
    """CSV text with a header row: `question` (required), `expected_answer` and `expected_source`."""

    model_config = ConfigDict(extra="forbid")
    __test__ = False

    name: Annotated[str, Field(min_length=1, max_length=200)] = "Test run"
    csv: Annotated[str, Field(min_length=1, max_length=200_000)]


class TestRunOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    __test__ = False

    id: uuid.UUID
    agent_id: uuid.UUID
    name: str
    status: Literal["queued", "running", "finished", "failed"]
    question_count: int
    answered_count: int
    grader_model: str | None
    grader_prompt_version: str | None
    summary: dict[str, Any]
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class TestResultOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    __test__ = False

    position: int
    question: str
    expected_answer: str | None
    expected_source: str | None
    answer: str | None
    citations: list[dict[str, Any]]
    confidence: Decimal | None
    would_hand_over: bool | None
    input_tokens: int | None
    output_tokens: int | None
    latency_ms: int | None
    source_match: bool | None
    grade: Grade | None
    grade_reason: str | None
    graded_by: Literal["source", "model", "person"] | None
    error: str | None
    answered_at: datetime | None


class TestRunDetailOut(TestRunOut):
    results: list[TestResultOut]


class GradeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    grade: Grade
    reason: Annotated[str, Field(max_length=500)] | None = None


class RegressionSetIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    from_run: uuid.UUID = Field(description="The test run whose questions become the regression set.")


class RegressionSetOut(BaseModel):
    questions: list[TestQuestionIn]


# ---------------------------------------------------------------- content gaps

Reason = Literal["low_confidence", "handed_over", "rated_poorly"]


class GapQuestionOut(BaseModel):
    text: str
    message_id: uuid.UUID
    conversation_id: uuid.UUID
    agent_id: uuid.UUID
    asked_at: datetime
    reasons: list[Reason]


class GapPassageOut(BaseModel):
    chunk_id: uuid.UUID
    file_id: uuid.UUID
    filename: str
    section_title: str | None
    text: str
    similarity: float = Field(description="Cosine between the passage and the topic's centre.")


class ContentGapTopicOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    rank: int
    label: str = Field(description="The topic's most typical question.")
    question_count: int
    reasons: dict[Reason, int]
    agent_ids: list[uuid.UUID]
    example_questions: list[GapQuestionOut]
    best_passage: GapPassageOut | None = Field(
        description="The knowledge base's passage nearest to the topic, or null when it has none."
    )
    first_asked_at: datetime
    last_asked_at: datetime


class ContentGapsOut(BaseModel):
    computed_at: datetime | None = Field(description="When the nightly job last found topics.")
    window_days: int
    low_confidence_below: float
    topics: list[ContentGapTopicOut]


class DraftIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    topic_id: uuid.UUID


class DraftPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    content: Annotated[str, Field(min_length=1, max_length=200_000)] | None = None
    category_id: uuid.UUID | None = None


class DraftPublishIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    category_id: uuid.UUID | None = Field(default=None, description="Defaults to the draft's category.")


class DraftOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    topic_id: uuid.UUID | None
    title: str
    content: str
    questions: list[str]
    generated_by: str = Field(description="The model that wrote the first version, or 'template'.")
    status: Literal["draft", "published"]
    category_id: uuid.UUID | None
    file_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None
