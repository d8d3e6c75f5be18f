"""The copilot (docs/copilot.md): a suggested reply for the person who has a conversation, drafted
from the same retrieval the AI answers with, and rewrites of the person's own draft.

A suggestion never reaches the customer by itself: it is stored apart from the conversation's
messages, with an id. The reply that uses it names that id, so each suggestion ends as sent (as it
was), edited (changed before sending) or ignored (a reply went without it); analytics reports the
acceptance rate from these (`suggestion_outcomes`). Offline (no language model), the suggestion
is the best passages, labelled as such, and rewriting is refused with a clear error.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from chatapp.access.principals import Principal
from chatapp.agent_runtime.interface import LanguageModelUnavailable
from chatapp.agent_runtime.llm import ClaudeModel
from chatapp.agents.management import get_agent
from chatapp.config import get_settings
from chatapp.conversations.lookup import conversation_by_id
from chatapp.db.enums import MessageRole
from chatapp.db.models.conversations import Conversation, Message
from chatapp.db.models.copilot import ReplySuggestion
from chatapp.db.tenancy import tenant_session
from chatapp.errors import Conflict
from chatapp.inbox.copilot_schemas import RewriteIn, RewriteOut, Style, SuggestionOut
from chatapp.inbox.staff import require_owner_or_admin, require_staff
from chatapp.knowledge.categories import agent_category_ids
from chatapp.knowledge.retrieval import RagSettings, search
from chatapp.knowledge.schemas import RetrievedChunkOut

HISTORY = 12  # messages of the conversation the model reads
PASSAGE_CHARS = 1200
OFFLINE_PASSAGES = 3
OFFLINE_LABEL = (
    "Offline suggestion (no language model is configured): the passages that best match the "
    "customer's last message. Edit before sending."
)

DRAFTER = (
    "You draft the next reply that a company's human support agent will send to a customer. The "
    "agent reads and edits your draft before sending it. Write only the message: in the "
    "customer's language, friendly and plain, as the agent (never as an AI). Use only facts from the "
    "numbered passages and the conversation, and cite passages as [1], [2]. If they do not answer "
    "the customer, write a short reply that asks for what is missing or says the agent will find out."
)
REWRITES: dict[Style, str] = {
    "rephrase": "Rephrase this reply to a customer so that it reads better. Keep its meaning and language.",
    "shorten": "Shorten this reply to a customer to the essentials. Keep its meaning and language.",
    "formal": "Rewrite this reply to a customer in a more formal, polite register. Keep its meaning and "
    "language.",
}


@dataclass(frozen=True)
class _Context:
    conversation_id: uuid.UUID
    company_id: uuid.UUID
    question_id: uuid.UUID
    question: str
    history: list[tuple[str, str]]  # (role, text), oldest first
    passages: list[RetrievedChunkOut]
    model: str


def _customer_turn(messages: list[Message]) -> list[Message]:
    """The customer's messages since the last reply (newest last); the last one when all are answered."""
    turn: list[Message] = []
    for message in reversed(messages):
        if message.role is MessageRole.USER:
            turn.insert(0, message)
        elif turn:
            break
    if not turn:
        last = next((m for m in reversed(messages) if m.role is MessageRole.USER), None)
        turn = [last] if last else []
    return turn


def _context(db: Session, principal: Principal, conversation_id: uuid.UUID) -> _Context:
    conversation: Conversation = conversation_by_id(db, conversation_id)
    require_owner_or_admin(principal, conversation)
    recent = list(
        db.scalars(
            select(Message)
            .where(
                Message.conversation_id == conversation.id,
                Message.role.in_((MessageRole.USER, MessageRole.ASSISTANT, MessageRole.HUMAN_AGENT)),
            )
            .order_by(Message.created_at.desc(), Message.id.desc())
            .limit(HISTORY)
        )
    )[::-1]
    turn = _customer_turn(recent)
    if not turn:
        raise Conflict("The customer has not written anything to answer yet.", code="nothing_to_answer")
    question = "\n".join(message.content for message in turn)
    agent = get_agent(db, conversation.agent_id)
    rag = RagSettings.from_rag_config(agent.rag_config)
    passages = search(
        db,
        conversation.company_id,
        agent_category_ids(db, agent.id),
        question[:2000],
        limit=rag.max_results,
        relevance_threshold=rag.relevance_threshold,
    )
    return _Context(
        conversation.id,
        conversation.company_id,
        turn[-1].id,
        question,
        [(message.role.value, message.content) for message in recent],
        passages,
        str((agent.llm_config or {}).get("model") or get_settings().llm_default_model),
    )


