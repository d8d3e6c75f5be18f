"""Conversation, agent and usage counters stay exact when turns run at the same time."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from chatapp.db.models.agents import Agent
from chatapp.db.models.billing import UsageRecord
from chatapp.db.models.conversations import Conversation, Message
from tests.integration.chat.conftest import ChatShop, Visitor

TURNS = 3


def test_parallel_turns_count_exactly(shop: ChatShop, owner_session: Session) -> None:
    agent_id = shop.tenant.data.agent_id
    before = owner_session.scalar(select(Agent.total_messages).where(Agent.id == agent_id)) or 0
    visitors = [shop.visit() for _ in range(4)]
    shared = visitors[0]

    def chat(visitor: Visitor, label: str) -> list[int]:
        return [visitor.send(f"{label} question {n}").status for n in range(TURNS)]

    # Each visitor in parallel, and the first conversation from two threads at once.
    jobs = [(visitor, f"v{index}") for index, visitor in enumerate(visitors)] + [(shared, "again")]
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        statuses = [status for result in pool.map(lambda job: chat(*job), jobs) for status in result]
    assert statuses == [200] * len(jobs) * TURNS

    owner_session.expire_all()
    for visitor in visitors:
        conversation = owner_session.get(Conversation, uuid.UUID(visitor.conversation_id))
        assert conversation is not None
        stored = owner_session.scalar(
            select(func.count(Message.id)).where(
                Message.conversation_id == conversation.id, Message.role != "system"
            )
        )
        expected_turns = TURNS * (2 if visitor is shared else 1)
        assert conversation.message_count == expected_turns * 2  # the question and its answer
        assert conversation.ai_message_count == expected_turns
        assert stored == expected_turns * 2 + 1  # plus the welcome message
    total_turns = len(jobs) * TURNS
    after = owner_session.scalar(select(Agent.total_messages).where(Agent.id == agent_id))
    assert after == before + total_turns * 2
    metered = owner_session.scalar(
        select(func.sum(UsageRecord.ai_response_count)).where(UsageRecord.agent_id == agent_id)
    )
    assert metered == total_turns
