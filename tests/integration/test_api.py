"""The HTTP functions, called through template.yaml's routes with real API Gateway v2 events."""

from __future__ import annotations

import uuid

from sqlalchemy import text
from sqlalchemy.orm import Session

from tests.integration.http import ApiClient
from tests.integration.tenant_data import Tenants


def _assert_error(response, status: int, code: str) -> None:
    assert response.status == status, response.body
    assert response.body["error"]["code"] == code
    assert response.body["error"]["message"]
    assert "Traceback" not in str(response.body)


def test_health_and_version(api: ApiClient) -> None:
    health = api.get("/health")
    assert health.status == 200
    assert health.body == {"status": "ok", "version": "0.1.0", "database": "ok"}
    version = api.get("/version")
    assert version.status == 200
    assert version.body["environment"] == "test"


def test_my_company_for_admin_and_support_agent(api: ApiClient, tenants: Tenants) -> None:
    for token in (tenants.a.tokens["admin"], tenants.a.tokens["support"]):
        response = api.get("/v1/companies/me", token=token)
        assert response.status == 200
        assert response.body["id"] == str(tenants.a.company_id)
        assert response.body["name"] == "Company A"
        assert "api_key_hash" not in response.body and "settings" not in response.body


def test_api_key_principal_reads_its_company(api: ApiClient, tenants: Tenants) -> None:
    response = api.get("/v1/companies/me", token=tenants.b.tokens["api_key"])
    assert response.status == 200
    assert response.body["id"] == str(tenants.b.company_id)


def test_user_of_b_asking_for_a_by_id_gets_404(api: ApiClient, tenants: Tenants) -> None:
    response = api.get(f"/v1/companies/{tenants.a.company_id}", token=tenants.b.tokens["admin"])
    _assert_error(response, 404, "company_not_found")
    own = api.get(f"/v1/companies/{tenants.b.company_id}", token=tenants.b.tokens["admin"])
    assert own.status == 200


def test_master_admin_reads_any_company_but_has_none_of_their_own(api: ApiClient, tenants: Tenants) -> None:
    response = api.get(f"/v1/companies/{tenants.a.company_id}", token=tenants.master_admin_token)
    assert response.status == 200 and response.body["id"] == str(tenants.a.company_id)
    _assert_error(api.get("/v1/companies/me", token=tenants.master_admin_token), 404, "company_not_found")


def test_missing_unknown_expired_or_malformed_credentials_get_401(api: ApiClient, tenants: Tenants) -> None:
    cases = [
        {},
        {"token": "bzs_" + "x" * 43},
        {"token": tenants.a.tokens["admin_expired"]},
        {"token": "not-a-buzzi-token"},
        {"headers": {"authorization": "Basic dXNlcjpwYXNz"}},
    ]
    for kwargs in cases:
        response = api.get("/v1/companies/me", **kwargs)
        _assert_error(response, 401, "unauthenticated")
        assert response.headers.get("www-authenticate") == "Bearer"


def test_deactivated_user_is_refused(api: ApiClient, tenants: Tenants, owner_session: Session) -> None:
    owner_session.execute(
        text("UPDATE chatapp_users SET is_active = false WHERE id = :id"),
        {"id": tenants.a.other_support_agent_id},
    )
    owner_session.commit()
    from tests.integration.tenant_data import _session_token

    token = _session_token(owner_session, tenants.a.other_support_agent_id)
    owner_session.commit()
    _assert_error(api.get("/v1/companies/me", token=token), 401, "unauthenticated")


def test_a_suspended_company_s_admins_see_why_and_nothing_else_works(
    api: ApiClient, owner_session: Session
) -> None:
    from tests.integration.tenant_data import create_company, create_platform_rows

    company = create_company(owner_session, "Suspended", create_platform_rows(owner_session))
    owner_session.execute(
        text("UPDATE chatapp_companies SET status = 'suspended', status_reason = :why WHERE id = :id"),
        {"id": company.company_id, "why": "Chargeback on the last invoice"},
    )
    owner_session.commit()
    admin = company.tokens["admin"]
    me = api.get("/v1/companies/me", token=admin)
    assert me.status == 200 and me.body["id"] == str(company.company_id)
    for refused in (
        api.get("/v1/agents", token=admin),
        api.request("POST", "/v1/agents", token=admin, json_body={"name": "x"}),
        api.get("/v1/companies/me", token=company.tokens["api_key"]),
    ):
        _assert_error(refused, 403, "company_suspended")
        assert "Chargeback on the last invoice" in refused.body["error"]["message"]
        assert refused.body["error"]["reason"] == "Chargeback on the last invoice"
    support = api.get("/v1/companies/me", token=company.tokens["support"])
    _assert_error(support, 403, "company_suspended")
    assert "Chargeback" not in support.body["error"]["message"], "the reason is for administrators"

    owner_session.execute(
        text("UPDATE chatapp_companies SET status = 'pending' WHERE id = :id"), {"id": company.company_id}
    )
    owner_session.commit()
    _assert_error(api.get("/v1/companies/me", token=admin), 403, "company_inactive")


def test_bad_path_parameter_is_a_422_with_field_details(api: ApiClient, tenants: Tenants) -> None:
    response = api.get("/v1/companies/not-a-uuid", token=tenants.a.tokens["admin"])
    _assert_error(response, 422, "invalid_input")
    assert response.body["error"]["fields"][0]["field"] == "path.company_id"


def test_unknown_company_id_is_404(api: ApiClient, tenants: Tenants) -> None:
    _assert_error(
        api.get(f"/v1/companies/{uuid.uuid4()}", token=tenants.a.tokens["admin"]), 404, "company_not_found"
    )


def test_api_key_last_used_is_recorded_without_a_write_per_request(
    api: ApiClient, tenants: Tenants, owner_session: Session
) -> None:
    from chatapp.security import token_digest

    digest = token_digest(tenants.a.tokens["api_key"])
    query = text("SELECT last_used_at FROM chatapp_api_keys WHERE key_hash = :h")
    assert api.get("/v1/companies/me", token=tenants.a.tokens["api_key"]).status == 200
    first = owner_session.execute(query, {"h": digest}).scalar()
    owner_session.rollback()
    assert first is not None
    assert api.get("/v1/companies/me", token=tenants.a.tokens["api_key"]).status == 200
    assert owner_session.execute(query, {"h": digest}).scalar() == first
