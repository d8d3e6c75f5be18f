"""The console's ticket for the live inbox socket (docs/realtime.md): asked for with the console
session, bound to it, and good for one connection within 60 seconds."""

from __future__ import annotations

from chatapp.access.principals import Principal, PrincipalKind
from chatapp.config import get_settings
from chatapp.db.tenancy import tenant_session
from chatapp.errors import Forbidden, NotFound
from chatapp.realtime import tickets
from chatapp.realtime.schemas import RealtimeTicketOut


def console_ticket(principal: Principal) -> RealtimeTicketOut:
    if (
        principal.kind is not PrincipalKind.USER
        or principal.company_id is None
        or principal.session_id is None
    ):
        raise Forbidden(
            "The live inbox is for a company's team, signed in to the console.", code="not_company_staff"
        )
    settings = get_settings()
    url = settings.console_realtime_url or settings.realtime_url
    if not url:
        raise NotFound("Real time is not switched on here; the inbox polls.", code="realtime_unavailable")
    with tenant_session(principal.context()) as db:
        ticket, lifetime = tickets.issue_console(db, principal.company_id, principal.id, principal.session_id)
    return RealtimeTicketOut(ticket=ticket, url=url, expires_in=lifetime)
