"""The rollup of a known day: every metric of every row, exactly; re-running changes nothing; a row whose
activity is gone is removed; other days are left alone."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from chatapp.analytics.queries import COUNTS, WEIGHTS
from chatapp.analytics.rollup import rollup_date
from chatapp.billing.usage import estimate_cost
from chatapp.db.enums import ChannelType
from chatapp.db.models.analytics import DailyAnalytics
from tests.integration.analytics.conftest import DAY, WEB, WHATSAPP, Scenario

ZERO_HOURS = [0] * 24
AVERAGES = (
    "avg_response_time",
    "avg_first_response_time",
    "avg_conversation_duration",
    "avg_messages_per_conversation",
    "avg_confidence_score",
    "avg_sentiment_score",
    "avg_rag_relevance",
)


def _hours(**counts: int) -> list[int]:
    hours = list(ZERO_HOURS)
    for hour, count in counts.items():
        hours[int(hour.removeprefix("h"))] = count
    return hours


def _row(**values: Any) -> dict[str, Any]:
    """An expected row: zero counts and totals, no averages, unless given."""
    defaults: dict[str, Any] = {name: 0 if not name.endswith("_total") else Decimal("0") for name in WEIGHTS}
    defaults |= dict.fromkeys(COUNTS, 0)
    defaults |= dict.fromkeys(AVERAGES, None)
    defaults["estimated_cost"] = Decimal("0")
    defaults["hourly_user_messages"] = ZERO_HOURS
    unknown = set(values) - set(defaults)
    assert not unknown, unknown
    return {name: Decimal(str(v)) if isinstance(v, float) else v for name, v in (defaults | values).items()}


def expected_rows(s: Scenario) -> dict[tuple[Any, ...], dict[str, Any]]:
    one, two = s.a_agents
    return {
        (s.a.company_id, one, WEB): _row(
            total_conversations=4,  # c1 c2 c3 c4
            new_conversations=2,  # c1 c3
            resolved_conversations=1,
            ai_resolved_conversations=1,  # c1
            escalated_conversations=1,  # c2
            abandoned_conversations=1,  # c4
            total_messages=7,
            user_messages=4,
            ai_messages=2,
            human_agent_messages=1,
            response_time_total=134.0,  # 4 + 10 (c1) + 120 (c2)
            response_count=3,
            avg_response_time=44.67,
            first_response_time_total=4.0,
            first_response_count=1,
            avg_first_response_time=4.0,
            conversation_duration_total=603.0,  # 600 (c1 resolved) + 3 (c4 abandoned)
            avg_conversation_duration=301.5,
            avg_messages_per_conversation=1.75,
            confidence_total=1.4,
            confidence_count=2,
            avg_confidence_score=0.7,
            sentiment_total=0.4,  # 0.5 - 0.5 + 0.0 + 0.4
            sentiment_count=4,
            avg_sentiment_score=0.1,
            total_tokens_used=1800,
            rag_queries_count=2,
            rag_relevance_total=0.7,
            rag_relevance_count=1,
            avg_rag_relevance=0.7,
            estimated_cost=Decimal("0.0070"),  # sonnet 1000/200 + haiku 500/100
            hourly_user_messages=_hours(h0=2, h9=1, h10=1),
        ),
        (s.a.company_id, one, WHATSAPP): _row(
            total_conversations=1,
            new_conversations=1,
            total_messages=2,  # the 00:10 message is the next local day
            user_messages=1,
            ai_messages=1,
            response_time_total=2.0,
            response_count=1,
            avg_response_time=2.0,
            first_response_time_total=2.0,
            first_response_count=1,
            avg_first_response_time=2.0,
            avg_messages_per_conversation=2.0,
            confidence_total=0.9,
            confidence_count=1,
            avg_confidence_score=0.9,
            total_tokens_used=160,
            estimated_cost=Decimal("0.0012"),  # unknown model: sonnet prices
            hourly_user_messages=_hours(h23=1),
        ),
        (s.a.company_id, two, WEB): _row(
            total_conversations=1,
            new_conversations=1,
            resolved_conversations=1,
            escalated_conversations=1,
            total_messages=3,
            user_messages=1,
            ai_messages=1,
            human_agent_messages=1,
            response_time_total=6.0,
            response_count=1,
            avg_response_time=6.0,
            first_response_time_total=6.0,
            first_response_count=1,
            avg_first_response_time=6.0,
            conversation_duration_total=2700.0,
            avg_conversation_duration=2700.0,
            avg_messages_per_conversation=3.0,
            sentiment_total=0.25,
            sentiment_count=1,
            avg_sentiment_score=0.25,
            hourly_user_messages=_hours(h12=1),
        ),
        (s.b.company_id, s.b_agent, WEB): _row(
            total_conversations=2,  # c8 c9
            new_conversations=1,
            total_messages=2,
            user_messages=1,
            ai_messages=1,
            response_time_total=40.0,  # c9; c8's reply is the next day's
            response_count=1,
            avg_response_time=40.0,
            first_response_time_total=40.0,
            first_response_count=1,
            avg_first_response_time=40.0,
            avg_messages_per_conversation=1.0,
            confidence_total=0.5,
            confidence_count=1,
            avg_confidence_score=0.5,
            total_tokens_used=440,
            rag_queries_count=1,
            rag_relevance_total=0.9,
            rag_relevance_count=1,
            avg_rag_relevance=0.9,
            estimated_cost=Decimal("0.0018"),
            hourly_user_messages=_hours(h23=1),
        ),
        (s.b.company_id, s.b_agent, WHATSAPP): _row(
            total_conversations=1,
            new_conversations=1,
            resolved_conversations=1,
            escalated_conversations=1,
            total_messages=2,
            user_messages=1,
            ai_messages=1,
            response_time_total=3.0,
            response_count=1,
            avg_response_time=3.0,
            first_response_time_total=3.0,
            first_response_count=1,
            avg_first_response_time=3.0,
            conversation_duration_total=300.0,
            avg_conversation_duration=300.0,
            avg_messages_per_conversation=2.0,
            confidence_total=0.75,
            confidence_count=1,
            avg_confidence_score=0.75,
            total_tokens_used=2300,
            estimated_cost=Decimal("0.0175"),  # opus
            hourly_user_messages=_hours(h10=1),
        ),
    }


def rows_of(owner_engine: Engine, s: Scenario, *, day: Any = DAY) -> dict[tuple[Any, ...], dict[str, Any]]:
    with Session(owner_engine) as db:
        found = db.scalars(
            select(DailyAnalytics).where(
                DailyAnalytics.company_id.in_([s.a.company_id, s.b.company_id]), DailyAnalytics.date == day
            )
        ).all()
        return {
            (r.company_id, r.agent_id, r.channel): {
                c.name: getattr(r, c.key) for c in DailyAnalytics.__table__.c
            }
            for r in found
        }


@pytest.fixture(scope="module")
def rolled_up(scenario: Scenario) -> Scenario:
    result = rollup_date(DAY)
    assert result.companies >= 2
    return scenario


def test_every_metric_of_every_row_is_exact(rolled_up: Scenario, owner_engine: Engine) -> None:
    actual = rows_of(owner_engine, rolled_up)
    expected = expected_rows(rolled_up)
    assert set(actual) == set(expected)  # no row for the deleted conversation, the stale row is gone
    for key, row in expected.items():
        got = {name: actual[key][name] for name in row}
        assert got == row, key


def test_costs_match_the_usage_meters_price_table(rolled_up: Scenario, owner_engine: Engine) -> None:
    actual = rows_of(owner_engine, rolled_up)
    one = rolled_up.a_agents[0]
    python = estimate_cost("claude-sonnet-5", 1000, 200) + estimate_cost("claude-haiku-4-5", 500, 100)
    assert actual[(rolled_up.a.company_id, one, WEB)]["estimated_cost"] == python.quantize(Decimal("0.0001"))
    assert actual[(rolled_up.a.company_id, one, WHATSAPP)]["estimated_cost"] == estimate_cost(
        "mystery-model", 100, 60
    ).quantize(Decimal("0.0001"))


def test_rerunning_the_day_changes_nothing(rolled_up: Scenario, owner_engine: Engine) -> None:
    before = rows_of(owner_engine, rolled_up)
    again = rollup_date(DAY, rolled_up.b.company_id)
    assert (again.companies, again.rows_written, again.rows_removed) == (1, 0, 0)
    rollup_date(DAY)
    after = rows_of(owner_engine, rolled_up)
    assert after == before  # ids, created_at and even updated_at: unchanged rows are not rewritten


def test_other_days_are_left_alone_and_empty_days_have_no_rows(
    rolled_up: Scenario, owner_engine: Engine
) -> None:
    from datetime import timedelta

    previous = rows_of(owner_engine, rolled_up, day=DAY - timedelta(days=1))
    assert [row["total_conversations"] for row in previous.values()] == [5]  # B's earlier row, untouched
    result = rollup_date(DAY - timedelta(days=30), rolled_up.a.company_id)
    assert (result.companies, result.rows_written, result.rows_removed) == (1, 0, 0)


def test_a_change_is_picked_up_and_a_vanished_dimension_removed(
    scenario: Scenario, owner_engine: Engine
) -> None:
    """Re-running after the data changed updates the row in place (same id) and drops rows with no
    activity left; a later run restores the original state."""
    from chatapp.db.models.conversations import Conversation

    rollup_date(DAY, scenario.b.company_id)
    key = (scenario.b.company_id, scenario.b_agent, ChannelType.WHATSAPP)
    before = rows_of(owner_engine, scenario)[key]
    c10 = scenario.conversations["c10"]
    with Session(owner_engine) as db, db.begin():
        db.get(Conversation, c10).deleted_at = before["created_at"]  # type: ignore[union-attr]
    try:
        result = rollup_date(DAY, scenario.b.company_id)
        assert (result.rows_written, result.rows_removed) == (0, 1)
        assert key not in rows_of(owner_engine, scenario)
    finally:
        with Session(owner_engine) as db, db.begin():
            db.get(Conversation, c10).deleted_at = None  # type: ignore[union-attr]
    result = rollup_date(DAY, scenario.b.company_id)
    assert (result.rows_written, result.rows_removed) == (1, 0)
    restored = rows_of(owner_engine, scenario)[key]
    assert {k: v for k, v in restored.items() if k not in ("id", "created_at", "updated_at")} == {
        k: v for k, v in before.items() if k not in ("id", "created_at", "updated_at")
    }
