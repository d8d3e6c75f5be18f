"""Daily housekeeping forgets only what has been expired long enough, and a second run forgets nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from chatapp.db.models.audit import RateLimitRecord
from chatapp.db.models.core import Session as ConsoleSession
from chatapp.db.models.core import VerificationToken
from chatapp.system import housekeeping
from tests.integration.tenant_data import Tenants

# Years before today: every other test's rows (all near now) are on the kept side of every cut-off.
NOW = datetime(2021, 6, 1, 12, 0, tzinfo=UTC)


def test_expired_rows_are_forgotten_and_recent_ones_kept(owner_engine: Engine, tenants: Tenants) -> None:
    tag = uuid.uuid4().hex[:8]
    with Session(owner_engine) as db, db.begin():
        for name, ended in (("old", NOW - timedelta(days=2)), ("recent", NOW - timedelta(hours=1))):
            db.add(
                RateLimitRecord(
                    key=f"test:{tag}:{name}",
                    window_start=ended - timedelta(minutes=1),
                    window_end=ended,
                    request_count=1,
                    limit_value=10,
                )
            )
        for name, expired in (("old", NOW - timedelta(days=31)), ("recent", NOW - timedelta(days=29))):
            db.add(ConsoleSession(session_token=f"{tag}-{name}", user_id=tenants.a.admin_id, expires=expired))
            db.add(VerificationToken(identifier=f"{tag}-{name}", token=f"{tag}-{name}", expires=expired))

    first = housekeeping.run(NOW)
    assert {k: v for k, v in first.as_dict().items() if k != "outdated_files_requeued"} == {
        "rate_limit_windows": 1,
        "sessions": 1,
        "sign_in_tokens": 2,
    }
    with Session(owner_engine) as db:
        keys = set(db.scalars(select(RateLimitRecord.key).where(RateLimitRecord.key.like(f"test:{tag}:%"))))
        sessions = set(
            db.scalars(
                select(ConsoleSession.session_token).where(ConsoleSession.session_token.like(f"{tag}-%"))
            )
        )
        tokens = set(
            db.scalars(select(VerificationToken.token).where(VerificationToken.token.like(f"{tag}-%")))
        )
    assert keys == {f"test:{tag}:recent"}
    assert sessions == {f"{tag}-recent"}, "sessions expired under 30 days ago stay listed"
    assert tokens == set(), "sign-in tokens go a day after expiry"
    assert housekeeping.run(NOW).as_dict() == {
        "rate_limit_windows": 0,
        "sessions": 0,
        "sign_in_tokens": 0,
        "outdated_files_requeued": 0,
    }
