"""Requests and responses of the agents API (console).

The JSON configuration columns keep the design's camelCase keys (`ragConfig.maxResults`), so the
nested models below validate them by those names; top-level fields are snake_case like the rest
of the API. Fields the design marks "Master Admin controlled" live only in the `Admin*` models.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.alias_generators import to_camel

from chatapp import languages
from chatapp.agents.origins import normalise_domain_rule
from chatapp.db.enums import AgentStatus
from chatapp.fields import refuse_null

SHA256_PATTERN = r"^[0-9a-f]{64}$"
_CLOCK = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class _JsonConfig(BaseModel):
    """A JSON column's shape: camelCase keys, unknown keys refused so typos surface as 400s."""

    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, populate_by_name=True)

    def stored(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True, exclude_none=True, mode="json")


class ResponseStyle(_JsonConfig):
    tone: Literal["friendly", "professional", "neutral", "playful", "empathetic"] | None = None
    formality: Literal["casual", "neutral", "formal"] | None = None
    verbosity: Literal["concise", "balanced", "detailed"] | None = None
    language: str | None = Field(default=None, pattern=r"^[a-z]{2}(-[A-Z]{2})?$")


class RagConfig(_JsonConfig):
    chunk_size: int | None = Field(default=None, ge=64, le=2000)
    overlap_size: int | None = Field(default=None, ge=0, le=500)
    relevance_threshold: float | None = Field(default=None, ge=0, lt=1)
    max_results: int | None = Field(default=None, ge=1, le=50)
    rerank: bool | None = Field(
        default=None,
        description="With a language model configured, a small fast model reorders the best 10 "
        "passages by whether they answer the question, within rerankBudgetMs; on timeout or error "
        "retrieval's own order stands. Costs one short model call per search.",
    )
    rerank_budget_ms: int | None = Field(default=None, ge=200, le=5000)


class EscalationRules(_JsonConfig):
    keywords: list[str] = Field(default_factory=list, max_length=100)
    sentiment_threshold: float | None = Field(default=None, ge=-1, le=1)
    confidence_threshold: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="Hand over instead of answering when the answer's calibrated confidence (the "
        "probability that its best passage answers the question) is below this. 0.5 handed over 58% "
        "of the unanswerable questions and 4% of the answerable ones on our public sets (docs/retrieval.md).",
    )
    auto_escalate_after: int | None = Field(default=None, ge=1, le=100)

    @field_validator("keywords")
    @classmethod
    def _clean_keywords(cls, keywords: list[str]) -> list[str]:
        cleaned = [k.strip().lower() for k in keywords if k.strip()]
        if any(len(k) > 100 for k in cleaned):
            raise ValueError("keywords are at most 100 characters")
        return list(dict.fromkeys(cleaned))


class OpeningHours(_JsonConfig):
    start: str
    end: str

    @field_validator("start", "end")
    @classmethod
    def _clock(cls, value: str) -> str:
        if not _CLOCK.match(value):
            raise ValueError("use 24-hour HH:MM")
        return value


def _supported_languages(texts: dict[str, Any] | None) -> dict[str, Any] | None:
    unknown = sorted(code for code in texts or {} if languages.normalized(code) != code)
    if unknown:
        raise ValueError(f"languages are ISO 639-1 codes of {sorted(languages.SUPPORTED)}, not {unknown}")
    return texts


class OutsideHoursText(_JsonConfig):
    outside_hours_message: str | None = Field(default=None, max_length=2000)


class BusinessHours(_JsonConfig):
    timezone: str = "UTC"
    schedule: dict[str, OpeningHours] = Field(default_factory=dict)
    outside_hours_message: str | None = Field(default=None, max_length=2000)
    by_language: dict[str, OutsideHoursText] | None = Field(
        default=None, description="The outside-hours message per customer language."
    )

    _languages = field_validator("by_language")(_supported_languages)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown time zone {value!r}") from error
        return value

    @field_validator("schedule")
    @classmethod
    def _weekdays(cls, schedule: dict[str, OpeningHours]) -> dict[str, OpeningHours]:
        unknown = set(schedule) - set(WEEKDAYS)
        if unknown:
            raise ValueError(f"schedule keys are weekdays, not {sorted(unknown)}")
        return schedule


class FallbackTexts(_JsonConfig):
    error: str | None = Field(default=None, max_length=2000)
    no_answer: str | None = Field(default=None, max_length=2000)
    handover: str | None = Field(default=None, max_length=2000)
    limit_reached: str | None = Field(default=None, max_length=2000)


class FallbackResponses(FallbackTexts):
    """What the agent says when it cannot answer: the model failed, nothing was found, or a handover.
    `by_language` gives them per customer language ({"de": {"handover": "..."}}); a language
    without its own text gets the default one, and without that the system's in that language."""

    by_language: dict[str, FallbackTexts] | None = None

    _languages = field_validator("by_language")(_supported_languages)


