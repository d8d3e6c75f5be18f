"""The tenant-context door: transaction-local settings that never outlive the transaction."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text

from chatapp.db.tenancy import ContextRole, TenantContext, system_session, tenant_session
from tests.integration.tenant_data import Tenants

_SETTINGS = text(
    "SELECT pg_backend_pid() AS pid, current_setting('app.current_company_id', true) AS company,"
    " current_setting('app.current_user_id', true) AS user_id, current_setting('app.user_role', true) AS role"
)


def test_pooled_connection_carries_no_tenant_settings(tenants: Tenants, app_engine: Engine) -> None:
    context = TenantContext(
        role=ContextRole.COMPANY_ADMIN, company_id=tenants.a.company_id, user_id=tenants.a.admin_id
    )
    with tenant_session(context) as db:
        inside = db.execute(_SETTINGS).one()
        assert inside.company == str(tenants.a.company_id)
        assert db.execute(text("SELECT count(*) FROM chatapp_agents")).scalar() == 1

    with app_engine.connect() as connection:
        after = connection.execute(_SETTINGS).one()
        leaked = connection.execute(text("SELECT count(*) FROM chatapp_agents")).scalar()
    assert after.pid == inside.pid, "the pool should hand back the same connection"
    assert (after.company, after.user_id, after.role) in {("", "", ""), (None, None, None)}
    assert leaked == 0


def test_one_connection_across_two_tenants_sees_each_tenant_only(tenants: Tenants) -> None:
    seen = {}
    pids = set()
    for data in (tenants.a, tenants.b):
        context = TenantContext(
            role=ContextRole.COMPANY_ADMIN, company_id=data.company_id, user_id=data.admin_id
        )
        with tenant_session(context) as db:
            pids.add(db.execute(text("SELECT pg_backend_pid()")).scalar())
            seen[data.label] = {r[0] for r in db.execute(text("SELECT company_id FROM chatapp_agents"))}
    assert len(pids) == 1
    assert seen == {"A": {tenants.a.company_id}, "B": {tenants.b.company_id}}


def test_failed_transaction_rolls_back_and_leaves_no_context(tenants: Tenants, app_engine: Engine) -> None:
    context = TenantContext(
        role=ContextRole.COMPANY_ADMIN, company_id=tenants.a.company_id, user_id=tenants.a.admin_id
    )
    with pytest.raises(RuntimeError), tenant_session(context) as db:
        db.execute(text("UPDATE chatapp_agents SET name = 'half-written'"))
        raise RuntimeError("boom")
    with tenant_session(context) as db:
        assert (
            db.execute(text("SELECT count(*) FROM chatapp_agents WHERE name = 'half-written'")).scalar() == 0
        )
    with app_engine.connect() as connection:
        assert connection.execute(_SETTINGS).one().role in ("", None)


def test_contexts_are_validated() -> None:
    with pytest.raises(ValueError, match="needs a company"):
        TenantContext(role=ContextRole.COMPANY_ADMIN)
    with pytest.raises(ValueError, match="system_session"):
        TenantContext(role=ContextRole.SYSTEM)


def test_system_session_sets_the_system_role(tenants: Tenants) -> None:
    with system_session("test") as db:
        assert db.execute(_SETTINGS).one().role == "system"
