"""Requests and responses of the copilot: reply suggestions and rewrites for human agents."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

Style = Literal["rephrase", "shorten", "formal"]


class SuggestionCitationOut(BaseModel):
    number: int
    chunk_id: uuid.UUID
    file_id: uuid.UUID
    filename: str
    section_title: str | None
    url: str | None = None
    text: str = Field(description="The passage, for the agent to read before sending.")


class SuggestionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID = Field(description="Send it back with the reply (`suggestion_id`) when it was used.")
    conversation_id: uuid.UUID
    content: str
    citations: list[SuggestionCitationOut]
    model: str | None = Field(description="The model that drafted it; null offline.")
    offline: bool = Field(
        description="No language model: the content is the best passages, labelled as such."
    )
    latency_ms: int
    status: Literal["suggested", "sent", "edited", "ignored"]
    created_at: datetime


class RewriteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: Annotated[str, Field(min_length=1, max_length=4000)]
    style: Style


class RewriteOut(BaseModel):
    text: str
    model: str


class TranslatedMessageOut(BaseModel):
    message_id: uuid.UUID
    text: str


class TranslationOut(BaseModel):
    source_language: str | None = Field(description="The customer's language, as detected.")
    target: str
    messages: list[TranslatedMessageOut]
