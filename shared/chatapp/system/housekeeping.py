"""Daily housekeeping: forget what no feature reads any more, so tables stay the size of their use.

- rate-limit windows that ended more than a day ago (every request adds one row per key a minute);
- console sessions that expired more than `SESSION_RETENTION` ago (recent ones stay, so a person
  can still see their last sign-ins);
- sign-in tokens (magic links, verifications) that expired more than a day ago;
- WebSocket connect tickets that expired, and connections past API Gateway's 2-hour limit (a
  socket that vanished without `$disconnect`).

Each is one set-based DELETE on a cut-off computed from `now`: running twice removes nothing more.

It also queues the re-indexing of knowledge files indexed under an older index layout or another
embedding model (at most `OUTDATED_FILES_PER_RUN` a day): retrieval cannot see them until then. A
queued file is pending, so a second run does not queue it again.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete

from chatapp.db.models.audit import RateLimitRecord
from chatapp.db.models.core import Session, VerificationToken
from chatapp.db.tenancy import system_session
from chatapp.knowledge import files as knowledge_files
from chatapp.realtime import connections

RATE_LIMIT_RETENTION = timedelta(days=1)
SESSION_RETENTION = timedelta(days=30)
TOKEN_RETENTION = timedelta(days=1)
OUTDATED_FILES_PER_RUN = 2000


@dataclass(frozen=True)
class HousekeepingReport:
    rate_limit_windows: int
    sessions: int
    sign_in_tokens: int
    outdated_files_requeued: int
    sockets_and_tickets: int

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def run(now: datetime | None = None) -> HousekeepingReport:
    now = now or datetime.now(UTC)
    sockets = connections.sweep(now)
    with system_session("daily housekeeping: forget expired rows") as db:
        windows = db.execute(
            delete(RateLimitRecord).where(RateLimitRecord.window_end < now - RATE_LIMIT_RETENTION)
        )
        sessions = db.execute(delete(Session).where(Session.expires < now - SESSION_RETENTION))
        tokens = db.execute(
            delete(VerificationToken).where(VerificationToken.expires < now - TOKEN_RETENTION)
        )
        return HousekeepingReport(
            rate_limit_windows=int(windows.rowcount or 0),  # type: ignore[attr-defined]
            sessions=int(sessions.rowcount or 0),  # type: ignore[attr-defined]
            sign_in_tokens=int(tokens.rowcount or 0),  # type: ignore[attr-defined]
            outdated_files_requeued=knowledge_files.requeue_outdated(db, OUTDATED_FILES_PER_RUN),
            sockets_and_tickets=sockets,
        )
