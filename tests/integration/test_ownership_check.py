"""The first wall: rows fetched by id are checked against the transaction's company in code, so
even a session that row-level security does not restrict cannot hand out another company's row."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from chatapp.db.models.agents import Agent
from chatapp.db.models.conversations import Conversation
from chatapp.db.ownership import TENANT_COMPANY, owned
from chatapp.db.tenancy import TenantContext, tenant_session
from tests.integration.tenant_data import Tenants


def test_owned_refuses_another_companys_row_even_without_rls(tenants: Tenants, owner_engine: Engine) -> None:
    with Session(owner_engine) as unrestricted:  # the owner bypasses row-level security
        assert unrestricted.get(Agent, tenants.a.agent_id) is not None
        unrestricted.info[TENANT_COMPANY] = tenants.b.company_id
        assert owned(unrestricted, Agent, tenants.a.agent_id) is None
        assert owned(unrestricted, Conversation, tenants.a.conversations["mine"]) is None
        assert owned(unrestricted, Agent, tenants.b.agent_id) is not None
        unrestricted.info[TENANT_COMPANY] = None  # the platform sees every company's rows
        assert owned(unrestricted, Agent, tenants.a.agent_id) is not None


def test_tenant_sessions_carry_their_company(tenants: Tenants) -> None:
    with tenant_session(TenantContext.company_service(tenants.a.company_id)) as db:
        assert db.info[TENANT_COMPANY] == tenants.a.company_id
        assert owned(db, Agent, tenants.a.agent_id) is not None
        assert owned(db, Agent, tenants.b.agent_id) is None
