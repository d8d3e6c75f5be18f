"""Companies as their members see them."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from chatapp.db.models.core import Company
from chatapp.db.tenancy import tenant_session
from chatapp.errors import NotFound
from chatapp.schemas.companies import CompanyOut
from chatapp.services.principals import Principal


def get_company(principal: Principal, company_id: uuid.UUID) -> CompanyOut:
    """A company the caller may see. Another tenant's company is indistinguishable from none."""
    with tenant_session(principal.context()) as db:
        company = db.scalar(select(Company).where(Company.id == company_id, Company.deleted_at.is_(None)))
        if company is None:
            raise NotFound("No such company.", code="company_not_found")
        return CompanyOut.model_validate(company)


def get_own_company(principal: Principal) -> CompanyOut:
    if principal.company_id is None:
        raise NotFound("Your account does not belong to a company.", code="company_not_found")
    return get_company(principal, principal.company_id)
