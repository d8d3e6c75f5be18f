"""Accepting an invitation: the invited person names themselves and is signed in.

The invitation itself (who may invite whom, seats, mail) is the team's business
(`chatapp.companies.team`); turning it into an account and a session is a sign-in flow.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from chatapp.companies.team_schemas import InvitationAcceptIn
from chatapp.db.enums import InvitationStatus
from chatapp.db.models.core import User
from chatapp.db.models.team import Invitation
from chatapp.db.tenancy import system_session
from chatapp.errors import Conflict, Unauthenticated
from chatapp.identity import sign_in
from chatapp.identity.schemas import SessionIssuedOut
from chatapp.security import token_digest


def accept(data: InvitationAcceptIn, caller: sign_in.Caller) -> SessionIssuedOut:
    """Public: the invited person sets their name and is signed in as a member of the company."""
    invalid = Unauthenticated("This invitation link is not valid any more; ask for a new one.")
    invalid.code = "invitation_invalid"
    with system_session("accept an invitation (nobody is signed in yet)") as db:
        invitation = db.scalar(
            select(Invitation).where(Invitation.token == token_digest(data.token)).with_for_update()
        )
        if (
            invitation is None
            or invitation.status is not InvitationStatus.PENDING
            or invitation.expires_at <= datetime.now(UTC)
        ):
            raise invalid
        if db.scalar(select(User.id).where(func.lower(User.email) == invitation.email)) is not None:
            raise Conflict(
                "This e-mail address already has an account; a person belongs to one company.",
                code="email_in_other_company",
            )
        user = User(
            email=invitation.email,
            name=data.name.strip(),
            role=invitation.role,
            company_id=invitation.company_id,
            email_verified=datetime.now(UTC),  # the link proved the address
        )
        db.add(user)
        db.flush()
        invitation.status = InvitationStatus.ACCEPTED
        invitation.accepted_at = datetime.now(UTC)
        invitation.accepted_by = user.id
        return sign_in.start_session(db, user, caller, method="invitation", email_verified=True)
