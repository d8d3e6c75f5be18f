"""The agent package interface: small on purpose, and the only thing packages import from Buzzi.

A package is a zip of Python modules. Its `entry_point` ("module:callable", default
"agent:respond") names a function

    def respond(turn: Turn, runtime: Runtime) -> Reply

called once per customer message the AI answers. Since interface version 2 a package may also
define, beside it, a streaming twin named after it with `_stream` ("agent:respond_stream"):

    def respond_stream(turn: Turn, runtime: Runtime) -> Iterator[Delta | Reply]

yielding the answer's text as `Delta`s while it is written, then the final `Reply` (last). The
platform uses it when the customer's widget has a socket open; without it, `respond`'s reply is
sent as one piece. The platform does everything around it: it
stores messages, applies escalation rules, business hours and plan limits, meters usage and keeps
the conversation summary. The package decides how to answer: which prompt, when to search the
company's knowledge, when to ask for a human. It may call only what `Runtime` offers, so it never
sees another company's data or the platform's credentials.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

INTERFACE_VERSION = 2  # 2: the optional streaming entry, `Delta`, `LanguageModel.stream`


@dataclass(frozen=True)
class AgentProfile:
    """The agent as its company (and the platform) configured it."""

    agent_id: str
    company_id: str
    name: str
    personality: str | None = None
    response_style: dict[str, Any] = field(default_factory=dict)
    system_prompt: str | None = None  # the platform's master prompt for this agent
    llm_config: dict[str, Any] = field(default_factory=dict)
    rag_enabled: bool = True
    rag_config: dict[str, Any] = field(default_factory=dict)
    enabled_tools: tuple[str, ...] = ()
    tool_config: dict[str, Any] = field(default_factory=dict)
    fallback_responses: dict[str, Any] = field(default_factory=dict)
    business_hours_text: str | None = None  # "Mon-Fri 09:00-17:00 (Europe/Berlin)", for the prompt


@dataclass(frozen=True)
class HistoryMessage:
    role: Literal["user", "assistant", "human_agent"]
    content: str


@dataclass(frozen=True)
class Turn:
    agent: AgentProfile
    message: str  # the customer's new message
    history: tuple[HistoryMessage, ...]  # recent messages before it, oldest first
    summary: str | None  # what happened before `history`, when the conversation is long
    context: dict[str, Any]  # what the conversation has learnt: customer, page, facts
    now: datetime  # timezone-aware
    within_business_hours: bool
    language: str | None = None  # the customer's (ISO 639-1, `chatapp.languages`), when known


@dataclass(frozen=True)
class Passage:
    """A chunk of the company's knowledge that retrieval returned."""

    chunk_id: str
    file_id: str
    filename: str
    text: str
    page_number: int | None
    section_title: str | None
    score: float  # blended retrieval score, higher is better (relative to this question's candidates)
    relevance: float | None  # cosine similarity of the dense match, when there was one
    # Calibrated probability that the passage answers the question (chatapp.knowledge.confidence):
    # what answers report as their confidence and the low-confidence escalation rule compares.
    confidence: float = 0.0
    url: str | None = None  # the web page it came from, for a synced source


@dataclass(frozen=True)
class Citation:
    chunk_id: str
    file_id: str
    filename: str
    page_number: int | None = None
    section_title: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class ToolCall:
    id: str
    name: str
    arguments: dict[str, Any]
    result: Any


@dataclass(frozen=True)
class Reply:
    text: str
    citations: tuple[Citation, ...] = ()
    handover_reason: str | None = None  # set when the agent asks for a human
    confidence: float | None = None  # 0..1: how well the answer is grounded
    model: str | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    tool_calls: tuple[ToolCall, ...] = ()
    retrieval_scores: tuple[float, ...] = ()  # relevance of the passages the answer used
    fallback: bool = False  # the model could not be reached; `text` is the agent's fallback response
    offline: bool = False  # answered by the offline answerer, without a language model


@dataclass(frozen=True)
class Delta:
    """A piece of the answer's text, as it is written (what `respond_stream` yields before its Reply)."""

    text: str


class ModelStream(Protocol):
    """A streamed Messages API call: iterating yields the text as it arrives; afterwards `response`
    is the whole message, as `create` would have returned it (tool calls included)."""

    def __iter__(self) -> Iterator[str]: ...

    @property
    def response(self) -> Any: ...


class LanguageModel(Protocol):
    """Anthropic's Messages API (`anthropic.Anthropic().messages.create`), with the platform's retries
    and timeouts applied. Raises `LanguageModelUnavailable` when it gives up (while iterating, for
    a stream that breaks off)."""

    def create(self, **request: Any) -> Any: ...

    def stream(self, **request: Any) -> ModelStream: ...


class LanguageModelUnavailable(Exception):
    """The model could not answer after retries (timeouts, 429, 529, 5xx)."""


class Runtime(Protocol):
    @property
    def llm(self) -> LanguageModel | None:
        """None when the platform runs without a language model (the offline answerer)."""
        ...

    def search(
        self, query: str, max_results: int | None = None, *, hypothetical_answer: str | None = None
    ) -> list[Passage]:
        """The agent's knowledge: hybrid retrieval over its categories, its company only.

        `hypothetical_answer` (a language model's guess at what the answer says, in the documents'
        words) joins the query on the dense side only: it bridges the customer's words and the
        documents', while its invented specifics cannot add rare words to the BM25 side."""
        ...

    def offline_answer(self, turn: Turn, passages: list[Passage]) -> Reply:
        """The platform's labelled offline answer from retrieved passages."""
        ...


Respond = Any  # Callable[[Turn, Runtime], Reply]; kept loose so packages need not import typing helpers