def _drafted(context: _Context) -> str | None:
    """The model's draft, or None offline or when the model cannot be reached."""
    if not get_settings().uses_language_model:
        return None
    numbered = "\n\n".join(
        f"[{n}] ({p.filename}) {p.text[:PASSAGE_CHARS]}" for n, p in enumerate(context.passages, start=1)
    )
    said = "\n".join(f"{role}: {text}" for role, text in context.history)
    prompt = (
        f"Passages:\n{numbered or '(none found)'}\n\nConversation so far:\n{said}\n\nDraft the next reply."
    )
    try:
        text = ClaudeModel().complete(model=context.model, system=DRAFTER, prompt=prompt, max_tokens=600)
    except LanguageModelUnavailable:
        return None
    return text or None


def _offline(passages: list[RetrievedChunkOut]) -> str:
    if not passages:
        return f"{OFFLINE_LABEL}\n\nNo passage of the knowledge base matches it."
    quoted = "\n\n".join(
        f"> {p.text[:PASSAGE_CHARS].strip()} [{n}]"
        for n, p in enumerate(passages[:OFFLINE_PASSAGES], start=1)
    )
    return f"{OFFLINE_LABEL}\n\n{quoted}"


def _citations(passages: list[RetrievedChunkOut]) -> list[dict[str, Any]]:
    return [
        {
            "number": n,
            "chunk_id": str(p.chunk_id),
            "file_id": str(p.file_id),
            "filename": p.filename,
            "section_title": p.section_title,
            "url": p.url,
            "text": p.text[:PASSAGE_CHARS],
        }
        for n, p in enumerate(passages, start=1)
    ]


def suggest(principal: Principal, conversation_id: uuid.UUID) -> SuggestionOut:
    """A suggested reply to the customer's latest messages, stored (never sent) and returned."""
    me = require_staff(principal)
    started = time.perf_counter()
    with tenant_session(principal.context()) as db:
        context = _context(db, principal, conversation_id)
    # The model writes outside any transaction: no row stays locked while it thinks.
    drafted = _drafted(context)
    passages = context.passages if drafted else context.passages[:OFFLINE_PASSAGES]
    with tenant_session(principal.context()) as db:
        row = ReplySuggestion(
            company_id=context.company_id,
            conversation_id=context.conversation_id,
            requested_by=me,
            for_message_id=context.question_id,
            content=drafted or _offline(passages),
            citations=_citations(passages),
            model=context.model if drafted else None,
            offline=drafted is None,
            latency_ms=round((time.perf_counter() - started) * 1000),
        )
        db.add(row)
        db.flush()
        db.refresh(row)
        return SuggestionOut.model_validate(row)


def rewrite(principal: Principal, conversation_id: uuid.UUID, data: RewriteIn) -> RewriteOut:
    """The person's own draft, rephrased, shortened or made more formal by the model."""
    require_staff(principal)
    with tenant_session(principal.context()) as db:
        conversation = conversation_by_id(db, conversation_id)
        require_owner_or_admin(principal, conversation)
        agent = get_agent(db, conversation.agent_id)
        model = str((agent.llm_config or {}).get("model") or get_settings().llm_default_model)
    unavailable = Conflict(
        "Rewriting needs a language model, and none is configured or reachable.",
        code="language_model_unavailable",
    )
    if not get_settings().uses_language_model:
        raise unavailable
    try:
        text = ClaudeModel().complete(
            model=model,
            system=REWRITES[data.style] + " Reply with the rewritten message only.",
            prompt=data.text,
            max_tokens=800,
        )
    except LanguageModelUnavailable as error:
        raise unavailable from error
    if not text:
        raise unavailable
    return RewriteOut(text=text, model=model)
