"""How human agents use the copilot's suggestions (docs/copilot.md): how many were sent as they
were, edited before sending, or ignored, over the company's local days of a range."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select

from chatapp.access.authorization import require_permission
from chatapp.access.principals import Principal
from chatapp.analytics.queries import checked_range, zone
from chatapp.analytics.schemas import CopilotReportOut
from chatapp.db.models.copilot import ReplySuggestion
from chatapp.db.models.core import Company
from chatapp.db.ownership import owned
from chatapp.db.tenancy import tenant_session
from chatapp.errors import InvalidInput


def acceptance(principal: Principal, start: date | None, end: date | None) -> CopilotReportOut:
    require_permission(principal, "analytics", "read")
    if principal.company_id is None:
        raise InvalidInput("Analytics belong to a company; act within one.", code="company_required")
    with tenant_session(principal.context()) as db:
        company = owned(db, Company, principal.company_id)
        tz = zone(company.timezone if company else None)
        start, end = checked_range(start, end, datetime.now(UTC).astimezone(tz).date())
        since = datetime.combine(start, time(), tz)
        until = datetime.combine(end + timedelta(days=1), time(), tz)
        counts = dict(
            db.execute(
                select(ReplySuggestion.status, func.count())
                .where(
                    ReplySuggestion.company_id == principal.company_id,
                    ReplySuggestion.created_at >= since,
                    ReplySuggestion.created_at < until,
                )
                .group_by(ReplySuggestion.status)
            ).all()
        )
    sent, edited, ignored = counts.get("sent", 0), counts.get("edited", 0), counts.get("ignored", 0)
    settled = sent + edited + ignored
    return CopilotReportOut(
        from_=start,
        to=end,
        suggested=sum(counts.values()),
        sent_as_is=sent,
        edited=edited,
        ignored=ignored,
        open=counts.get("suggested", 0),
        acceptance_rate=round((sent + edited) / settled, 4) if settled else None,
    )
