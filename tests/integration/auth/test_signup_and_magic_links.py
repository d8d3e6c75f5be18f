"""Sign-up and magic links: SES really sends the link (moto), the link works once and briefly,
asking for a link never tells who has an account, and attempts are limited and audited."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from chatapp.db.enums import SubscriptionStatus
from chatapp.db.models.billing import CompanySubscription, SubscriptionPlan
from chatapp.db.models.core import Company, User, VerificationToken
from chatapp.security import token_digest
from tests.integration.auth.conftest import (
    AuthApi,
    Mailbox,
    audit_rows,
    audit_rows_for_email,
    commit,
    random_ip,
    unique_email,
)
from tests.integration.tenant_data import CompanyData


def _signup(api: AuthApi, email: str, slug: str | None = None, name: str = "Acme Support") -> object:
    body = {"company_name": name, "name": "Ada Owner", "email": email}
    if slug:
        body["company_slug"] = slug
    return api.post("/v1/auth/signup", body)


def test_sign_up_then_sign_in_with_the_emailed_link(
    auth_api: AuthApi, mailbox: Mailbox, owner_session: Session, public_plan: object
) -> None:
    email = unique_email("Owner").upper().replace("EXAMPLE.COM", "example.com")
    slug = f"acme-{random_ip().replace('.', '-')}"
    assert auth_api.get(f"/v1/auth/slug-available?slug={slug}").body == {
        "slug": slug,
        "available": True,
        "reason": None,
    }

    created = _signup(auth_api, email, slug)
    assert created.status == 201, created.body
    email = email.lower()
    assert created.body["company"]["slug"] == slug and created.body["user"]["email"] == email
    assert created.body["user"]["role"] == "company_admin" and created.body["user"]["email_verified"] is None

    company_id = created.body["company"]["id"]
    # A new company accepts only signed widget identities (tests/security/test_widget_identity_spoofing).
    assert owner_session.get(Company, uuid.UUID(company_id)).require_identity_verification is True
    subscription = owner_session.scalar(
        select(CompanySubscription).where(CompanySubscription.company_id == company_id)
    )
    plan = owner_session.get(SubscriptionPlan, subscription.plan_id)
    assert subscription.status is SubscriptionStatus.TRIAL and plan.is_public and plan.is_active
    trial_days = (plan.limits or {}).get("trialDays", 14)
    assert subscription.trial_ends_at == subscription.expires_at
    assert abs(subscription.trial_ends_at - datetime.now(UTC) - timedelta(days=trial_days)) < timedelta(
        minutes=5
    )

    # The link arrived through SES, and only its digest is stored.
    token = mailbox.link_token(email)
    assert mailbox.messages(email)[-1]["source"] == "no-reply@buzzi.local"
    stored = owner_session.scalar(select(VerificationToken).where(VerificationToken.identifier == email))
    assert stored.token == token_digest(token) and token not in stored.token

    signed_in = auth_api.post("/v1/auth/verify", {"token": token})
    assert signed_in.status == 200, signed_in.body
    assert signed_in.headers.get("cache-control") == "no-store"
    session_token = signed_in.body["session_token"]
    assert signed_in.body["user"]["email_verified"] is not None
    assert signed_in.body["user"]["last_login_at"] is not None

    me = auth_api.get("/v1/auth/session", token=session_token)
    assert me.status == 200, me.body
    assert me.body["user"]["email"] == email and me.body["role"] == "company_admin"
    assert me.body["company"]["id"] == company_id and me.body["permissions"] == {}
    mine = auth_api.get("/v1/companies/me", token=session_token)
    assert mine.status == 200 and mine.body["slug"] == slug

    # The address and the slug are now taken.
    again = _signup(auth_api, email)
    assert again.status == 409 and again.body["error"]["code"] == "email_taken"
    same_slug = _signup(auth_api, unique_email(), slug)
    assert same_slug.status == 409 and same_slug.body["error"]["code"] == "slug_taken"
    assert auth_api.get(f"/v1/auth/slug-available?slug={slug}").body["reason"] == "taken"

    actions = [row.action for row in audit_rows(owner_session, company_id=company_id)]
    assert actions[:2] == ["auth.sign_up", "auth.sign_in"]
    failed = audit_rows_for_email(owner_session, email)
    assert [(row.action, row.error_message) for row in failed if not row.success] == [
        ("auth.sign_up_failed", "email_taken")
    ]
    sign_in = audit_rows(owner_session, company_id=company_id, action="auth.sign_in")[0]
    assert str(sign_in.ip_address) == auth_api.ip and sign_in.user_agent == "pytest-auth/1.0"
    assert sign_in.details == {"method": "magic_link"}


def test_sign_up_derives_a_free_slug_and_checks_the_form(
    auth_api: AuthApi, mailbox: Mailbox, public_plan: object
) -> None:
    first = _signup(auth_api, unique_email(), name="Zebra Stripes Ltd")
    second = _signup(auth_api, unique_email(), name="Zebra Stripes Ltd")
    assert first.status == 201 and second.status == 201, (first.body, second.body)
    assert first.body["company"]["slug"].startswith("zebra-stripes-ltd")
    assert second.body["company"]["slug"] != first.body["company"]["slug"]
    assert auth_api.get("/v1/auth/slug-available?slug=www").body["reason"] == "reserved"
    assert auth_api.get("/v1/auth/slug-available?slug=Not%20Valid").body["reason"] == "invalid"
    reserved = _signup(auth_api, unique_email(), "admin")
    assert reserved.status == 409 and reserved.body["error"]["code"] == "slug_taken"
    bad = _signup(auth_api, unique_email(), "-bad-")
    assert bad.status == 422

    email = unique_email()
    assert _signup(auth_api, email, name="<b>Bold</b> & Co").status == 201
    body = mailbox.messages(email)[-1]["body"]
    assert "&lt;b&gt;Bold&lt;/b&gt; &amp; Co" in body and "<b>" not in body


def test_a_link_works_once_and_not_after_it_expires(
    auth_api: AuthApi, mailbox: Mailbox, company: CompanyData, owner_session: Session
) -> None:
    email = owner_session.get(User, company.support_agent_id).email
    requested = auth_api.post("/v1/auth/magic-link", {"email": email})
    assert requested.status == 202, requested.body
    token = mailbox.link_token(email)
    first = auth_api.post("/v1/auth/verify", {"token": token})
    assert first.status == 200, first.body
    reused = auth_api.post("/v1/auth/verify", {"token": token})
    assert reused.status == 401 and reused.body["error"]["code"] == "link_invalid"
    assert "expired or was already used" in reused.body["error"]["message"]

    assert auth_api.post("/v1/auth/magic-link", {"email": email}).status == 202
    expiring = mailbox.link_token(email)
    assert expiring != token
    commit(
        owner_session,
        update(VerificationToken)
        .where(VerificationToken.token == token_digest(expiring))
        .values(expires=datetime.now(UTC) - timedelta(seconds=1)),
    )
    expired = auth_api.post("/v1/auth/verify", {"token": expiring})
    assert expired.status == 401 and expired.body["error"]["code"] == "link_invalid"
    garbage = auth_api.post("/v1/auth/verify", {"token": "bzs_not-a-link"})
    assert garbage.status == 401 and garbage.body["error"]["code"] == "link_invalid"

    rows = audit_rows(owner_session, user_id=company.support_agent_id)
    assert [(row.action, row.success) for row in rows] == [
        ("auth.magic_link_requested", True),
        ("auth.sign_in", True),
        ("auth.magic_link_requested", True),
    ]
    # A used link names nobody any more; an expired one still names its address.
    failures = [
        (row.error_message, row.details["email"])
        for row in audit_rows(owner_session, action="auth.sign_in_failed")
        if str(row.ip_address) == auth_api.ip
    ]
    assert failures == [("link_invalid", None), ("link_invalid", email), ("link_invalid", None)]


def test_known_and_unknown_addresses_answer_in_the_same_time(
    auth_api: AuthApi, mailbox: Mailbox, company: CompanyData, owner_session: Session
) -> None:
    from chatapp.config import get_settings

    floor = get_settings().signin_response_floor_ms / 1000
    assert floor > 0
    known = owner_session.get(User, company.support_agent_id).email
    timings = {}
    for label, email in (("unknown", unique_email("probe")), ("known", known)):
        started = time.monotonic()
        assert auth_api.post("/v1/auth/magic-link", {"email": email}).status == 202
        timings[label] = time.monotonic() - started
    assert mailbox.messages(known), "the known address did get its link"
    assert min(timings.values()) >= floor, f"both answers wait out the {floor * 1000:.0f} ms floor: {timings}"


def test_asking_for_a_link_reveals_nothing(
    auth_api: AuthApi, mailbox: Mailbox, company: CompanyData, owner_session: Session
) -> None:
    unknown = unique_email("nobody")
    answer = auth_api.post("/v1/auth/magic-link", {"email": unknown})
    commit(owner_session, update(User).where(User.id == company.admin_id).values(is_active=False))
    inactive_email = owner_session.get(User, company.admin_id).email
    inactive = auth_api.post("/v1/auth/magic-link", {"email": inactive_email})
    assert answer.status == inactive.status == 202 and answer.body == inactive.body
    assert mailbox.messages(unknown) == [] and mailbox.messages(inactive_email) == []
    [row] = audit_rows_for_email(owner_session, unknown)
    assert (row.action, row.success, row.error_message) == (
        "auth.magic_link_requested",
        False,
        "unknown_email",
    )
    [row] = audit_rows_for_email(owner_session, inactive_email)
    assert (row.success, row.error_message, row.user_id) == (False, "account_inactive", company.admin_id)


def test_a_deactivated_user_cannot_use_a_link_sent_before(
    auth_api: AuthApi, mailbox: Mailbox, company: CompanyData, owner_session: Session
) -> None:
    email = owner_session.get(User, company.other_support_agent_id).email
    assert auth_api.post("/v1/auth/magic-link", {"email": email}).status == 202
    token = mailbox.link_token(email)
    commit(
        owner_session, update(User).where(User.id == company.other_support_agent_id).values(is_active=False)
    )
    refused = auth_api.post("/v1/auth/verify", {"token": token})
    assert refused.status == 401 and refused.body["error"]["code"] == "account_inactive"


def test_link_requests_are_limited_per_ip_and_per_email(auth_api: AuthApi, owner_session: Session) -> None:
    statuses = [auth_api.post("/v1/auth/magic-link", {"email": unique_email()}).status for _ in range(11)]
    assert statuses == [202] * 10 + [429]
    limited = auth_api.post("/v1/auth/magic-link", {"email": unique_email()})
    assert limited.status == 429 and limited.body["error"]["code"] == "rate_limited"
    assert 1 <= int(limited.headers["retry-after"]) <= 60

    email = unique_email("target")
    per_email = [
        auth_api.post("/v1/auth/magic-link", {"email": email}, ip=random_ip()).status for _ in range(6)
    ]
    assert per_email == [202] * 5 + [429]
    failures = [
        row for row in audit_rows_for_email(owner_session, email) if row.action == "auth.sign_in_failed"
    ]
    assert [row.error_message for row in failures] == ["rate_limited"]


def test_company_must_be_active_to_sign_in(
    auth_api: AuthApi, mailbox: Mailbox, company: CompanyData, owner_session: Session
) -> None:
    email = owner_session.get(User, company.support_agent_id).email
    assert auth_api.post("/v1/auth/magic-link", {"email": email}).status == 202
    token = mailbox.link_token(email)
    commit(owner_session, update(Company).where(Company.id == company.company_id).values(status="suspended"))
    refused = auth_api.post("/v1/auth/verify", {"token": token})
    assert refused.status == 403 and refused.body["error"]["code"] == "company_suspended"
    # Its administrator may still sign in, to read why (see test_api's suspension test).
    admin_email = owner_session.get(User, company.admin_id).email
    assert auth_api.post("/v1/auth/magic-link", {"email": admin_email}).status == 202
    signed_in = auth_api.post("/v1/auth/verify", {"token": mailbox.link_token(admin_email)})
    assert signed_in.status == 200, signed_in.body
