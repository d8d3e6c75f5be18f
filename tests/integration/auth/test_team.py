"""Team management: invitations by e-mail (SES on moto), seats, roles without self-escalation."""

from __future__ import annotations

import re
import uuid

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from chatapp.db.models.billing import CompanySubscription
from chatapp.db.models.core import User
from tests.integration.auth.conftest import AuthApi, Mailbox, commit, unique_email
from tests.integration.http import ApiClient
from tests.integration.tenant_data import CompanyData, Tenants, create_company, create_platform_rows

_INVITE = re.compile(r"/invitations/accept\?token=(bzv_[A-Za-z0-9_-]+)")


def _invitation_token(mailbox: Mailbox, to: str) -> str:
    messages = mailbox.messages(to)
    assert messages, f"no invitation was sent to {to}"
    found = _INVITE.search(messages[-1]["body"])
    assert found, messages[-1]["body"]
    return found.group(1)


def test_an_invited_person_joins_with_the_invited_role(
    auth_api: AuthApi, mailbox: Mailbox, company: CompanyData, owner_engine: Engine
) -> None:
    admin = company.tokens["admin"]
    address = unique_email("new-agent")
    invited = auth_api.post("/v1/team/invitations", {"email": address, "role": "support_agent"}, token=admin)
    assert invited.status == 201, invited.body
    assert invited.body["status"] == "pending"
    token = _invitation_token(mailbox, address)

    joined = auth_api.post("/v1/team/invitations/accept", {"token": token, "name": "Nova"})
    assert joined.status == 201, joined.body
    assert joined.body["user"]["role"] == "support_agent"
    assert joined.body["user"]["company_id"] == str(company.company_id)
    session = joined.body["session_token"]
    assert auth_api.get("/v1/companies/me", token=session).body["id"] == str(company.company_id)

    again = auth_api.post("/v1/team/invitations/accept", {"token": token, "name": "Nova"})
    assert again.status == 401 and again.body["error"]["code"] == "invitation_invalid"  # single use
    members = auth_api.get("/v1/team/members", token=admin).body
    assert address in [m["email"] for m in members]
    listed = auth_api.get("/v1/team/invitations", token=admin).body
    assert [i["status"] for i in listed if i["email"] == address] == ["accepted"]


def test_an_address_of_another_company_cannot_join_and_the_inviter_is_not_told(
    auth_api: AuthApi, mailbox: Mailbox, owner_engine: Engine
) -> None:
    with Session(owner_engine) as db, db.begin():
        plan = create_platform_rows(db)
        ours, theirs = create_company(db, "Ours", plan), create_company(db, "Theirs", plan)
        their_admin_email = db.scalar(select(User.email).where(User.id == theirs.admin_id))
        our_admin_email = db.scalar(select(User.email).where(User.id == ours.admin_id))
    invited = auth_api.post("/v1/team/invitations", {"email": their_admin_email}, token=ours.tokens["admin"])
    assert invited.status == 201 and invited.body["status"] == "pending"  # as for any address
    [mail] = mailbox.messages(their_admin_email)
    assert "already has a Buzzi account" in mail["body"] and "/invitations/accept" not in mail["body"]
    member = auth_api.post("/v1/team/invitations", {"email": our_admin_email}, token=ours.tokens["admin"])
    assert member.status == 409 and member.body["error"]["code"] == "already_member"


def test_seats_revoke_and_resend(
    auth_api: AuthApi, mailbox: Mailbox, company: CompanyData, owner_engine: Engine
) -> None:
    admin = company.tokens["admin"]
    with Session(owner_engine) as db:  # the fixture company has 3 members and 1 invitation: 2 of 6 left
        commit(
            db,
            update(CompanySubscription)
            .where(CompanySubscription.company_id == company.company_id)
            .values(custom_limits={"supportSeats": 6}),
        )
    first, second, third = (unique_email(f"seat{n}") for n in range(3))
    invitation = auth_api.post("/v1/team/invitations", {"email": first}, token=admin).body
    assert auth_api.post("/v1/team/invitations", {"email": second}, token=admin).status == 201
    full = auth_api.post("/v1/team/invitations", {"email": third}, token=admin)
    assert full.status == 402 and full.body["error"]["code"] == "seat_limit_reached"

    old_token = _invitation_token(mailbox, first)
    resent = auth_api.post(f"/v1/team/invitations/{invitation['id']}/resend", token=admin)
    assert resent.status == 200
    new_token = _invitation_token(mailbox, first)
    assert new_token != old_token
    assert auth_api.post("/v1/team/invitations/accept", {"token": old_token, "name": "x"}).status == 401

    revoked = auth_api.request("DELETE", f"/v1/team/invitations/{invitation['id']}", token=admin)
    assert revoked.status == 200 and revoked.body["status"] == "revoked"
    assert auth_api.post("/v1/team/invitations/accept", {"token": new_token, "name": "x"}).status == 401
    assert (
        auth_api.post("/v1/team/invitations", {"email": third}, token=admin).status == 201
    )  # a seat came free


def test_roles_change_without_self_escalation(
    auth_api: AuthApi, company: CompanyData, owner_engine: Engine
) -> None:
    admin, support = company.tokens["admin"], company.tokens["support"]
    as_agent = auth_api.request(
        "PATCH",
        f"/v1/team/members/{company.other_support_agent_id}",
        token=support,
        json_body={"role": "company_admin"},
    )
    assert as_agent.status == 403  # support agents do not manage the team
    promoted = auth_api.request(
        "PATCH",
        f"/v1/team/members/{company.support_agent_id}",
        token=admin,
        json_body={"role": "company_admin"},
    )
    assert promoted.status == 200 and promoted.body["role"] == "company_admin"
    master = auth_api.request(
        "PATCH",
        f"/v1/team/members/{company.support_agent_id}",
        token=admin,
        json_body={"role": "master_admin"},
    )
    assert master.status == 422
    own = auth_api.request(
        "PATCH", f"/v1/team/members/{company.admin_id}", token=admin, json_body={"is_active": False}
    )
    assert own.status == 403 and own.body["error"]["code"] == "self_change"

    deactivated = auth_api.request(
        "PATCH",
        f"/v1/team/members/{company.other_support_agent_id}",
        token=admin,
        json_body={"is_active": False},
    )
    assert deactivated.status == 200 and deactivated.body["is_active"] is False
    profile = auth_api.request(
        "PATCH", "/v1/team/me", token=admin, json_body={"name": "Boss", "phone": "+49 30 123"}
    )
    assert profile.status == 200 and profile.body["name"] == "Boss"
    with Session(owner_engine) as db:
        assert db.get(User, company.admin_id).phone == "+49 30 123"  # type: ignore[union-attr]
    stranger = uuid.uuid4()
    assert (
        auth_api.request(
            "PATCH", f"/v1/team/members/{stranger}", token=admin, json_body={"role": "support_agent"}
        ).status
        == 404
    )


def test_a_member_s_role_and_activity_are_never_null(api: ApiClient, tenants: Tenants) -> None:
    """Found by `./run fuzz`: `"role": null` failed on the enum and `"is_active": null` in the
    database (500). Both refuse null; the access limits still clear with it."""
    path = f"/v1/team/members/{tenants.a.other_support_agent_id}"
    token = tenants.a.tokens["admin"]
    for field in ("role", "is_active"):
        refused = api.request("PATCH", path, token=token, json_body={field: None})
        assert refused.status == 422, (field, refused.status, refused.body)
    cleared = api.request(
        "PATCH", path, token=token, json_body={"access_expires_at": None, "ip_allowlist": None}
    )
    assert cleared.status == 200, cleared.body
