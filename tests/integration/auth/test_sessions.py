"""Console sessions: checked at every request (active user, IP allowlist), renewed while in use,
listed and revoked by their owner, ended by signing out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from chatapp.db.models.core import Session as ConsoleSession
from chatapp.db.models.core import User
from chatapp.identity import authentication
from chatapp.security import token_digest
from tests.integration.auth.conftest import AuthApi, Mailbox, audit_rows, commit
from tests.integration.tenant_data import CompanyData

WEEK = timedelta(hours=24 * 7)  # the default SESSION_TTL_HOURS


def _expiry(db: Session, token: str) -> datetime:
    db.expire_all()
    return db.scalar(
        select(ConsoleSession.expires).where(ConsoleSession.session_token == token_digest(token))
    )


def test_ip_allowlist_is_enforced_at_every_request(
    auth_api: AuthApi, company: CompanyData, owner_session: Session
) -> None:
    token = company.tokens["admin"]
    assert auth_api.get("/v1/companies/me", token=token).status == 200
    commit(
        owner_session,
        update(User)
        .where(User.id == company.admin_id)
        .values(ip_allowlist=["203.0.113.0/24", "2001:db8::1"]),
    )
    refused = auth_api.get("/v1/companies/me", token=token)
    assert refused.status == 403 and refused.body["error"]["code"] == "ip_not_allowed"
    assert auth_api.get("/v1/companies/me", token=token, ip="203.0.113.77").status == 200
    assert auth_api.get("/v1/auth/session", token=token, ip="2001:db8::1").status == 200
    # API keys are the company's, not the user's: the user's allowlist does not apply to them.
    assert auth_api.get("/v1/companies/me", token=company.tokens["api_key"]).status == 200


def test_sign_in_from_outside_the_allowlist_is_refused(
    auth_api: AuthApi, mailbox: Mailbox, company: CompanyData, owner_session: Session
) -> None:
    commit(
        owner_session,
        update(User).where(User.id == company.support_agent_id).values(ip_allowlist=["192.0.2.1"]),
    )
    email = owner_session.get(User, company.support_agent_id).email
    assert auth_api.post("/v1/auth/magic-link", {"email": email}).status == 202
    refused = auth_api.post("/v1/auth/verify", {"token": mailbox.link_token(email)})
    assert refused.status == 403 and refused.body["error"]["code"] == "ip_not_allowed"
    [failure] = audit_rows(owner_session, user_id=company.support_agent_id, action="auth.sign_in_failed")
    assert failure.error_message == "ip_not_allowed" and str(failure.ip_address) == auth_api.ip
    # The link was not used up by the refusal: from an allowed address it works.
    allowed = auth_api.post("/v1/auth/verify", {"token": mailbox.link_token(email)}, ip="192.0.2.1")
    assert allowed.status == 200, allowed.body


def test_a_deactivated_user_is_refused_on_the_next_request(
    auth_api: AuthApi, company: CompanyData, owner_session: Session
) -> None:
    token, _ = authentication.issue_session(company.other_support_agent_id)
    assert auth_api.get("/v1/auth/session", token=token).status == 200
    commit(
        owner_session, update(User).where(User.id == company.other_support_agent_id).values(is_active=False)
    )
    refused = auth_api.get("/v1/auth/session", token=token)
    assert refused.status == 401 and refused.body["error"]["code"] == "unauthenticated"
    commit(
        owner_session,
        update(User)
        .where(User.id == company.other_support_agent_id)
        .values(is_active=True, access_expires_at=datetime.now(UTC) - timedelta(minutes=1)),
    )
    assert auth_api.get("/v1/auth/session", token=token).status == 401


def test_sessions_past_half_their_life_are_renewed_once(
    auth_api: AuthApi, company: CompanyData, owner_session: Session
) -> None:
    fresh, _ = authentication.issue_session(company.support_agent_id)
    fresh_expiry = _expiry(owner_session, fresh)
    assert auth_api.get("/v1/auth/session", token=fresh).status == 200
    assert _expiry(owner_session, fresh) == fresh_expiry  # more than half left: no write

    ageing, _ = authentication.issue_session(company.support_agent_id, ttl=timedelta(hours=2))
    before = datetime.now(UTC)
    me = auth_api.get("/v1/auth/session", token=ageing)
    assert me.status == 200
    renewed = _expiry(owner_session, ageing)
    assert before + WEEK - timedelta(minutes=1) < renewed < datetime.now(UTC) + WEEK
    assert auth_api.get("/v1/auth/session", token=ageing).status == 200
    assert _expiry(owner_session, ageing) == renewed  # renewed once, not at every request


def test_list_revoke_and_sign_out(auth_api: AuthApi, company: CompanyData, owner_session: Session) -> None:
    current, _ = authentication.issue_session(company.admin_id)
    other, _ = authentication.issue_session(company.admin_id)
    listed = auth_api.get("/v1/auth/sessions", token=current)
    assert listed.status == 200, listed.body
    # The fixture's own unexpired session is there too; the expired one is not.
    assert len(listed.body) == 3 and [s["current"] for s in listed.body].count(True) == 1
    other_id = owner_session.scalar(
        select(ConsoleSession.id).where(ConsoleSession.session_token == token_digest(other))
    )
    assert auth_api.request("DELETE", f"/v1/auth/sessions/{other_id}", token=current).status == 204
    assert auth_api.get("/v1/auth/session", token=other).status == 401
    again = auth_api.request("DELETE", f"/v1/auth/sessions/{other_id}", token=current)
    assert again.status == 404 and again.body["error"]["code"] == "session_not_found"

    # Someone else's session cannot be revoked (it is not even visible).
    theirs, _ = authentication.issue_session(company.support_agent_id)
    theirs_id = owner_session.scalar(
        select(ConsoleSession.id).where(ConsoleSession.session_token == token_digest(theirs))
    )
    assert auth_api.request("DELETE", f"/v1/auth/sessions/{theirs_id}", token=current).status == 404
    assert auth_api.get("/v1/auth/session", token=theirs).status == 200

    assert auth_api.post("/v1/auth/logout", token=current).status == 204
    assert auth_api.get("/v1/auth/session", token=current).status == 401
    assert auth_api.post("/v1/auth/logout", token=current).status == 401
    actions = [row.action for row in audit_rows(owner_session, user_id=company.admin_id)]
    assert actions[-2:] == ["auth.session_revoked", "auth.sign_out"]


def test_api_keys_have_no_sign_in_session(auth_api: AuthApi, company: CompanyData) -> None:
    refused = auth_api.get("/v1/auth/session", token=company.tokens["api_key"])
    assert refused.status == 403 and refused.body["error"]["code"] == "api_key_not_allowed"
    assert auth_api.get("/v1/auth/session").status == 401
