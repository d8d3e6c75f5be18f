from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from chatapp.db.enums import UserRole
from chatapp.db.models.core import User
from tests.integration.tenant_data import CompanyData, create_company, create_platform_rows


@dataclass
class Tenants:
    a: CompanyData
    b: CompanyData
    master_admin_id: uuid.UUID
    master_admin_token: str


@pytest.fixture(scope="session")
def tenants(owner_engine: Engine) -> Tenants:
    from tests.integration.tenant_data import _session_token

    with Session(owner_engine) as db, db.begin():
        plan_id = create_platform_rows(db)
        a = create_company(db, "A", plan_id)
        b = create_company(db, "B", plan_id)
        master = User(email=f"owner-{uuid.uuid4().hex[:6]}@buzzi.example", role=UserRole.MASTER_ADMIN)
        db.add(master)
        db.flush()
        tenants = Tenants(
            a=a, b=b, master_admin_id=master.id, master_admin_token=_session_token(db, master.id)
        )
    return tenants


@pytest.fixture
def owner_session(owner_engine: Engine) -> Iterator[Session]:
    with Session(owner_engine) as db:
        yield db


@pytest.fixture
def api(migrated_database: str) -> Any:
    """Calls the real handlers through the template's routes, as the local runner does."""
    from tests.integration.http import ApiClient

    return ApiClient()
