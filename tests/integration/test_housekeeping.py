"""Daily housekeeping forgets only what has been expired long enough, and a second run forgets nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from chatapp.db.models.audit import RateLimitRecord
from chatapp.db.models.core import Session as ConsoleSession
from chatapp.db.models.core import VerificationToken
from chatapp.db.models.realtime import RealtimeConnection, RealtimeTicket
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
        conversation = next(iter(tenants.a.conversations.values()))
        for name, ends in (("gone", NOW - timedelta(seconds=1)), ("open", NOW + timedelta(minutes=5))):
            db.add(  # a socket that vanished without $disconnect, past API Gateway's 2 hours, and a live one
                RealtimeConnection(
                    connection_id=f"{tag}-{name}",
                    company_id=tenants.a.company_id,
                    kind="widget",
                    conversation_id=conversation,
                    expires_at=ends,
                )
            )
            db.add(
                RealtimeTicket(
                    company_id=tenants.a.company_id,
                    conversation_id=conversation,
                    agent_id=tenants.a.agent_id,
                    token_hash=f"{tag}-{name}".ljust(64, "0"),
                    expires_at=ends,
                )
            )

    first = housekeeping.run(NOW)
    assert {k: v for k, v in first.as_dict().items() if k != "outdated_files_requeued"} == {
        "rate_limit_windows": 1,
        "sessions": 1,
        "sign_in_tokens": 2,
        "sockets_and_tickets": 2,
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
    with Session(owner_engine) as db:
        sockets = set(
            db.scalars(
                select(RealtimeConnection.connection_id).where(
                    RealtimeConnection.connection_id.like(f"{tag}-%")
                )
            )
        )
        tickets = set(
            db.scalars(select(RealtimeTicket.token_hash).where(RealtimeTicket.token_hash.like(f"{tag}-%")))
        )
    assert sockets == {f"{tag}-open"} and tickets == {f"{tag}-open".ljust(64, "0")}
    assert housekeeping.run(NOW).as_dict() == {
        "rate_limit_windows": 0,
        "sessions": 0,
        "sign_in_tokens": 0,
        "outdated_files_requeued": 0,
        "sockets_and_tickets": 0,
    }
