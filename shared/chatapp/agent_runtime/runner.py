"""Runs an agent's package for one turn, behind the platform's walls.

The package gets a `PlatformRuntime`: retrieval bound to the agent's company and categories (a
tenant session per search, so even a buggy package cannot reach another company), the language
model (or None in offline mode) and the offline answerer. A package that raises is logged by
error type and answered with the agent's fallback text: the customer never sees an error page.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from chatapp import languages
from chatapp.agent_runtime import rerank
from chatapp.agent_runtime.interface import Delta, LanguageModel, Passage, Reply, Turn
from chatapp.agent_runtime.llm import ClaudeModel
from chatapp.agent_runtime.offline import offline_answer
from chatapp.agent_runtime.packages import load_entry_point, load_stream_entry_point
from chatapp.config import get_settings
from chatapp.db.tenancy import TenantContext, tenant_session
from chatapp.integrations.embeddings import get_embedder
from chatapp.knowledge.retrieval import RagSettings, search
from chatapp.observability import logger

MAX_HYPOTHETICAL_CHARS = 1000  # the model input holds 256 tokens; more only costs tokenizing
# The offline answerer has its whole text at once; paced word by word it streams as a model would,
# so the local default shows what customers see with Claude.
OFFLINE_WORD_SECONDS = 0.008


class AnswerListener(Protocol):
    """Who hears an answer while it is written (the widget's socket)."""

    streamed_chars: int  # how much text it has heard: what the customer may already have seen

    def searching(self, query: str) -> None: ...

    def delta(self, text: str) -> None: ...


@dataclass(frozen=True)
class PackageRef:
    url: str
    sha256: str
    entry_point: str


@dataclass
class PlatformRuntime:
    company_id: uuid.UUID
    category_ids: tuple[uuid.UUID, ...]
    rag: RagSettings
    llm: LanguageModel | None
    reranker: LanguageModel | None = None  # set when the agent asked for a rerank and a model exists
    listener: AnswerListener | None = None
    searches: list[dict[str, Any]] = field(default_factory=list)
    # The first search's query embedding (model id, vector): the turn keeps it with the question.
    query_vector: tuple[str, list[float]] | None = None

    def search(
        self, query: str, max_results: int | None = None, *, hypothetical_answer: str | None = None
    ) -> list[Passage]:
        started = time.perf_counter()
        if self.listener is not None:
            self.listener.searching(query)
        limit = min(max_results or self.rag.max_results, 20)
        fetch = max(limit, rerank.CANDIDATES) if self.reranker is not None else limit
        meaning = (
            f"{query[:1000]}\n{hypothetical_answer[:MAX_HYPOTHETICAL_CHARS]}" if hypothetical_answer else None
        )
        with tenant_session(TenantContext.company_service(self.company_id)) as db:
            found = search(
                db,
                self.company_id,
                list(self.category_ids),
                query[:2000],
                limit=fetch,
                relevance_threshold=self.rag.relevance_threshold,
                dense_text=meaning,
                keep_vector=self._keep_first_vector,
            )
        passages = [
            Passage(
                chunk_id=str(hit.chunk_id),
                file_id=str(hit.file_id),
                filename=hit.filename,
                text=hit.text,
                page_number=hit.page_number,
                section_title=hit.section_title,
                score=hit.score,
                relevance=hit.dense_score,
                confidence=hit.confidence,
                url=hit.url,
            )
            for hit in found
        ]
        record: dict[str, Any] = {"query": query[:200]}
        if self.reranker is not None:
            second_look = rerank.rerank(
                self.reranker,
                get_settings().llm_rerank_model,
                query,
                passages[: rerank.CANDIDATES],
                self.rag.rerank_budget_ms / 1000,
            )
            passages = [*second_look.passages, *passages[rerank.CANDIDATES :]]
            record["rerank"] = {"outcome": second_look.outcome, "ms": second_look.ms}
        passages = passages[:limit]
        record["results"] = len(passages)
        record["ms"] = round((time.perf_counter() - started) * 1000, 1)
        self.searches.append(record)
        return passages

    def _keep_first_vector(self, vector: list[float]) -> None:
        if self.query_vector is None:
            self.query_vector = (get_embedder().model_id, vector)

    def keep_question_vector(self, question: str) -> None:
        """After a turn that never searched (the model answered from the conversation, or the agent
        has no knowledge): the question embedded once, so content gaps still see it."""
        if self.query_vector is None and question.strip():
            embedder = get_embedder()
            self.query_vector = (embedder.model_id, embedder.embed_query(question[:2000]))

    def offline_answer(self, turn: Turn, passages: list[Passage]) -> Reply:
        return offline_answer(turn, passages)


def language_model(llm_config: dict[str, Any]) -> LanguageModel | None:
    if not get_settings().uses_language_model:
        return None
    timeout = llm_config.get("timeoutSeconds")
    return ClaudeModel(float(timeout) if timeout else None)


def reranker(rag: RagSettings) -> LanguageModel | None:
    """The model that reorders passages, if the agent asked for one: no retries, so its timeout
    is the whole budget."""
    if not rag.rerank or not get_settings().uses_language_model:
        return None
    return ClaudeModel(rag.rerank_budget_ms / 1000, max_retries=0)


def run_package(package: PackageRef, turn: Turn, runtime: PlatformRuntime) -> tuple[Reply, float]:
    """The package's reply and how long it took in milliseconds. With a listener on the runtime,
    the answer's text reaches it as it is written (the package's streaming entry, if it has one)."""
    started = time.perf_counter()
    try:
        respond = load_entry_point(package.url, package.sha256, package.entry_point)
        streaming = load_stream_entry_point(package.url, package.sha256, package.entry_point)
        listener = runtime.listener
        if listener is not None and streaming is not None:
            reply = _streamed(streaming(turn, runtime), listener)
        else:
            reply = respond(turn, runtime)
            if not isinstance(reply, Reply):
                raise TypeError("the package did not return a Reply")
            if listener is not None:
                _tell_whole(reply, listener)
    except Exception as error:  # any package failure becomes the fallback answer
        logger.error(
            "agent package failed", extra={"error_type": type(error).__name__, "package": package.url}
        )
        text = languages.agent_text(turn.agent.fallback_responses, "error", turn.language)
        reply = Reply(text=text or languages.text("error", turn.language), fallback=True)
    return reply, (time.perf_counter() - started) * 1000


def _streamed(items: Iterator[Any], listener: AnswerListener) -> Reply:
    """Deltas to the listener as they come; the Reply the package yields last."""
    reply, told = None, False
    for item in items:
        if reply is not None:
            raise TypeError("the package yielded after its Reply")
        if isinstance(item, Delta):
            listener.delta(item.text)
            told = True
        elif isinstance(item, Reply):
            reply = item
        else:
            raise TypeError(f"the package yielded a {type(item).__name__}, not a Delta or a Reply")
    if reply is None:
        raise TypeError("the package's stream ended without a Reply")
    if not told:  # a reply with nothing streamed before it (the offline answerer, say)
        _tell_whole(reply, listener)
    return reply


def _tell_whole(reply: Reply, listener: AnswerListener) -> None:
    """A reply that was not streamed: in one piece, or word by word for the offline answerer."""
    if not reply.offline:
        listener.delta(reply.text)
        return
    for word in re.findall(r"\S+\s*", reply.text):
        listener.delta(word)
        time.sleep(OFFLINE_WORD_SECONDS)
