"""Company endpoints for console users and API keys: the caller's own company, or one by id."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Query

from chatapp.api.access import ADMIN
from chatapp.api.app import create_app, lambda_handler
from chatapp.api.auth import Authenticated
from chatapp.schemas.audit import AuditPageOut
from chatapp.schemas.companies import CompanyOut
from chatapp.services import audit_log as audit_log_service
from chatapp.services import companies

app = create_app("companies")


@app.get("/v1/companies/me", response_model=CompanyOut)
async def get_my_company(principal: Authenticated) -> CompanyOut:
    return companies.get_own_company(principal)


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
async def get_company(company_id: uuid.UUID, principal: Authenticated) -> CompanyOut:
    return companies.get_company(principal, company_id)


handler = lambda_handler(app)
