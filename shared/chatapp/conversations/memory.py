"""Conversation memory: the recent messages verbatim, everything older as a rolling summary.

A turn sends the model the newest messages that fit the agent's history budget (tokens estimated
at four characters each: a budget, not a bill). Once older messages fall outside that window they
are folded into `conversations.summary` (by the language model when there is one, else by
keeping the customer's questions), and `context.summarizedUntil` marks how far the summary
reaches, so each message is summarised once.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from chatapp.agent_runtime.interface import HistoryMessage, LanguageModel, LanguageModelUnavailable
from chatapp.db.enums import MessageRole
from chatapp.db.models.conversations import Conversation, Message

DEFAULT_HISTORY_TOKENS = 3000
MAX_HISTORY_MESSAGES = 40
SUMMARY_MAX_CHARS = 2000
_SPOKEN = (MessageRole.USER, MessageRole.ASSISTANT, MessageRole.HUMAN_AGENT)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_ORDER = re.compile(
    r"(?:order|ticket|case|invoice)\s*(?:number|no\.?|#)?\s*[:#]?\s*([A-Z0-9-]{4,20})", re.IGNORECASE
)


def estimate_tokens(text: str) -> int:
    return len(text) // 4 + 1


def summarized_until(conversation: Conversation) -> datetime | None:
    value = (conversation.context or {}).get("summarizedUntil")
    return datetime.fromisoformat(value) if isinstance(value, str) else None


def unsummarized(db: Session, conversation: Conversation, before: datetime | None = None) -> list[Message]:
    """Spoken messages after the summary, oldest first (at most the newest MAX_HISTORY_MESSAGES * 2)."""
    query = select(Message).where(Message.conversation_id == conversation.id, Message.role.in_(_SPOKEN))
    since = summarized_until(conversation)
    if since is not None:
        query = query.where(Message.created_at > since)
    if before is not None:
        query = query.where(Message.created_at < before)
    newest = db.scalars(query.order_by(Message.created_at.desc()).limit(MAX_HISTORY_MESSAGES * 2)).all()
    return list(reversed(newest))


def window(messages: Sequence[Message], budget_tokens: int) -> list[Message]:
    """The newest messages whose estimated tokens fit the budget, oldest first."""
    chosen: list[Message] = []
    used = 0
    for message in reversed(messages):
        cost = estimate_tokens(message.content)
        if (chosen and used + cost > budget_tokens) or len(chosen) >= MAX_HISTORY_MESSAGES:
            break
        chosen.append(message)
        used += cost
    return list(reversed(chosen))


def as_history(messages: Sequence[Message]) -> tuple[HistoryMessage, ...]:
    return tuple(HistoryMessage(role=m.role.value, content=m.content) for m in messages)  # type: ignore[arg-type]


def fold_into_summary(
    conversation: Conversation, overflow: Sequence[Message], llm: LanguageModel | None, model: str | None
) -> None:
    """Summarise `overflow` (messages that left the window) into the conversation's summary."""
    if not overflow:
        return
    transcript = "\n".join(f"{m.role.value}: {m.content}" for m in overflow)
    prompt = f"Earlier summary: {conversation.summary or '(none)'}\n\nNew messages:\n{transcript}"
    summary = None
    if llm is not None and model:
        try:
            response = llm.create(
                model=model,
                max_tokens=400,
                system=(
                    "Summarise this customer-support conversation for the agent who continues it: "
                    "the customer's goal, facts they gave (names, order numbers, products), what was "
                    "answered and what is still open. At most 120 words, no preamble."
                ),
                messages=[{"role": "user", "content": prompt}],
            )
            summary = "".join(b.text for b in response.content if b.type == "text").strip() or None
        except LanguageModelUnavailable:
            summary = None
    if summary is None:  # offline, or the model is unavailable: keep what the customer asked
        asked = " | ".join(m.content[:200] for m in overflow if m.role is MessageRole.USER)
        summary = " ".join(
            filter(None, [conversation.summary, f"Customer asked: {asked}." if asked else None])
        )
    conversation.summary = summary[-SUMMARY_MAX_CHARS:]
    conversation.context = {
        **(conversation.context or {}),
        "summarizedUntil": overflow[-1].created_at.isoformat(),
    }


def learn_facts(context: dict[str, Any], text: str) -> dict[str, Any]:
    """Details a customer typed that later turns (and the human inbox) should not have to ask again."""
    facts = dict(context.get("facts") or {})
    emails = _EMAIL.findall(text)
    if emails:
        facts["email"] = emails[-1]
    orders = _ORDER.findall(text)
    if orders:
        facts["reference"] = orders[-1]
    return {**context, "facts": facts} if facts else context


def prompt_context(context: dict[str, Any]) -> dict[str, Any]:
    """The flat, prompt-friendly view of `conversations.context`."""
    customer = context.get("customer") or {}
    page = context.get("page") or {}
    flat = {
        "customer name": customer.get("name"),
        "customer email": customer.get("email"),
        "page": page.get("title") or page.get("url"),
        **{f"customer {k}": v for k, v in (context.get("facts") or {}).items()},
    }
    return {k: v for k, v in flat.items() if v}
