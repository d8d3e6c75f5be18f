"""The master admin's companies API: list, create, suspend, reactivate, delete and restore companies."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import Query

from chatapp.api.access import PLATFORM
from chatapp.api.app import create_app, lambda_handler
from chatapp.api.auth import Authenticated
from chatapp.platform import companies as admin_companies
from chatapp.platform.schemas import (
    REASON_LENGTH,
    AdminCompanyCreatedOut,
    AdminCompanyIn,
    AdminCompanyOut,
    AdminCompanyPageOut,
    ReasonIn,
    SuspendIn,
)

app = create_app("admin companies")
CompanyStatus = Literal["active", "suspended", "pending", "deleted"]


@app.get("/v1/admin/companies", response_model=AdminCompanyPageOut, tags=[PLATFORM])
async def list_companies(
    principal: Authenticated,
    status: CompanyStatus | None = None,
    search: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> AdminCompanyPageOut:
    return admin_companies.list_companies(principal, status=status, search=search, limit=limit, cursor=cursor)


@app.post("/v1/admin/companies", status_code=201, response_model=AdminCompanyCreatedOut, tags=[PLATFORM])
async def create_company(body: AdminCompanyIn, principal: Authenticated) -> AdminCompanyCreatedOut:
    return admin_companies.create_company(principal, body)


@app.get("/v1/admin/companies/{company_id}", response_model=AdminCompanyOut, tags=[PLATFORM])
async def get_company(company_id: uuid.UUID, principal: Authenticated) -> AdminCompanyOut:
    return admin_companies.get_company(principal, company_id)


@app.post("/v1/admin/companies/{company_id}/suspend", response_model=AdminCompanyOut, tags=[PLATFORM])
async def suspend(company_id: uuid.UUID, body: SuspendIn, principal: Authenticated) -> AdminCompanyOut:
    return admin_companies.suspend(principal, company_id, body.reason)


@app.post("/v1/admin/companies/{company_id}/reactivate", response_model=AdminCompanyOut, tags=[PLATFORM])
async def reactivate(
    company_id: uuid.UUID, principal: Authenticated, body: ReasonIn | None = None
) -> AdminCompanyOut:
    return admin_companies.reactivate(principal, company_id, body.reason if body else None)


@app.delete("/v1/admin/companies/{company_id}", response_model=AdminCompanyOut, tags=[PLATFORM])
async def delete_company(
    company_id: uuid.UUID,
    principal: Authenticated,
    reason: Annotated[str | None, Query(min_length=1, max_length=REASON_LENGTH)] = None,
) -> AdminCompanyOut:
    return admin_companies.delete_company(principal, company_id, reason)


@app.post("/v1/admin/companies/{company_id}/restore", response_model=AdminCompanyOut, tags=[PLATFORM])
async def restore(
    company_id: uuid.UUID, principal: Authenticated, body: ReasonIn | None = None
) -> AdminCompanyOut:
    return admin_companies.restore(principal, company_id, body.reason if body else None)


handler = lambda_handler(app)
