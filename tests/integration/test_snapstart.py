"""SnapStart: after a restore, the chat function's next query runs on a freshly opened connection."""

from __future__ import annotations

from sqlalchemy import text

from chatapp.db.tenancy import TenantContext, tenant_session
from chatapp.snapstart import run_after_restore_hooks
from devtools.template import functions
from tests.integration.tenant_data import Tenants


def _backend_pid(context: TenantContext) -> int:
    with tenant_session(context) as db:
        return int(db.execute(text("SELECT pg_backend_pid()")).scalar_one())


def test_the_after_restore_hook_replaces_pooled_connections(tenants: Tenants) -> None:
    chat = next(spec for spec in functions() if spec.logical_id == "ChatFunction")
    chat.load_handler()  # importing the function registers its hook, as Lambda's init does
    context = TenantContext.company_service(tenants.a.company_id)
    before = _backend_pid(context)
    assert _backend_pid(context) == before  # warm: the pool hands back the same connection
    run_after_restore_hooks()
    after = _backend_pid(context)
    assert after != before
    with tenant_session(context) as db:  # and the restored process still queries normally
        assert db.execute(text("SELECT count(*) FROM chatapp_agents")).scalar_one() >= 1
