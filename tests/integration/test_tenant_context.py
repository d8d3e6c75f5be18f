"""The tenant-context door: transaction-local settings that never outlive the transaction."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, exc, text

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


def test_a_pooled_connection_closed_while_idle_is_replaced(
    tenants: Tenants, app_engine: Engine, owner_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a thawed Lambda container meets: the proxy closed its idle connection. The pool pings a
    connection idle for longer than IDLE_BEFORE_PING_SECONDS and replaces a dead one unseen."""
    from chatapp.db import engine as engines

    context = TenantContext.company_service(tenants.a.company_id)
    with tenant_session(context) as db:
        first_pid = db.execute(text("SELECT pg_backend_pid()")).scalar()
    with owner_engine.connect() as owner:
        owner.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first_pid})
        owner.commit()

    monkeypatch.setattr(engines, "IDLE_BEFORE_PING_SECONDS", 0.0)
    with tenant_session(context) as db:
        second_pid = db.execute(text("SELECT pg_backend_pid()")).scalar()
        assert db.execute(text("SELECT count(*) FROM chatapp_agents")).scalar() == 1
    assert second_pid != first_pid


def test_only_a_connection_idle_for_a_while_is_pinged() -> None:
    """Pre-ping on every checkout cost a round trip several times per chat turn."""
    import time
    from types import SimpleNamespace

    from chatapp.db import engine as engines

    class Unreachable:
        def cursor(self) -> None:
            raise OSError("the server closed the connection")

    busy = SimpleNamespace(info={"idle_since": time.monotonic()})
    engines._ping_if_idle(Unreachable(), busy, None)  # not pinged, so nothing raised
    idle = SimpleNamespace(info={"idle_since": time.monotonic() - engines.IDLE_BEFORE_PING_SECONDS - 1})
    with pytest.raises(exc.DisconnectionError):
        engines._ping_if_idle(Unreachable(), idle, None)
