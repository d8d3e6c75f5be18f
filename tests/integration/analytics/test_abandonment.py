"""The abandonment sweep marks only AI-handled conversations that went silent, and only once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from chatapp.analytics.rollup import sweep_abandoned
from chatapp.config import get_settings
from chatapp.db.enums import ConversationStatus
from chatapp.db.models.conversations import Conversation
from tests.integration.analytics.conftest import WEB, Builder
from tests.integration.tenant_data import create_company, create_platform_rows

# Far from the present, so the sweep cannot reach other tests' conversations.
NOW = datetime(2019, 3, 1, 12, 0, tzinfo=UTC)


def test_only_stale_ai_conversations_are_abandoned(
    owner_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    hours = get_settings().abandon_after_hours
    assert hours == 24  # the default
    stale, fresh = (
        NOW - timedelta(hours=hours, seconds=1),
        NOW - timedelta(hours=hours) + timedelta(seconds=1),
    )
    with Session(owner_engine) as db, db.begin():
        company = create_company(db, "Abandon", create_platform_rows(db))
        build = Builder(db, company.company_id, ZoneInfo("UTC"))
        cases = {
            "stale active": (ConversationStatus.ACTIVE, stale, False),
            "recent active": (ConversationStatus.ACTIVE, fresh, False),
            "stale waiting for a person": (ConversationStatus.WAITING_HUMAN, stale, False),
            "stale with a person": (ConversationStatus.WITH_HUMAN, stale, False),
            "stale resolved": (ConversationStatus.RESOLVED, stale, False),
            "stale but deleted": (ConversationStatus.ACTIVE, stale, True),
        }
        ids = {
            name: build.conversation(company.agent_id, WEB, last, [], status=status, deleted=deleted)
            for name, (status, last, deleted) in cases.items()
        }

    assert sweep_abandoned(NOW) == 1
    with Session(owner_engine) as db:
        statuses = {name: db.get(Conversation, cid).status for name, cid in ids.items()}  # type: ignore[union-attr]
    assert statuses == {name: status for name, (status, _, _) in cases.items()} | {
        "stale active": ConversationStatus.ABANDONED
    }
    assert sweep_abandoned(NOW) == 0  # idempotent

    # The threshold is a setting.
    monkeypatch.setenv("ABANDON_AFTER_HOURS", "1")
    get_settings.cache_clear()
    try:
        assert sweep_abandoned(NOW) == 1  # the recent one is now an hour past
    finally:
        monkeypatch.delenv("ABANDON_AFTER_HOURS")
        get_settings.cache_clear()
    with Session(owner_engine) as db:
        assert db.get(Conversation, ids["recent active"]).status is ConversationStatus.ABANDONED  # type: ignore[union-attr]
