"""Company endpoints for console users and API keys: the caller's own company, or one by id; company
admins edit their company's branding, settings, custom domain and widget identity verification."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Query, Response

from chatapp.api.access import ADMIN
from chatapp.api.app import create_app, lambda_handler
from chatapp.api.auth import Authenticated, CompanyReader
from chatapp.audit import history as audit_log_service
from chatapp.audit.schemas import AuditPageOut
from chatapp.companies import profile
from chatapp.companies.schemas import (
    CompanyAdminOut,
    CompanyOut,
    CompanyPatch,
    CompanySettingsOut,
    CustomDomainIn,
    CustomDomainOut,
    IdentitySecretOut,
)
from chatapp.conversations import visitor_identity

app = create_app("companies")


@app.get("/v1/companies/me", response_model=CompanyOut)
async def get_my_company(principal: CompanyReader) -> CompanyOut:
    return profile.get_own_company(principal)


@app.patch("/v1/companies/me", response_model=CompanyAdminOut, tags=[ADMIN])
async def update_my_company(body: CompanyPatch, principal: Authenticated) -> CompanyAdminOut:
    return profile.update_own_company(principal, body)


@app.get("/v1/companies/me/settings", response_model=CompanySettingsOut, tags=[ADMIN])
async def my_company_settings(principal: Authenticated) -> CompanySettingsOut:
    return profile.own_settings(principal)


@app.post("/v1/companies/me/identity-secret", status_code=201, response_model=IdentitySecretOut, tags=[ADMIN])
async def rotate_identity_secret(principal: Authenticated) -> IdentitySecretOut:
    """Generate (or replace) the secret the company's server signs widget identities with; shown once."""
    return visitor_identity.rotate_secret(principal)


@app.put("/v1/companies/me/custom-domain", response_model=CustomDomainOut, tags=[ADMIN])
async def set_custom_domain(body: CustomDomainIn, principal: Authenticated) -> CustomDomainOut:
    return profile.set_custom_domain(principal, body)


@app.post("/v1/companies/me/custom-domain/verify", response_model=CustomDomainOut, tags=[ADMIN])
async def verify_custom_domain(principal: Authenticated) -> CustomDomainOut:
    return profile.verify_custom_domain(principal)


@app.delete("/v1/companies/me/custom-domain", status_code=204, tags=[ADMIN])
async def remove_custom_domain(principal: Authenticated) -> Response:
    profile.remove_custom_domain(principal)
    return Response(status_code=204)


@app.get("/v1/companies/me/audit-logs", response_model=AuditPageOut, tags=[ADMIN])
async def audit_log(
    principal: Authenticated,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    action: Annotated[str | None, Query(max_length=100)] = None,
    resource_type: Annotated[str | None, Query(max_length=50)] = None,
) -> AuditPageOut:
    return audit_log_service.page(
        principal, limit=limit, cursor=cursor, action=action, resource_type=resource_type
    )


@app.get("/v1/companies/{company_id}", response_model=CompanyOut)
async def get_company(company_id: uuid.UUID, principal: CompanyReader) -> CompanyOut:
    return profile.get_company(principal, company_id)


handler = lambda_handler(app)
