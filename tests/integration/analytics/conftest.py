"""A known day of conversations for the analytics tests, written directly with the owner connection.

DAY is 2026-06-10. Company A is in Asia/Tokyo (UTC+9), so its day runs from 2026-06-09 15:00 UTC
to 2026-06-10 15:00 UTC: a message at 00:30 local is on the previous UTC date and still counts,
and one at 00:10 local the next day (15:10 UTC on DAY) does not. Company B is in UTC. A has two
agents, B one; both use the web and whatsapp channels. The expected rows are in test_rollup.py.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from chatapp.db.enums import ChannelType, ConversationStatus, EscalationStatus, MessageRole
from chatapp.db.models.agents import Agent
from chatapp.db.models.analytics import DailyAnalytics
from chatapp.db.models.conversations import Conversation, Escalation, Message
from chatapp.db.models.core import Company
from chatapp.security import TokenKind, new_token
from tests.integration.tenant_data import CompanyData, create_company, create_platform_rows

DAY = date(2026, 6, 10)
TOKYO = ZoneInfo("Asia/Tokyo")
WEB, WHATSAPP = ChannelType.WEB, ChannelType.WHATSAPP


def reply(model: str | None, tokens: tuple[int, int], **extra: Any) -> dict[str, Any]:
    """An AI reply's metadata as `chat_turns._store_reply` writes it."""
    return {
        "model": model,
        "tokens": {"input": tokens[0], "output": tokens[1]},
        "confidence": extra.get("confidence"),
        "ragRelevance": extra.get("relevance"),
        "searches": [{"query": "q", "results": 3, "ms": 1.0}] * extra.get("searches", 0),
        "citations": [],
    }


@dataclass
class Builder:
    db: Session
    company_id: uuid.UUID
    zone: ZoneInfo

    def at(self, day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
        return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=self.zone).astimezone(UTC)

    def conversation(
        self,
        agent_id: uuid.UUID,
        channel: ChannelType,
        started: datetime,
        messages: list[tuple[MessageRole, datetime, dict[str, Any]]],
        *,
        status: ConversationStatus = ConversationStatus.ACTIVE,
        resolved_at: datetime | None = None,
        escalated_at: datetime | None = None,
        deleted: bool = False,
    ) -> uuid.UUID:
        conversation = Conversation(
            company_id=self.company_id,
            agent_id=agent_id,
            channel=channel,
            session_token=new_token(TokenKind.SESSION),
            status=status,
            started_at=started,
            created_at=started,
            last_message_at=max(
                [started, *(at for role, at, _ in messages if role is not MessageRole.SYSTEM)]
            ),
            resolved_at=resolved_at,
            deleted_at=started if deleted else None,
        )
        self.db.add(conversation)
        self.db.flush()
        for role, at, extra in messages:
            self.db.add(
                Message(
                    conversation_id=conversation.id,
                    role=role,
                    content="...",
                    created_at=at,
                    sentiment=extra.get("sentiment"),
                    metadata_=extra.get("metadata", {}),
                )
            )
        if escalated_at is not None:
            self.db.add(
                Escalation(
                    conversation_id=conversation.id,
                    company_id=self.company_id,
                    agent_id=agent_id,
                    reason="asked",
                    trigger_type="explicit_request",
                    status=EscalationStatus.ASSIGNED,
                    created_at=escalated_at,
                )
            )
        return conversation.id


@dataclass
class Scenario:
    a: CompanyData
    b: CompanyData
    a_agents: tuple[uuid.UUID, uuid.UUID]
    b_agent: uuid.UUID
    conversations: dict[str, uuid.UUID] = field(default_factory=dict)


def _second_agent(db: Session, company_id: uuid.UUID) -> uuid.UUID:
    agent = Agent(company_id=company_id, name="=Second bot")  # a name a spreadsheet would evaluate
    db.add(agent)
    db.flush()
    return agent.id


U, AI, HUMAN, SYSTEM = MessageRole.USER, MessageRole.ASSISTANT, MessageRole.HUMAN_AGENT, MessageRole.SYSTEM


