"""The team: members and their roles, invitations (seats counted against the plan), profiles.

A user belongs to one company, so an invitation for an address that already has an account
elsewhere cannot be accepted; the inviter is not told (that would tell anyone who uses Buzzi where),
the address's owner is, by mail. Invitation mail is capped per company and per address each hour.

Company admins manage the team but cannot touch their own role, rights or
access (no self-escalation, no locking yourself out), and nobody here can make a master admin.
A support agent granted team:write manages support agents only (admins are invited, changed and
restricted by admins) and grants no right they do not hold themselves.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from chatapp.access import rate_limits
from chatapp.access.authorization import require_may_grant, require_permission
from chatapp.access.principals import Principal
from chatapp.billing.quotas import effective_limits, require_room, seats_in_use
from chatapp.companies.team_schemas import (
    InvitationIn,
    InvitationOut,
    MemberOut,
    MemberPatch,
    ProfilePatch,
)
from chatapp.config import get_settings
from chatapp.db.enums import InvitationStatus, UserRole
from chatapp.db.models.core import Company, User
from chatapp.db.models.team import Invitation
from chatapp.db.ownership import owned
from chatapp.db.tenancy import ContextRole, system_session, tenant_session
from chatapp.errors import Conflict, Forbidden, NotFound
from chatapp.integrations import email
from chatapp.security import TokenKind, new_token, token_digest

INVITATION_TTL = timedelta(days=7)


def _company(principal: Principal) -> uuid.UUID:
    if principal.company_id is None or principal.user_id is None:
        raise Forbidden("Teams belong to a company; act within one.", code="company_required")
    return principal.company_id


def _member(db: Session, user_id: uuid.UUID, company_id: uuid.UUID) -> User:
    user = owned(db, User, user_id)
    if user is None or user.company_id != company_id or user.deleted_at is not None:
        raise NotFound("No such team member.", code="user_not_found")
    return user


def list_members(principal: Principal) -> list[MemberOut]:
    company_id = _company(principal)
    require_permission(principal, "team", "read")
    with tenant_session(principal.context()) as db:
        users = db.scalars(
            select(User)
            .where(User.company_id == company_id, User.deleted_at.is_(None))
            .order_by(User.created_at)
        ).all()
        return [MemberOut.model_validate({**_columns(u), "permissions": u.permissions or {}}) for u in users]


def update_member(principal: Principal, user_id: uuid.UUID, patch: MemberPatch) -> MemberOut:
    company_id = _company(principal)
    require_permission(principal, "team", "write")
    if user_id == principal.user_id:
        raise Forbidden("Ask another admin to change your own role, rights or access.", code="self_change")
    changes = patch.model_dump(exclude_unset=True)
    if "permissions" in changes:  # agent ids as strings, as the JSON column stores them
        changes["permissions"] = patch.model_dump(mode="json", include={"permissions"})["permissions"]
    with tenant_session(principal.context()) as db:
        user = _member(db, user_id, company_id)
        if principal.role is not ContextRole.COMPANY_ADMIN:
            _require_support_agent_may_change(principal, user, changes)
        if "role" in changes:
            changes["role"] = UserRole(changes["role"])
        for field, value in changes.items():
            setattr(user, field, value)
        db.flush()
        return MemberOut.model_validate({**_columns(user), "permissions": user.permissions or {}})


def _require_support_agent_may_change(principal: Principal, user: User, changes: dict[str, Any]) -> None:
    """A support agent trusted with team:write runs the team, but never above their own rights."""
    if user.role is UserRole.COMPANY_ADMIN:
        raise Forbidden("Only company admins change, deactivate or restrict an admin.", code="admin_only")
    if "role" in changes:
        raise Forbidden("Only company admins change roles.", code="role_not_allowed")
    if changes.get("permissions"):
        require_may_grant(principal, user.permissions or {}, changes["permissions"])


def update_profile(principal: Principal, patch: ProfilePatch) -> MemberOut:
    _company(principal)
    with tenant_session(principal.context()) as db:
        user = db.get(User, principal.user_id)
        if user is None:
            raise NotFound("No such user.", code="user_not_found")
        for field, value in patch.model_dump(exclude_unset=True).items():
            setattr(user, field, value)
        db.flush()
        return MemberOut.model_validate({**_columns(user), "permissions": user.permissions or {}})


def _columns(user: User) -> dict[str, object]:
    return {name: getattr(user, name) for name in MemberOut.model_fields}


# ---------------------------------------------------------------- invitations


def invite(principal: Principal, data: InvitationIn) -> InvitationOut:
    """Invite an address. Whether it already has an account with another company is not the
    inviter's business: the answer is the same, and only the address's owner is told, by mail."""
    company_id = _company(principal)
    require_permission(principal, "team", "write")
    if data.role == UserRole.COMPANY_ADMIN.value and principal.role is not ContextRole.COMPANY_ADMIN:
        raise Forbidden("Only company admins invite admins.", code="admin_only")
    address = str(data.email).lower()
    holder = _account_company(address)
    if holder == company_id:
        raise Conflict("This person is already in your team.", code="already_member")
    token = new_token(TokenKind.VERIFICATION)
    with tenant_session(principal.context()) as db:
        _require_seat(db, company_id)
        _count_mail(db, company_id, address)
        db.execute(  # one open invitation per address: the newest
            update(Invitation)
            .where(Invitation.email == address, Invitation.status == InvitationStatus.PENDING)
            .values(status=InvitationStatus.REVOKED)
        )
        invitation = Invitation(
            company_id=company_id,
            invited_by=principal.user_id,
            email=address,
            role=UserRole(data.role),
            token=token_digest(token),
            expires_at=datetime.now(UTC) + INVITATION_TTL,
        )
        db.add(invitation)
        db.flush()
        db.refresh(invitation)
        company_name = db.scalar(select(Company.name).where(Company.id == company_id))
        result = InvitationOut.model_validate(invitation)
    _send(address, token, company_name or "your team", has_account_elsewhere=holder is not None)
    return result


def _account_company(address: str) -> uuid.UUID | None:
    """The company of the account holding `address`, if any (the nil UUID for a master admin)."""
    with system_session("an invitation's address may belong to any company") as db:
        holder = db.execute(select(User.id, User.company_id).where(func.lower(User.email) == address)).first()
    if holder is None:
        return None
    return holder.company_id or uuid.UUID(int=0)


def _count_mail(db: Session, company_id: uuid.UUID, address: str) -> None:
    """One invitation mail against the company's and the address's hourly caps (429 beyond)."""
    settings = get_settings()
    rate_limits.enforce(
        rate_limits.Limit(
            f"invite:company:{company_id}",
            settings.invitation_mails_per_company_hour,
            "Your team has sent as many invitations as it may this hour. Try again later.",
        ),
        rate_limits.Limit(
            f"invite:address:{token_digest(address)[:32]}",
            settings.invitation_mails_per_address_hour,
            "This address has been sent as many invitations as it may this hour. Try again later.",
        ),
        window_seconds=3600,
        db=db,
    )


def _require_seat(db: Session, company_id: uuid.UUID) -> None:
    limits = effective_limits(db, company_id)
    require_room(
        db,
        limits,
        "supportSeats",
        used=seats_in_use(db, company_id),
        code="seat_limit_reached",
        what=f"Your plan has {limits.number('supportSeats')} seats and all are taken or invited. "
        "Deactivate a member or revoke an invitation.",
    )


def _send(address: str, token: str, company_name: str, *, has_account_elsewhere: bool) -> None:
    if has_account_elsewhere:
        text = (
            f"{company_name} invited this address to join its team on Buzzi, but the address already "
            "has a Buzzi account with another company, and a person belongs to one company on Buzzi.\n\n"
            f"To join {company_name}, ask them to invite another address of yours. If you did not "
            "expect this invitation, you can ignore this e-mail."
        )
    else:
        link = f"{get_settings().console_url}/invitations/accept?token={token}"
        text = (
            f"You have been invited to join {company_name} on Buzzi.\n\nAccept: {link}\n\n"
            f"The invitation expires in {INVITATION_TTL.days} days."
        )
    email.send(email.Email(to=address, subject=f"You're invited to {company_name} on Buzzi", text=text))


def list_invitations(principal: Principal) -> list[InvitationOut]:
    _company(principal)
    require_permission(principal, "team", "read")
    with tenant_session(principal.context()) as db:
        rows = db.scalars(select(Invitation).order_by(Invitation.created_at.desc()).limit(200)).all()
        return [InvitationOut.model_validate(row) for row in rows]


def _open_invitation(db: Session, invitation_id: uuid.UUID) -> Invitation:
    invitation = owned(db, Invitation, invitation_id)
    if invitation is None:
        raise NotFound("No such invitation.", code="invitation_not_found")
    if invitation.status is not InvitationStatus.PENDING:
        raise Conflict(f"This invitation is {invitation.status.value}.", code="invitation_closed")
    return invitation


def resend(principal: Principal, invitation_id: uuid.UUID) -> InvitationOut:
    company_id = _company(principal)
    require_permission(principal, "team", "write")
    token = new_token(TokenKind.VERIFICATION)
    with tenant_session(principal.context()) as db:
        invitation = _open_invitation(db, invitation_id)
        _count_mail(db, company_id, invitation.email)
        invitation.token = token_digest(token)  # the old link stops working
        invitation.expires_at = datetime.now(UTC) + INVITATION_TTL
        db.flush()
        result = InvitationOut.model_validate(invitation)
        company_name = db.scalar(select(Company.name).where(Company.id == company_id))
    holder = _account_company(result.email)
    _send(
        result.email,
        token,
        company_name or "your team",
        has_account_elsewhere=holder not in (None, company_id),
    )
    return result


def revoke(principal: Principal, invitation_id: uuid.UUID) -> InvitationOut:
    _company(principal)
    require_permission(principal, "team", "write")
    with tenant_session(principal.context()) as db:
        invitation = _open_invitation(db, invitation_id)
        invitation.status = InvitationStatus.REVOKED
        db.flush()
        return InvitationOut.model_validate(invitation)
