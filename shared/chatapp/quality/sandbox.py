"""One question through the real engine, in a sandbox conversation (docs/test-runs.md).

The conversation is flagged `is_sandbox`: the engine answers it exactly as a customer's, but it is
counted nowhere a customer's is. No webhook, inbox or queue entry, live event, escalation,
auto-assignment, usage meter, agent or customer counter, analytics rollup, or public API listing.
A sandbox that would have been handed over only says so.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from chatapp.conversations import turns
from chatapp.conversations.opening import open_conversation
from chatapp.db.enums import ChannelType
from chatapp.db.models.conversations import Conversation
from chatapp.db.tenancy import TenantContext, tenant_session
from chatapp.security import TokenKind, new_token, token_digest


@dataclass(frozen=True)
class SandboxAnswer:
    conversation_id: uuid.UUID
    answer: str
    citations: list[dict[str, Any]] = field(default_factory=list)
    confidence: float | None = None
    would_hand_over: bool = False
    input_tokens: int = 0
    output_tokens: int = 0
    latency_ms: int = 0


def ask(company_id: uuid.UUID, agent_id: uuid.UUID, question: str) -> SandboxAnswer:
    """The agent's answer to `question`, as a new customer would get it on the web widget."""
    started = time.perf_counter()
    with tenant_session(TenantContext.company_service(company_id)) as db:
        conversation = Conversation(
            company_id=company_id,
            agent_id=agent_id,
            session_token=token_digest(new_token(TokenKind.WIDGET)),  # nobody holds it: no way in
            channel=ChannelType.WEB,
            customer_name="Test run",
            is_sandbox=True,
        )
        open_conversation(db, conversation, None)
        stored = turns.store_customer_message(db, conversation, question)
    outcome = turns.answer(stored)
    replies = outcome.messages[1:]
    reply = replies[-1] if replies else None
    metadata = (reply.metadata_ or {}) if reply is not None else {}
    tokens = metadata.get("tokens") or {}
    return SandboxAnswer(
        conversation_id=outcome.conversation_id,
        answer=reply.content if reply is not None else "",
        citations=list(metadata.get("citations") or []),
        confidence=metadata.get("confidence"),
        would_hand_over=outcome.escalated,
        input_tokens=int(tokens.get("input") or 0),
        output_tokens=int(tokens.get("output") or 0),
        latency_ms=round((time.perf_counter() - started) * 1000),
    )