def _company_a(
    db: Session, a: CompanyData, agents: tuple[uuid.UUID, uuid.UUID], found: dict[str, uuid.UUID]
) -> None:
    build = Builder(db, a.company_id, TOKYO)
    one, two = agents
    prev, nxt = DAY - timedelta(days=1), DAY + timedelta(days=1)
    # Agent 1, web. c1: new, two AI turns (4 s, 10 s), resolved by the AI after 600 s.
    found["c1"] = build.conversation(
        one,
        WEB,
        build.at(DAY, 0, 30),
        [
            (U, build.at(DAY, 0, 30), {"sentiment": Decimal("0.50")}),
            (SYSTEM, build.at(DAY, 0, 30, 1), {}),
            (
                AI,
                build.at(DAY, 0, 30, 4),
                {
                    "metadata": reply(
                        "claude-sonnet-5", (1000, 200), confidence=0.8, relevance=0.7, searches=2
                    )
                },
            ),
            (U, build.at(DAY, 0, 31), {"sentiment": Decimal("-0.50")}),
            (
                AI,
                build.at(DAY, 0, 31, 10),
                {"metadata": reply("claude-haiku-4-5", (500, 100), confidence=0.6)},
            ),
        ],
        status=ConversationStatus.RESOLVED,
        resolved_at=build.at(DAY, 0, 40),
    )
    # c2: started the day before; on DAY a customer message, an escalation, a person's reply 120 s later.
    found["c2"] = build.conversation(
        one,
        WEB,
        build.at(prev, 23, 0),
        [
            (U, build.at(prev, 23, 0), {"sentiment": Decimal("0.90")}),
            (AI, build.at(prev, 23, 0, 5), {"metadata": reply("claude-sonnet-5", (10, 10))}),
            (U, build.at(DAY, 9, 0), {"sentiment": Decimal("0.00")}),
            (HUMAN, build.at(DAY, 9, 2), {}),
        ],
        status=ConversationStatus.WITH_HUMAN,
        escalated_at=build.at(DAY, 9, 1),
    )
    # c3: new, one unanswered customer message.
    found["c3"] = build.conversation(
        one, WEB, build.at(DAY, 10, 0), [(U, build.at(DAY, 10, 0), {"sentiment": Decimal("0.40")})]
    )
    # c4: silent since 08:00:03 the day before, so abandoned on DAY (24 h later); lasted 3 s.
    found["c4"] = build.conversation(
        one,
        WEB,
        build.at(prev, 8, 0),
        [(U, build.at(prev, 8, 0), {}), (AI, build.at(prev, 8, 0, 3), {"metadata": reply(None, (0, 0))})],
        status=ConversationStatus.ABANDONED,
    )
    # Agent 1, whatsapp. c5: 23:30 local on DAY (14:30 UTC); its 00:10 message is the next local day
    # although it is still DAY in UTC. An unknown model is priced as sonnet.
    found["c5"] = build.conversation(
        one,
        WHATSAPP,
        build.at(DAY, 23, 30),
        [
            (U, build.at(DAY, 23, 30), {}),
            (AI, build.at(DAY, 23, 30, 2), {"metadata": reply("mystery-model", (100, 60), confidence=0.9)}),
            (U, build.at(nxt, 0, 10), {"sentiment": Decimal("-1.00")}),
        ],
    )
    # Agent 2, web. c6: handover reply after 6 s, escalated, a person answers and resolves it.
    found["c6"] = build.conversation(
        two,
        WEB,
        build.at(DAY, 12, 0),
        [
            (U, build.at(DAY, 12, 0), {"sentiment": Decimal("0.25")}),
            (AI, build.at(DAY, 12, 0, 6), {"metadata": {"kind": "handover"}}),
            (HUMAN, build.at(DAY, 12, 30), {}),
        ],
        status=ConversationStatus.RESOLVED,
        resolved_at=build.at(DAY, 12, 45),
        escalated_at=build.at(DAY, 12, 0, 5),
    )
    # Agent 2, whatsapp: a deleted conversation counts nowhere.
    found["deleted"] = build.conversation(
        two, WHATSAPP, build.at(DAY, 13, 0), [(U, build.at(DAY, 13, 0), {})], deleted=True
    )


def _company_b(db: Session, b: CompanyData, agent: uuid.UUID, found: dict[str, uuid.UUID]) -> None:
    build = Builder(db, b.company_id, ZoneInfo("UTC"))
    prev, nxt = DAY - timedelta(days=1), DAY + timedelta(days=1)
    # c8: new at 23:59; the reply comes after midnight, so its response time belongs to the next day.
    found["c8"] = build.conversation(
        agent,
        WEB,
        build.at(DAY, 23, 59),
        [
            (U, build.at(DAY, 23, 59), {}),
            (AI, build.at(nxt, 0, 0, 30), {"metadata": reply("claude-sonnet-5", (5, 5))}),
        ],
    )
    # c9: the customer wrote at 23:59:30 the day before; the reply at 00:00:10 is DAY's (40 s).
    found["c9"] = build.conversation(
        agent,
        WEB,
        build.at(prev, 23, 59, 30),
        [
            (U, build.at(prev, 23, 59, 30), {}),
            (
                AI,
                build.at(DAY, 0, 0, 10),
                {"metadata": reply("claude-sonnet-5", (400, 40), confidence=0.5, relevance=0.9, searches=1)},
            ),
        ],
    )
    # c10 (whatsapp): resolved after 300 s, but an escalation was opened: not resolved by the AI alone.
    found["c10"] = build.conversation(
        agent,
        WHATSAPP,
        build.at(DAY, 10, 0),
        [
            (U, build.at(DAY, 10, 0), {}),
            (
                AI,
                build.at(DAY, 10, 0, 3),
                {"metadata": reply("claude-opus-4-1", (2000, 300), confidence=0.75)},
            ),
        ],
        status=ConversationStatus.RESOLVED,
        resolved_at=build.at(DAY, 10, 5),
        escalated_at=build.at(DAY, 10, 1),
    )
    # Rows a previous run left: one for a dimension with no activity any more (must go), one for
    # another day (must stay).
    db.add(
        DailyAnalytics(
            company_id=b.company_id,
            agent_id=agent,
            channel=ChannelType.TELEGRAM,
            date=DAY,
            total_conversations=7,
        )
    )
    db.add(
        DailyAnalytics(company_id=b.company_id, agent_id=agent, channel=WEB, date=prev, total_conversations=5)
    )


@pytest.fixture(scope="session")
def scenario(owner_engine: Engine) -> Scenario:
    with Session(owner_engine) as db, db.begin():
        plan_id = create_platform_rows(db)
        a = create_company(db, "AnalyticsA", plan_id)
        b = create_company(db, "AnalyticsB", plan_id)
        db.get(Company, a.company_id).timezone = "Asia/Tokyo"  # type: ignore[union-attr]
        agents = (a.agent_id, _second_agent(db, a.company_id))
        found: dict[str, uuid.UUID] = {}
        _company_a(db, a, agents, found)
        _company_b(db, b, b.agent_id, found)
    return Scenario(a=a, b=b, a_agents=agents, b_agent=b.agent_id, conversations=found)
