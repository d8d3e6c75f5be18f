"""The demo history `./run dev` seeds: two weeks of conversations, rolled up, written only once."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from chatapp.analytics.rollup import rollup_date
from chatapp.db.enums import AgentStatus
from chatapp.db.models.agents import Agent
from chatapp.db.models.analytics import DailyAnalytics
from chatapp.db.models.conversations import Conversation
from chatapp.db.models.core import Company
from devtools.seed_history import seed_history

NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)


def test_two_weeks_of_history_are_seeded_once_and_roll_up(owner_engine: Engine) -> None:
    with Session(owner_engine) as db, db.begin():
        company = Company(name="History Co", slug=f"history-{uuid.uuid4().hex[:8]}")
        db.add(company)
        db.flush()
        agent = Agent(company_id=company.id, name="History agent", status=AgentStatus.ACTIVE)
        db.add(agent)
        db.flush()
        company_id, agent_id = company.id, agent.id
        days = seed_history(db, company_id, agent_id, now=NOW)
    assert len(days) == 14 and days[-1].isoformat() == "2026-03-19"
    for day in days:
        rollup_date(day, company_id)
    with Session(owner_engine) as db:
        conversations = db.scalar(
            select(func.count(Conversation.id)).where(Conversation.company_id == company_id)
        )
        rows = db.scalars(select(DailyAnalytics).where(DailyAnalytics.company_id == company_id)).all()
        assert {row.date for row in rows} == set(days)
        assert sum(row.new_conversations or 0 for row in rows) == conversations
        assert sum(row.escalated_conversations or 0 for row in rows) > 0
        assert all((row.total_tokens_used or 0) > 0 for row in rows)
    with Session(owner_engine) as db, db.begin():
        assert seed_history(db, company_id, agent_id, now=NOW) == [], "a company with history gets no more"