class LlmConfig(_JsonConfig):
    """The design's example also has `temperature`; the Messages API of the anthropic SDK we ship
    (2.x) takes none, so it is not accepted rather than silently ignored."""

    model: str | None = Field(default=None, max_length=100)
    max_tokens: int | None = Field(default=None, ge=1, le=8192)
    timeout_seconds: float | None = Field(default=None, gt=0, le=120)
    history_token_budget: int | None = Field(default=None, ge=500, le=100_000)


ToolName = Literal["rag_search", "request_human_handover"]


class _AgentFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: str | None = Field(default=None, max_length=5000)
    avatar: str | None = Field(default=None, max_length=500)
    capabilities: list[str] | None = Field(default=None, max_length=20)
    personality: str | None = Field(default=None, max_length=5000)
    response_style: ResponseStyle | None = None
    rag_enabled: bool | None = None
    rag_config: RagConfig | None = None
    enabled_tools: list[ToolName] | None = None
    tool_config: dict[str, Any] | None = None
    escalation_rules: EscalationRules | None = None
    business_hours: BusinessHours | None = None
    fallback_responses: FallbackResponses | None = None
    status: AgentStatus | None = None

    # A stored null would make the agent unreadable.
    _not_null = refuse_null(
        "capabilities",
        "enabled_tools",
        "tool_config",
        "response_style",
        "rag_config",
        "escalation_rules",
        "business_hours",
        "fallback_responses",
        "rag_enabled",
        "status",
    )


class AgentIn(_AgentFields):
    name: str = Field(min_length=1, max_length=255)


class AgentPatch(_AgentFields):
    name: str | None = Field(default=None, min_length=1, max_length=255)

    _name_not_null = refuse_null("name")


class _AdminFields(BaseModel):
    system_prompt: str | None = Field(default=None, max_length=20_000)
    llm_config: LlmConfig | None = None
    package_id: uuid.UUID | None = None
    custom_package_url: str | None = Field(default=None, max_length=500)
    custom_package_hash: str | None = Field(default=None, pattern=SHA256_PATTERN)


class AdminAgentIn(AgentIn, _AdminFields):
    pass


class AdminAgentPatch(AgentPatch, _AdminFields):
    pass


class AgentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    company_id: uuid.UUID
    name: str
    description: str | None
    avatar: str | None
    capabilities: list[Any]
    personality: str | None
    response_style: dict[str, Any]
    rag_enabled: bool
    rag_config: dict[str, Any]
    enabled_tools: list[Any]
    tool_config: dict[str, Any]
    escalation_rules: dict[str, Any]
    business_hours: dict[str, Any]
    fallback_responses: dict[str, Any]
    status: AgentStatus
    total_conversations: int
    total_messages: int
    created_at: datetime
    updated_at: datetime


class AdminAgentOut(AgentOut):
    system_prompt: str | None
    llm_config: dict[str, Any]
    package_id: uuid.UUID | None
    custom_package_url: str | None
    custom_package_hash: str | None


class AgentListOut(BaseModel):
    items: list[AgentOut] | list[AdminAgentOut]


class WidgetConfigIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    theme: Literal["light", "dark", "auto"] | None = None
    position: Literal["bottom-right", "bottom-left", "top-right", "top-left"] | None = None
    primary_color: str | None = Field(default=None, pattern=r"^#[0-9a-fA-F]{6}$")
    title: str | None = Field(default=None, max_length=100)
    subtitle: str | None = Field(default=None, max_length=200)
    avatar_url: str | None = Field(default=None, max_length=500, pattern=r"^https://")
    logo_url: str | None = Field(default=None, max_length=500, pattern=r"^https://")
    show_branding: bool | None = None
    auto_open: bool | None = None
    auto_open_delay: int | None = Field(default=None, ge=0, le=600_000)
    welcome_message: str | None = Field(default=None, max_length=2000)
    placeholder_text: str | None = Field(default=None, max_length=200)
    enable_voice: bool | None = None
    enable_file_upload: bool | None = None
    enable_emoji: bool | None = None
    custom_css: str | None = Field(default=None, max_length=20_000)
    allowed_domains: list[str] | None = Field(default=None, max_length=50)

    # An empty list allows no site; a stored null would make the settings unreadable.
    _not_null = refuse_null("allowed_domains")

    @field_validator("allowed_domains")
    @classmethod
    def _domains(cls, domains: list[str] | None) -> list[str] | None:
        if domains is None:
            return None
        return list(dict.fromkeys(normalise_domain_rule(d) for d in domains))


class WidgetAppearance(BaseModel):
    """How a widget looks and behaves: what the console sets and the widget script renders."""

    model_config = ConfigDict(from_attributes=True)

    theme: str | None
    position: str | None
    primary_color: str | None
    title: str | None
    subtitle: str | None
    avatar_url: str | None
    logo_url: str | None
    show_branding: bool | None
    auto_open: bool | None
    auto_open_delay: int | None
    welcome_message: str | None
    placeholder_text: str | None
    enable_file_upload: bool | None
    enable_emoji: bool | None
    custom_css: str | None


class WidgetConfigOut(WidgetAppearance):
    id: uuid.UUID
    agent_id: uuid.UUID
    enable_voice: bool | None
    allowed_domains: list[str]
    created_at: datetime
    updated_at: datetime
