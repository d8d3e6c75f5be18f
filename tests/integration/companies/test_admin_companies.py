"""The master admin's companies API: create, suspend, reactivate, delete and restore, all audited."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from chatapp.db.enums import InvitationStatus, SubscriptionStatus, UserRole
from chatapp.db.models.audit import AuditLog
from chatapp.db.models.billing import CompanySubscription
from chatapp.db.models.channels import ApiKey
from chatapp.db.models.core import Company, User
from chatapp.db.models.core import Session as ConsoleSession
from chatapp.db.models.team import Invitation
from tests.integration.auth.conftest import AuthApi, Mailbox
from tests.integration.companies.conftest import Master, audit_entries, error_code, unique
from tests.integration.http import ApiClient
from tests.integration.tenant_data import CompanyData, Tenants


def test_a_master_admin_creates_a_company_with_its_first_admin(
    master: Master, owner_session: Session, mailbox: Mailbox, auth_api: AuthApi
) -> None:
    slug, email = unique("acme"), f"{unique('founder')}@example.com"
    created = master.call(
        "POST",
        "/v1/admin/companies",
        {
            "name": "Acme Outdoors",
            "slug": slug,
            "timezone": "America/Sao_Paulo",
            "locale": "pt-BR",
            "admin_email": email.upper(),
            "admin_name": "Ana",
        },
    )
    assert created.status == 201, created.body
    company = created.body["company"]
    assert (company["slug"], company["status"], company["timezone"], company["locale"]) == (
        slug,
        "active",
        "America/Sao_Paulo",
        "pt-BR",
    )
    assert created.body["admin"]["email"] == email and created.body["admin"]["role"] == "company_admin"

    subscription = owner_session.scalars(
        select(CompanySubscription).where(CompanySubscription.company_id == company["id"])
    ).one()
    assert subscription.status is SubscriptionStatus.TRIAL
    assert subscription.expires_at == subscription.trial_ends_at
    assert created.body["trial_ends_at"].startswith(subscription.trial_ends_at.date().isoformat())
    user = owner_session.scalars(select(User).where(User.email == email)).one()
    assert (user.role, str(user.company_id)) == (UserRole.COMPANY_ADMIN, company["id"])
    [entry] = audit_entries(owner_session, user.company_id, "company.created")
    assert entry.details["after"] == {"status": "active"} and entry.details["slug"] == slug

    # The welcome e-mail carries a working sign-in link, as sign-up's does.
    token = mailbox.link_token(email)
    assert "Acme Outdoors" in mailbox.messages(email)[-1]["body"]
    signed_in = auth_api.post("/v1/auth/verify", {"token": token})
    assert signed_in.status == 200, signed_in.body
    assert signed_in.body["user"]["company_id"] == company["id"]


def test_slugs_are_validated_and_unique(master: Master, tenants: Tenants, owner_session: Session) -> None:
    for bad in ("Not a slug!", "ab", "-leading", "double--hyphen"):
        response = master.call("POST", "/v1/admin/companies", {"name": "X", "slug": bad})
        assert (response.status, error_code(response)) == (400, "invalid_slug"), bad
    reserved = master.call("POST", "/v1/admin/companies", {"name": "X", "slug": "admin"})
    assert (reserved.status, error_code(reserved)) == (400, "slug_reserved")

    slug = unique("taken")
    assert master.call("POST", "/v1/admin/companies", {"name": "First", "slug": slug}).status == 201
    again = master.call("POST", "/v1/admin/companies", {"name": "Second", "slug": slug.upper()})
    assert (again.status, error_code(again)) == (409, "slug_taken")

    # An address that already has an account refuses the whole creation: no half-made company.
    other = unique("other")
    admin_email = owner_session.scalar(select(User.email).where(User.id == tenants.a.admin_id))
    taken = master.call(
        "POST", "/v1/admin/companies", {"name": "Other", "slug": other, "admin_email": admin_email}
    )
    assert (taken.status, error_code(taken)) == (409, "email_taken")
    assert owner_session.scalar(select(func.count()).where(Company.slug == other)) == 0

    invalid = master.call(
        "POST", "/v1/admin/companies", {"name": "X", "slug": unique("tz"), "timezone": "Mars/Base"}
    )
    assert invalid.status == 422 and invalid.body["error"]["fields"][0]["field"] == "body.timezone"


def test_suspend_and_reactivate_are_audited_with_the_reason(
    master: Master, company: CompanyData, owner_session: Session, api: ApiClient
) -> None:
    path = f"/v1/admin/companies/{company.company_id}"
    assert master.call("POST", f"{path}/suspend", {}).status == 422  # a reason is required
    reason = "Payment overdue since 1 November; contact billing@buzzi.ai to restore service."
    suspended = master.call("POST", f"{path}/suspend", {"reason": reason})
    assert suspended.status == 200, suspended.body
    assert (suspended.body["status"], suspended.body["status_reason"]) == ("suspended", reason)
    assert suspended.body["status_changed_at"] is not None

    row = owner_session.get(Company, company.company_id)
    assert row is not None and (row.status, row.status_reason) == ("suspended", reason)
    [entry] = audit_entries(owner_session, company.company_id, "company.suspended")
    assert entry.details["reason"] == reason
    assert entry.details["before"] == {"status": "active"} and entry.details["after"] == {
        "status": "suspended"
    }
    assert entry.user_id is not None and entry.resource_id == company.company_id

    reactivated = master.call("POST", f"{path}/reactivate", {"reason": "Paid in full"})
    assert reactivated.status == 200
    assert (reactivated.body["status"], reactivated.body["status_reason"]) == ("active", None)
    [entry] = audit_entries(owner_session, company.company_id, "company.reactivated")
    assert entry.details["reason"] == "Paid in full"
    # Reactivating an active company changes nothing and audits nothing.
    assert master.call("POST", f"{path}/reactivate").status == 200
    assert len(audit_entries(owner_session, company.company_id, "company.reactivated")) == 1
    assert api.get("/v1/companies/me", token=company.tokens["admin"]).status == 200


def test_delete_signs_the_company_out_and_restore_brings_it_back(
    master: Master, company: CompanyData, owner_session: Session, api: ApiClient, tenants: Tenants
) -> None:
    path = f"/v1/admin/companies/{company.company_id}"
    deleted = master.call("DELETE", f"{path}?reason=Closed%20their%20business")
    assert deleted.status == 200, deleted.body
    assert deleted.body["status"] == "deleted" and deleted.body["status_reason"] == "Closed their business"
    deleted_at = datetime.fromisoformat(deleted.body["deleted_at"])
    assert datetime.fromisoformat(deleted.body["purge_after"]) == deleted_at + timedelta(days=30)

    # Sessions revoked, API keys and open invitations stop working.
    users = select(User.id).where(User.company_id == company.company_id)
    assert owner_session.scalar(select(func.count()).where(ConsoleSession.user_id.in_(users))) == 0
    assert (
        owner_session.scalar(
            select(func.count()).where(ApiKey.company_id == company.company_id, ApiKey.is_active.is_(True))
        )
        == 0
    )
    assert (
        owner_session.scalar(
            select(func.count()).where(
                Invitation.company_id == company.company_id, Invitation.status == InvitationStatus.PENDING
            )
        )
        == 0
    )
    assert api.get("/v1/companies/me", token=company.tokens["admin"]).status == 401
    assert api.get("/v1/public/conversations", token=company.tokens["api_key"]).status == 401
    [entry] = audit_entries(owner_session, company.company_id, "company.deleted")
    assert entry.details["reason"] == "Closed their business" and entry.details["sessions_revoked"] >= 2
    assert entry.details["api_keys_deactivated"] == 1

    # Gone from tenant views and the default list; the master admin still finds it.
    assert api.get(f"/v1/companies/{company.company_id}", token=tenants.master_admin_token).status == 404
    slug = owner_session.scalar(select(Company.slug).where(Company.id == company.company_id))
    assert master.call("GET", f"/v1/admin/companies?search={slug}").body["items"] == []
    found = master.call("GET", f"/v1/admin/companies?search={slug}&status=deleted").body["items"]
    assert [c["id"] for c in found] == [str(company.company_id)]
    assert master.call("GET", path).body["status"] == "deleted"
    assert error_code(master.call("DELETE", path)) == "company_already_deleted"
    assert error_code(master.call("POST", f"{path}/suspend", {"reason": "x"})) == "company_deleted"

    restored = master.call("POST", f"{path}/restore", {"reason": "Reopened"})
    assert restored.status == 200, restored.body
    assert (restored.body["status"], restored.body["deleted_at"], restored.body["purge_after"]) == (
        "active",
        None,
        None,
    )
    [entry] = audit_entries(owner_session, company.company_id, "company.restored")
    assert entry.details == {
        "reason": "Reopened",
        "before": {"status": "deleted"},
        "after": {"status": "active"},
    }
    assert api.get(f"/v1/companies/{company.company_id}", token=tenants.master_admin_token).status == 200
    again = master.call("POST", f"{path}/restore")
    assert (again.status, error_code(again)) == (409, "company_not_deleted")


def test_listing_filters_searches_and_pages(master: Master) -> None:
    marker = unique("zephyr")
    ids = []
    for n in range(3):
        created = master.call(
            "POST", "/v1/admin/companies", {"name": f"{marker} {n}", "slug": f"{marker}-{n}"}
        )
        assert created.status == 201
        ids.append(created.body["company"]["id"])
    master.call("POST", f"/v1/admin/companies/{ids[0]}/suspend", {"reason": "Testing"})

    first = master.call("GET", f"/v1/admin/companies?search={marker}&limit=2")
    assert first.status == 200 and first.body["total"] == 3 and len(first.body["items"]) == 2
    second = master.call(
        "GET", f"/v1/admin/companies?search={marker}&limit=2&cursor={first.body['next_cursor']}"
    )
    assert second.body["next_cursor"] is None
    assert [c["id"] for c in first.body["items"] + second.body["items"]] == list(
        reversed(ids)
    )  # newest first

    by_slug = master.call("GET", f"/v1/admin/companies?search={marker}-1")
    assert [c["id"] for c in by_slug.body["items"]] == [ids[1]]
    suspended = master.call("GET", f"/v1/admin/companies?search={marker}&status=suspended")
    assert [c["id"] for c in suspended.body["items"]] == [ids[0]]
    wildcard = master.call("GET", "/v1/admin/companies?search=%25")  # "%" is matched literally
    assert all("%" in c["name"] + c["slug"] for c in wildcard.body["items"])
    assert master.call("GET", "/v1/admin/companies?status=archived").status == 422
    bad_cursor = master.call("GET", "/v1/admin/companies?cursor=nonsense")
    assert (bad_cursor.status, error_code(bad_cursor)) == (400, "invalid_cursor")


def test_company_users_cannot_use_the_admin_routes(
    api: ApiClient, tenants: Tenants, owner_session: Session
) -> None:
    b = tenants.b.company_id
    calls = [
        ("GET", "/v1/admin/companies", None),
        ("POST", "/v1/admin/companies", {"name": "Mine", "slug": unique("mine")}),
        ("GET", f"/v1/admin/companies/{b}", None),
        ("POST", f"/v1/admin/companies/{b}/suspend", {"reason": "competition"}),
        ("DELETE", f"/v1/admin/companies/{b}", None),
        ("POST", f"/v1/admin/companies/{b}/restore", None),
    ]
    for token in (tenants.a.tokens["admin"], tenants.a.tokens["support"]):
        for method, path, body in calls:
            response = api.request(method, path, token=token, json_body=body)
            assert (response.status, error_code(response)) == (403, "role_not_allowed"), (method, path)
    row = owner_session.get(Company, b)
    assert row is not None and row.status == "active" and row.deleted_at is None
    assert (
        owner_session.scalar(
            select(func.count()).where(AuditLog.company_id == b, AuditLog.action.like("company.%"))
        )
        == 0
    )


def test_unknown_companies_are_404(master: Master) -> None:
    missing = "00000000-0000-4000-8000-000000000000"
    for method, suffix in (("GET", ""), ("POST", "/reactivate"), ("DELETE", ""), ("POST", "/restore")):
        response = master.call(method, f"/v1/admin/companies/{missing}{suffix}")
        assert (response.status, error_code(response)) == (404, "company_not_found"), suffix
