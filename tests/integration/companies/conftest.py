"""Company administration tests: the master admin's companies API, branding and custom domains
(verified against a local DNS server that really answers TXT queries), and the purge job."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from chatapp.db.models.audit import AuditLog
from tests.integration.auth.conftest import AuthApi, Mailbox
from tests.integration.http import ApiClient, ApiResponse
from tests.integration.tenant_data import CompanyData, Tenants, create_company, create_platform_rows


def unique(label: str) -> str:
    return f"{label}-{uuid.uuid4().hex[:8]}"


def new_company(owner_engine: Engine, label: str = "Co") -> CompanyData:
    """A company of its own (admins, agents, conversations, ... in every tenant table): tests change
    and delete it without touching the shared tenants A and B."""
    with Session(owner_engine) as db, db.begin():
        return create_company(db, label, create_platform_rows(db))


@pytest.fixture
def company(owner_engine: Engine) -> CompanyData:
    return new_company(owner_engine)


class Master:
    """The master admin calling the console API."""

    def __init__(self, api: ApiClient, token: str) -> None:
        self.api, self.token = api, token

    def call(self, method: str, path: str, body: Any = None, **kwargs: Any) -> ApiResponse:
        return self.api.request(method, path, token=kwargs.pop("token", self.token), json_body=body, **kwargs)


@pytest.fixture
def master(api: ApiClient, tenants: Tenants) -> Master:
    return Master(api, tenants.master_admin_token)


@pytest.fixture(scope="session")
def mailbox(mail_sender: str) -> Mailbox:
    return Mailbox()


@pytest.fixture
def auth_api(migrated_database: str) -> AuthApi:
    return AuthApi()


def audit_entries(db: Session, company_id: uuid.UUID, action: str) -> list[AuditLog]:
    db.expire_all()
    return list(
        db.scalars(
            select(AuditLog)
            .where(AuditLog.company_id == company_id, AuditLog.action == action)
            .order_by(AuditLog.created_at)
        )
    )


def error_code(response: ApiResponse) -> str:
    return str(response.body["error"]["code"])
