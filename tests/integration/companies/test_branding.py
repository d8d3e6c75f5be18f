"""Company admins edit branding and settings, and prove a custom domain with a DNS TXT record that
the verification really looks up (a loopback DNS server answers)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from chatapp.db.models.audit import AuditLog
from devtools.fake_dns import FakeDns
from tests.integration.companies.conftest import error_code, new_company, unique
from tests.integration.http import ApiClient, ApiResponse
from tests.integration.tenant_data import CompanyData


def _patch(api: ApiClient, company: CompanyData, body: dict[str, Any], role: str = "admin") -> ApiResponse:
    return api.request("PATCH", "/v1/companies/me", token=company.tokens[role], json_body=body)


def test_admins_edit_branding_and_settings(
    api: ApiClient, company: CompanyData, owner_session: Session
) -> None:
    changes = {
        "name": "Acme Outdoors",
        "description": "Gear for every season.",
        "logo_url": "https://cdn.acme.example/logo.svg",
        "primary_color": "#0A7D5A",
        "secondary_color": "#ffcc00",
        "timezone": "America/Sao_Paulo",
        "locale": "pt-BR",
        "settings": {"weekStartsOn": "monday", "dashboard": {"compact": True}},
    }
    response = _patch(api, company, changes)
    assert response.status == 200, response.body
    assert {key: response.body[key] for key in changes} == {**changes, "primary_color": "#0a7d5a"}
    mine = api.get("/v1/companies/me", token=company.tokens["admin"]).body
    branding = {key: value for key, value in changes.items() if key != "settings"}
    assert {key: mine[key] for key in branding} == {**branding, "primary_color": "#0a7d5a"}
    # Settings are the admins': members' company view leaves them out.
    assert "settings" not in mine
    settings = api.get("/v1/companies/me/settings", token=company.tokens["admin"])
    assert settings.body == {
        "settings": changes["settings"],
        "require_identity_verification": False,  # a company older than the setting (tests/security)
        "identity_secret_set": False,
    }
    assert api.get("/v1/companies/me/settings", token=company.tokens["support"]).status == 403

    # Omitted fields stay; nullable ones clear with null.
    cleared = _patch(api, company, {"description": None, "secondary_color": None}).body
    assert (cleared["description"], cleared["secondary_color"], cleared["name"]) == (
        None,
        None,
        "Acme Outdoors",
    )
    # The admin's session audit trail records the change.
    owner_session.expire_all()
    entry = owner_session.scalars(
        select(AuditLog)
        .where(AuditLog.company_id == company.company_id, AuditLog.action == "companies.update")
        .order_by(AuditLog.created_at.desc())
        .limit(1)
    ).one()
    assert entry.details["after"] == {"description": None, "secondary_color": None}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"primary_color": "red"}, "primary_color"),
        ({"secondary_color": "#12345"}, "secondary_color"),
        ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"timezone": "../../etc/passwd"}, "timezone"),
        ({"locale": "english"}, "locale"),
        ({"logo_url": "http://cdn.example.com/logo.png"}, "logo_url"),
        ({"logo_url": "https://user:pw@cdn.example.com/logo.png"}, "logo_url"),
        ({"name": None}, "name"),
        ({"name": ""}, "name"),
        ({"settings": {"blob": "x" * 20_000}}, "settings"),
        ({"status": "active"}, "status"),  # not the company's to set
    ],
)
def test_invalid_branding_is_refused_with_the_field(
    api: ApiClient, tenants_company: CompanyData, body: dict[str, Any], field: str
) -> None:
    before = api.get("/v1/companies/me", token=tenants_company.tokens["admin"]).body
    response = _patch(api, tenants_company, body)
    assert (response.status, error_code(response)) == (422, "invalid_input"), response.body
    assert [f["field"] for f in response.body["error"]["fields"]] == [f"body.{field}"]
    assert api.get("/v1/companies/me", token=tenants_company.tokens["admin"]).body == before


@pytest.fixture(scope="module")
def tenants_company(owner_engine: Any) -> CompanyData:
    """One company for the read-only validation cases."""
    return new_company(owner_engine, "Brand")


def test_only_company_admins_edit_the_company(api: ApiClient, company: CompanyData) -> None:
    for role, refusal in (("support", "role_not_allowed"), ("api_key", "api_key_not_allowed")):
        response = _patch(api, company, {"name": "Taken over"}, role=role)
        assert (response.status, error_code(response)) == (403, refusal), role
        domain = api.request(
            "PUT",
            "/v1/companies/me/custom-domain",
            token=company.tokens[role],
            json_body={"domain": "a.example.com"},
        )
        assert domain.status == 403
    assert api.get("/v1/companies/me", token=company.tokens["admin"]).body["name"] != "Taken over"


def _domain(
    api: ApiClient, company: CompanyData, method: str, suffix: str = "", body: Any = None
) -> ApiResponse:
    return api.request(
        method, f"/v1/companies/me/custom-domain{suffix}", token=company.tokens["admin"], json_body=body
    )


def test_a_custom_domain_is_verified_by_its_dns_txt_record(
    api: ApiClient, company: CompanyData, fake_dns: FakeDns
) -> None:
    domain = f"chat.{unique('acme')}.com"
    created = _domain(api, company, "PUT", body={"domain": f" Chat.{domain.removeprefix('chat.').upper()}. "})
    assert created.status == 200, created.body
    record = created.body["txt_record"]
    assert created.body["domain"] == domain and created.body["verified"] is False
    assert record["type"] == "TXT" and record["name"] == f"_buzzi-verification.{domain}"
    assert record["value"].startswith("buzzi-verification=") and len(record["value"]) > 40
    # Setting the same domain again shows the same record (the console can show it again).
    assert _domain(api, company, "PUT", body={"domain": domain}).body["txt_record"] == record

    # Before the record exists: refused, naming the record to create; DNS was really asked.
    refused = _domain(api, company, "POST", "/verify")
    assert (refused.status, error_code(refused)) == (409, "domain_not_verified")
    assert (
        record["name"] in refused.body["error"]["message"]
        and record["value"] in refused.body["error"]["message"]
    )
    assert record["name"] in fake_dns.queries
    fake_dns.set_txt(record["name"], "buzzi-verification=somebody-elses-value")
    assert error_code(_domain(api, company, "POST", "/verify")) == "domain_not_verified"

    fake_dns.set_txt(record["name"], "v=spf1 -all", record["value"])
    verified = _domain(api, company, "POST", "/verify")
    assert verified.status == 200, verified.body
    assert verified.body["verified"] is True and verified.body["verified_at"] is not None
    mine = api.get("/v1/companies/me", token=company.tokens["admin"]).body
    assert (mine["custom_domain"], mine["custom_domain_verified"]) == (domain, True)
    assert mine["custom_domain_verified_at"] is not None

    # A new domain starts over: a new value, unverified.
    moved = _domain(api, company, "PUT", body={"domain": f"help.{domain}"}).body
    assert moved["verified"] is False and moved["txt_record"]["value"] != record["value"]

    assert _domain(api, company, "DELETE").status == 204
    mine = api.get("/v1/companies/me", token=company.tokens["admin"]).body
    assert (mine["custom_domain"], mine["custom_domain_verified"], mine["custom_domain_verified_at"]) == (
        None,
        False,
        None,
    )
    for method, suffix in (("DELETE", ""), ("POST", "/verify")):
        gone = _domain(api, company, method, suffix)
        assert (gone.status, error_code(gone)) == (404, "custom_domain_not_set")


def test_a_verified_domain_belongs_to_one_company(
    api: ApiClient, company: CompanyData, owner_engine: Any, fake_dns: FakeDns
) -> None:
    other = new_company(owner_engine, "Rival")
    domain = f"support.{unique('shared')}.io"
    record = _domain(api, company, "PUT", body={"domain": domain}).body["txt_record"]
    assert _domain(api, other, "PUT", body={"domain": domain.upper()}).status == 200  # a claim only
    fake_dns.set_txt(record["name"], record["value"])
    assert _domain(api, company, "POST", "/verify").status == 200
    taken = _domain(api, other, "PUT", body={"domain": domain.upper()})
    assert (taken.status, error_code(taken)) == (409, "domain_taken")
    # Released by its holder, it is free again.
    assert _domain(api, company, "DELETE").status == 204
    assert _domain(api, other, "PUT", body={"domain": domain}).status == 200


@pytest.mark.parametrize(
    ("domain", "code"),
    [
        ("localhost", "invalid_domain"),
        ("intranet", "invalid_domain"),
        ("printer.local", "invalid_domain"),
        ("10.0.0.1", "invalid_domain"),
        ("-bad-.example.com", "invalid_domain"),
        ("under_score.example.com", "invalid_domain"),
        ("a" * 64 + ".example.com", "invalid_domain"),
        ("https://chat.example.com/", "invalid_domain"),
        ("buzzi.ai", "domain_reserved"),
        ("acme.buzzi.ai", "domain_reserved"),
    ],
)
def test_domains_must_be_public_hostnames(
    api: ApiClient, tenants_company: CompanyData, domain: str, code: str
) -> None:
    response = _domain(api, tenants_company, "PUT", body={"domain": domain})
    assert (response.status, error_code(response)) == (400, code), response.body
