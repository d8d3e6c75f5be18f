"""Company endpoints for console users and API keys: the caller's own company, or one by id."""

from __future__ import annotations

import uuid

from chatapp.api.app import create_app, lambda_handler
from chatapp.api.auth import Authenticated
from chatapp.schemas.companies import CompanyOut
from chatapp.services import companies

app = create_app("companies")


@app.get("/v1/companies/me", response_model=CompanyOut)
async def get_my_company(principal: Authenticated) -> CompanyOut:
    return companies.get_own_company(principal)


@app.get("/v1/companies/{company_id}", response_model=CompanyOut)
async def get_company(company_id: uuid.UUID, principal: Authenticated) -> CompanyOut:
    return companies.get_company(principal, company_id)


handler = lambda_handler(app)
