"""The master admin's companies: list, create, suspend, reactivate, soft-delete and restore.

Every action writes a `company.*` audit entry with its reason on the company's own log, so the
company's admins see what happened to their account (a suspension's reason is also on the company,
`status_reason`). A deleted company disappears from its members' views at once and its data is
removed by the purge job (`company_purge`) `company_purge_after_days` later; until then it can be
restored. Deletion signs its users out and deactivates its API keys; restoring brings neither
back (new keys are made deliberately).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as DbSession

from chatapp.access.authorization import require_role
from chatapp.access.principals import Principal
from chatapp.audit import entries
from chatapp.config import get_settings
from chatapp.db import keyset
from chatapp.db.audit_trail import current_request
from chatapp.db.enums import InvitationStatus, UserRole
from chatapp.db.models.channels import ApiKey
from chatapp.db.models.core import Company, Session, User
from chatapp.db.models.team import Invitation
from chatapp.db.ownership import owned
from chatapp.db.tenancy import ContextRole, system_session, tenant_session
from chatapp.errors import Conflict, InvalidInput, NotFound
from chatapp.identity import magic_links, signup
from chatapp.identity.schemas import UserOut
from chatapp.platform.schemas import (
    AdminCompanyCreatedOut,
    AdminCompanyIn,
    AdminCompanyOut,
    AdminCompanyPageOut,
)

CREATED = "company.created"
SUSPENDED = "company.suspended"
REACTIVATED = "company.reactivated"
DELETED = "company.deleted"
RESTORED = "company.restored"
ACTIVE, SUSPENDED_STATUS, DELETED_STATUS = "active", "suspended", "deleted"


def _require_master(principal: Principal) -> None:
    require_role(principal, (ContextRole.MASTER_ADMIN,))


def _out(company: Company) -> AdminCompanyOut:
    purge_after = None
    if company.deleted_at is not None:
        purge_after = company.deleted_at + timedelta(days=get_settings().company_purge_after_days)
    return AdminCompanyOut.model_validate(company).model_copy(update={"purge_after": purge_after})


def _company(db: DbSession, company_id: uuid.UUID) -> Company:
    company = owned(db, Company, company_id, lock=True)
    if company is None:
        raise NotFound("No such company (a purged company is gone for good).", code="company_not_found")
    return company


def _record(
    db: DbSession,
    principal: Principal,
    action: str,
    company: Company,
    *,
    before: str | None,
    reason: str | None,
    **details: Any,
) -> None:
    request = current_request.get()
    entries.record(
        db,
        action=action,
        company_id=company.id,
        user_id=principal.user_id,
        resource_type="company",
        resource_id=company.id,
        before={"status": before},
        after={"status": company.status},
        details={"reason": reason, **details},
        ip=request.ip,
        user_agent=request.user_agent,
    )


# ---------------------------------------------------------------- reading


def list_companies(
    principal: Principal,
    *,
    status: str | None = None,
    search: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> AdminCompanyPageOut:
    """Newest first. Without a status filter, deleted companies (awaiting their purge) are left out."""
    _require_master(principal)
    filters = [Company.status == status] if status else [Company.status != DELETED_STATUS]
    if search:
        pattern = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        filters.append(
            or_(Company.name.ilike(pattern, escape="\\"), Company.slug.ilike(pattern, escape="\\"))
        )
    with tenant_session(principal.context()) as db:
        total = db.scalar(select(func.count(Company.id)).where(*filters)) or 0
        query = select(Company).where(*filters)
        if cursor:
            query = query.where(keyset.older_than(Company.created_at, Company.id, cursor))
        rows = db.scalars(query.order_by(Company.created_at.desc(), Company.id.desc()).limit(limit + 1)).all()
        page = rows[:limit]
        next_cursor = keyset.encode(page[-1].created_at, page[-1].id) if len(rows) > limit else None
        return AdminCompanyPageOut(items=[_out(c) for c in page], total=total, next_cursor=next_cursor)


def get_company(principal: Principal, company_id: uuid.UUID) -> AdminCompanyOut:
    _require_master(principal)
    with tenant_session(principal.context()) as db:
        company = owned(db, Company, company_id)
        if company is None:
            raise NotFound("No such company.", code="company_not_found")
        return _out(company)


# ---------------------------------------------------------------- creating


def _checked_slug(raw: str) -> str:
    slug = raw.strip().lower()
    problem = signup.slug_problem(slug)
    if problem == "invalid":
        raise InvalidInput(
            "A slug is 3 to 63 lower-case letters, digits and single hyphens (it becomes a web address).",
            code="invalid_slug",
        )
    if problem == "reserved":
        raise InvalidInput("This slug names a part of Buzzi itself; choose another.", code="slug_reserved")
    return slug


def _slug_taken() -> Conflict:
    return Conflict("Another company already uses this slug.", code="slug_taken")


def _email_taken() -> Conflict:
    return Conflict(
        "An account already uses this e-mail address; a person belongs to one company.", code="email_taken"
    )


def create_company(
    principal: Principal, body: AdminCompanyIn, *, now: datetime | None = None
) -> AdminCompanyCreatedOut:
    """The company, a trial on the default plan (as sign-up starts one) and, given an e-mail address,
    its first company admin, who gets a sign-in link (as sign-up sends one)."""
    _require_master(principal)
    slug = _checked_slug(body.slug)
    now = now or datetime.now(UTC)
    try:
        with tenant_session(principal.context()) as db:
            _require_unused(db, slug, body.admin_email)
            company = _new_company(db, body, slug, now)
            plan, trial_ends = signup.start_trial(db, company.id, notes="created by a master admin", now=now)
            admin = _first_admin(db, company, body)
            _record(
                db,
                principal,
                CREATED,
                company,
                before=None,
                reason=None,
                slug=slug,
                plan=plan.slug,
                trial_ends_at=trial_ends.isoformat(),
                first_admin=str(admin.id) if admin else None,
            )
            db.flush()
            db.refresh(company)
            result = AdminCompanyCreatedOut(
                company=_out(company),
                admin=UserOut.model_validate(admin) if admin else None,
                plan_slug=plan.slug,
                trial_ends_at=trial_ends,
            )
    except IntegrityError as error:  # a concurrent request took the slug or the address first
        raise (_email_taken() if "email" in str(error.orig) else _slug_taken()) from None
    if body.admin_email:
        _send_first_sign_in_link(body.admin_email, result.company.name)
    return result


def _require_unused(db: DbSession, slug: str, email: str | None) -> None:
    """Friendly errors for the common case; the unique indexes still decide a race (see the caller)."""
    if db.scalar(select(Company.id).where(Company.slug == slug)) is not None:
        raise _slug_taken()
    if email and db.scalar(select(User.id).where(func.lower(User.email) == email)) is not None:
        raise _email_taken()


def _new_company(db: DbSession, body: AdminCompanyIn, slug: str, now: datetime) -> Company:
    company = Company(
        name=body.name,
        slug=slug,
        status=ACTIVE,
        status_changed_at=now,
        require_identity_verification=True,  # new companies: only signed widget identities
    )
    if body.timezone:
        company.timezone = body.timezone
    if body.locale:
        company.locale = body.locale
    db.add(company)
    db.flush()
    return company


def _first_admin(db: DbSession, company: Company, body: AdminCompanyIn) -> User | None:
    if not body.admin_email:
        return None
    admin = User(
        email=body.admin_email,
        name=body.admin_name,
        company_id=company.id,
        role=UserRole.COMPANY_ADMIN,
        permissions={},
    )
    db.add(admin)
    return admin


def _send_first_sign_in_link(email: str, company_name: str) -> None:
    # Sign-in link tokens are the system's alone (no tenant holds them); the link's e-mail says
    # the company is ready. If it is lost, the person asks for a new link on the sign-in page.
    with system_session("sign-in link for a new company's first admin") as db:
        token = magic_links.add_link_token(db, email)
    magic_links.send_link(email, token, welcome_to=company_name)


# ---------------------------------------------------------------- status changes


def _refuse_deleted(company: Company) -> None:
    if company.deleted_at is not None:
        raise Conflict("The company is deleted; restore it first.", code="company_deleted")


def suspend(
    principal: Principal, company_id: uuid.UUID, reason: str, *, now: datetime | None = None
) -> AdminCompanyOut:
    """Suspending a suspended company again replaces the reason its admins see."""
    _require_master(principal)
    with tenant_session(principal.context()) as db:
        company = _company(db, company_id)
        _refuse_deleted(company)
        before = company.status
        company.status = SUSPENDED_STATUS
        company.status_reason = reason
        company.status_changed_at = now or datetime.now(UTC)
        _record(db, principal, SUSPENDED, company, before=before, reason=reason)
        db.flush()
        return _out(company)


def reactivate(
    principal: Principal, company_id: uuid.UUID, reason: str | None, *, now: datetime | None = None
) -> AdminCompanyOut:
    """A suspended (or pending) company becomes active; an active one is left as it is."""
    _require_master(principal)
    with tenant_session(principal.context()) as db:
        company = _company(db, company_id)
        _refuse_deleted(company)
        if company.status != ACTIVE:
            before = company.status
            company.status = ACTIVE
            company.status_reason = None
            company.status_changed_at = now or datetime.now(UTC)
            _record(db, principal, REACTIVATED, company, before=before, reason=reason)
            db.flush()
        return _out(company)


def delete_company(
    principal: Principal, company_id: uuid.UUID, reason: str | None, *, now: datetime | None = None
) -> AdminCompanyOut:
    """Soft delete: the company leaves its members' views, its users are signed out, its API keys and
    open invitations stop working. The data stays until the purge, so a restore is possible."""
    _require_master(principal)
    now = now or datetime.now(UTC)
    # The system context: console sessions are visible only to their own user, even to master admins.
    with system_session("soft-delete a company: revoke its users' sessions") as db:
        company = _company(db, company_id)
        if company.deleted_at is not None:
            raise Conflict("The company is already deleted.", code="company_already_deleted")
        before = company.status
        company.status = DELETED_STATUS
        company.deleted_at = now
        company.status_reason = reason
        company.status_changed_at = now
        users = select(User.id).where(User.company_id == company_id)
        sessions = db.execute(delete(Session).where(Session.user_id.in_(users))).rowcount
        keys = db.execute(
            update(ApiKey)
            .where(ApiKey.company_id == company_id, ApiKey.is_active.is_(True))
            .values(is_active=False)
        ).rowcount
        invitations = db.execute(
            update(Invitation)
            .where(Invitation.company_id == company_id, Invitation.status == InvitationStatus.PENDING)
            .values(status=InvitationStatus.REVOKED)
        ).rowcount
        db.flush()
        result = _out(company)
        _record(
            db,
            principal,
            DELETED,
            company,
            before=before,
            reason=reason,
            sessions_revoked=sessions,
            api_keys_deactivated=keys,
            invitations_revoked=invitations,
            purge_after=result.purge_after.isoformat() if result.purge_after else None,
        )
        return result


def restore(
    principal: Principal, company_id: uuid.UUID, reason: str | None, *, now: datetime | None = None
) -> AdminCompanyOut:
    """Undo a deletion before the purge. The row lock makes a restore and a running purge take turns:
    after a purge there is no company left to restore (404)."""
    _require_master(principal)
    with tenant_session(principal.context()) as db:
        company = _company(db, company_id)
        if company.deleted_at is None:
            raise Conflict("The company is not deleted.", code="company_not_deleted")
        before = company.status
        company.status = ACTIVE
        company.deleted_at = None
        company.status_reason = None
        company.status_changed_at = now or datetime.now(UTC)
        _record(db, principal, RESTORED, company, before=before, reason=reason)
        db.flush()
        return _out(company)
