"""The scheduled function, invoked as EventBridge does with the template's schedules' Input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from chatapp.analytics.rollup import run_job
from chatapp.db.enums import ConversationStatus, MessageRole
from chatapp.db.models.analytics import DailyAnalytics
from chatapp.db.models.conversations import Conversation
from chatapp.db.models.core import Company
from chatapp.errors import InvalidInput
from devtools.aws_local import fire_schedule
from devtools.template import functions
from tests.integration.analytics.conftest import WEB, Builder
from tests.integration.tenant_data import create_company, create_platform_rows

KIRITIMATI = ZoneInfo("Pacific/Kiritimati")  # UTC+14: its "today" is often tomorrow in UTC


def _schedules() -> dict[str, dict[str, str]]:
    (spec,) = [s for s in functions() if s.logical_id == "AnalyticsRollupFunction"]
    return {schedule["Input"]: schedule for schedule in spec.schedules}


def test_the_template_schedules_today_hourly_and_yesterday_daily() -> None:
    schedules = _schedules()
    assert schedules['{"job": "today"}']["Schedule"] == "rate(1 hour)"
    assert schedules['{"job": "yesterday"}']["Schedule"].startswith("cron(15 0 ")


def test_an_hourly_invocation_rolls_up_local_today_and_sweeps(owner_engine: Engine) -> None:
    now = datetime.now(UTC)
    local_today = now.astimezone(KIRITIMATI).date()
    with Session(owner_engine) as db, db.begin():
        company = create_company(db, "Scheduled", create_platform_rows(db))
        db.get(Company, company.company_id).timezone = KIRITIMATI.key  # type: ignore[union-attr]
        build = Builder(db, company.company_id, KIRITIMATI)
        started = max(now - timedelta(minutes=1), build.at(local_today, 0, 0))
        chatting = build.conversation(
            company.agent_id,
            WEB,
            started,
            [(MessageRole.USER, started, {}), (MessageRole.ASSISTANT, started + timedelta(seconds=2), {})],
        )
        silent = build.conversation(
            company.agent_id, WEB, now - timedelta(days=3), [(MessageRole.USER, now - timedelta(days=3), {})]
        )
    spec = next(s for s in functions() if s.logical_id == "AnalyticsRollupFunction")
    result = fire_schedule(spec, _schedules()['{"job": "today"}'])
    assert result["job"] == "today" and result["abandoned"] >= 1 and result["companies"] >= 1

    with Session(owner_engine) as db:
        assert db.get(Conversation, silent).status is ConversationStatus.ABANDONED  # type: ignore[union-attr]
        assert db.get(Conversation, chatting).status is ConversationStatus.ACTIVE  # type: ignore[union-attr]
        rows = db.scalars(
            select(DailyAnalytics).where(
                DailyAnalytics.company_id == company.company_id, DailyAnalytics.date == local_today
            )
        ).all()
    web = [r for r in rows if r.channel is WEB]
    assert len(web) == 1
    # The fixture's three conversations started today too (each with one customer message).
    assert (web[0].new_conversations, web[0].ai_messages, web[0].first_response_count) == (4, 1, 1)
    assert web[0].avg_first_response_time == 2

    again = fire_schedule(spec, _schedules()['{"job": "today"}'])
    assert again["job"] == "today"
    with Session(owner_engine) as db:
        rerun = db.scalars(
            select(DailyAnalytics).where(
                DailyAnalytics.company_id == company.company_id, DailyAnalytics.date == local_today
            )
        ).all()
    assert {(r.id, r.updated_at) for r in rerun} == {(r.id, r.updated_at) for r in rows}


def test_unknown_jobs_are_refused() -> None:
    with pytest.raises(InvalidInput) as refused:
        run_job("last-week")
    assert refused.value.code == "unknown_job"
