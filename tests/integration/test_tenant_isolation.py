"""Row-level security, proven against the real database as the application role.

Tables are enumerated from the models' metadata, so a new table without a policy (or
without fixture rows) fails here rather than leaking in production.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from psycopg import errors as pg_errors
from sqlalchemy import Engine, Enum, String, Table, and_, func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from chatapp.db.models.registry import metadata
from chatapp.db.policies import TABLE_POLICIES, Access
from chatapp.db.tenancy import ContextRole, TenantContext, system_session, tenant_session
from tests.integration.tenant_data import Tenants

TABLES = sorted(metadata.tables.values(), key=lambda t: t.name)
COMPANY_DATA = {
    Access.COMPANY,
    Access.COMPANY_READ_ONLY,
    Access.CONVERSATIONS,
    Access.VIA_CONVERSATION,
    Access.COMPANY_VIA_CONVERSATION,
    Access.VIA_AGENT,
    Access.USERS,
    Access.COMPANY_ROOT,
}


def _access(table: Table) -> Access:
    assert table.name in TABLE_POLICIES, (
        f"{table.name} has no row-level security policy in chatapp.db.policies"
    )
    return TABLE_POLICIES[table.name].access


def _pk(table: Table) -> str:
    return ", ".join(c.name for c in table.primary_key.columns)


def _ownership_filter(table: Table) -> str:
    """SQL that selects the rows of company :company, following foreign keys to a company_id."""
    if table.name == "chatapp_companies":
        return "id = :company"
    if "company_id" in table.c:
        return "company_id = :company"
    for fk in sorted(table.foreign_keys, key=lambda fk: fk.parent.name):
        parent = fk.column.table
        if fk.parent.nullable:
            continue  # optional references (e.g. a message's sender) do not decide ownership
        if "company_id" in parent.c:
            return f"{fk.parent.name} IN (SELECT id FROM {parent.name} WHERE company_id = :company)"
    raise AssertionError(f"cannot tell which company owns rows of {table.name}")


def _keys(connection: Any, sql: str, params: dict[str, Any] | None = None) -> set[tuple[Any, ...]]:
    return {tuple(row) for row in connection.execute(text(sql), params or {})}


@pytest.fixture(autouse=True)
def _undelivered_inbox_events(tenants: Tenants, owner_session: Session) -> None:
    """The outbox relay (a test, or the runner's schedule in browser tests) sweeps every company's
    leftovers: put one back for each company before each check."""
    for company_id in (tenants.a.company_id, tenants.b.company_id):
        owner_session.execute(
            text(
                "INSERT INTO chatapp_realtime_outbox (company_id, event_type, payload) "
                "SELECT :c, 'presence', '{}' WHERE NOT EXISTS "
                "(SELECT 1 FROM chatapp_realtime_outbox WHERE company_id = :c)"
            ),
            {"c": company_id},
        )
    owner_session.commit()


def _owned(owner: Session, table: Table, company_id: uuid.UUID) -> set[tuple[Any, ...]]:
    return _keys(
        owner,
        f"SELECT {_pk(table)} FROM {table.name} WHERE {_ownership_filter(table)}",
        {"company": company_id},
    )


def _visible(context: TenantContext, table: Table) -> set[tuple[Any, ...]]:
    with tenant_session(context) as db:
        return _keys(db, f"SELECT {_pk(table)} FROM {table.name}")  # no WHERE: RLS alone decides


def _own_user_rows(owner: Session, table: Table, user_id: uuid.UUID) -> set[tuple[Any, ...]]:
    return _keys(owner, f"SELECT {_pk(table)} FROM {table.name} WHERE user_id = :u", {"u": user_id})


def test_every_table_has_a_policy_and_rls_is_forced(owner_session: Session) -> None:
    assert set(TABLE_POLICIES) == set(metadata.tables), "policies and tables must match one to one"
    rows = owner_session.execute(
        text(
            "SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class "
            "WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace AND relname LIKE 'chatapp\\_%'"
        )
    ).all()
    assert {r.relname for r in rows} == set(metadata.tables)
    assert all(r.relrowsecurity and r.relforcerowsecurity for r in rows), rows
    policy_tables = {r[0] for r in owner_session.execute(text("SELECT DISTINCT tablename FROM pg_policies"))}
    assert set(metadata.tables) <= policy_tables


def test_application_role_cannot_bypass_rls(owner_session: Session, app_engine: Engine) -> None:
    with app_engine.connect() as connection:
        role = connection.scalar(text("SELECT current_user"))
    attributes = owner_session.execute(
        text("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = :r"), {"r": role}
    ).one()
    assert (attributes.rolsuper, attributes.rolbypassrls) == (False, False)
    owners = {
        r[0]
        for r in owner_session.execute(
            text("SELECT DISTINCT tableowner FROM pg_tables WHERE tablename LIKE 'chatapp\\_%'")
        )
    }
    assert role not in owners


@pytest.mark.parametrize("table", TABLES, ids=lambda t: t.name)
def test_company_admin_sees_only_own_company_rows(
    table: Table, tenants: Tenants, owner_session: Session
) -> None:
    access = _access(table)
    context = TenantContext(
        role=ContextRole.COMPANY_ADMIN, company_id=tenants.a.company_id, user_id=tenants.a.admin_id
    )
    visible = _visible(context, table)
    if access in COMPANY_DATA:
        mine, theirs = (
            _owned(owner_session, table, tenants.a.company_id),
            _owned(owner_session, table, tenants.b.company_id),
        )
        assert mine and theirs, f"fixtures must put rows of both companies in {table.name}"
        assert visible == mine
    elif access is Access.OWN_USER:
        assert visible == _own_user_rows(owner_session, table, tenants.a.admin_id)
    elif access is Access.CATALOGUE:
        assert visible == _keys(owner_session, f"SELECT {_pk(table)} FROM {table.name}") != set()
    else:
        assert access is Access.SYSTEM_ONLY
        assert visible == set()


@pytest.mark.parametrize("table", TABLES, ids=lambda t: t.name)
def test_no_context_sees_no_rows(
    table: Table, tenants: Tenants, app_engine: Engine, owner_session: Session
) -> None:
    assert _keys(owner_session, f"SELECT {_pk(table)} FROM {table.name}"), f"no fixture rows in {table.name}"
    with app_engine.connect() as connection:
        assert _keys(connection, f"SELECT {_pk(table)} FROM {table.name}") == set()


@pytest.mark.parametrize("table", TABLES, ids=lambda t: t.name)
def test_master_admin_sees_every_company(table: Table, tenants: Tenants, owner_session: Session) -> None:
    access = _access(table)
    context = TenantContext(role=ContextRole.MASTER_ADMIN, user_id=tenants.master_admin_id)
    visible = _visible(context, table)
    everything = _keys(owner_session, f"SELECT {_pk(table)} FROM {table.name}")
    if access is Access.OWN_USER:
        assert visible == _own_user_rows(owner_session, table, tenants.master_admin_id)
    elif access is Access.SYSTEM_ONLY:
        assert visible == set()
    else:
        assert visible == everything


@pytest.mark.parametrize("table", TABLES, ids=lambda t: t.name)
def test_system_context_sees_everything(table: Table, tenants: Tenants, owner_session: Session) -> None:
    with system_session("test: the system context spans tenants") as db:
        visible = _keys(db, f"SELECT {_pk(table)} FROM {table.name}")
    assert visible == _keys(owner_session, f"SELECT {_pk(table)} FROM {table.name}")


def _clone(table: Table, row: dict[str, Any]) -> dict[str, Any]:
    """Another company's row with fresh identity, so only RLS (not a unique key) can refuse it."""
    clone = {k: v for k, v in row.items() if table.c[k].computed is None}  # generated columns are derived
    unique_columns = {c for c in table.columns if c.unique}
    for index in table.indexes:
        if index.unique:
            unique_columns.update(index.columns)
    for constraint in table.constraints:
        if constraint.__class__.__name__ == "UniqueConstraint":
            unique_columns.update(constraint.columns)  # type: ignore[attr-defined]
    for column in unique_columns | set(table.primary_key.columns):
        if column.name == "id":
            clone["id"] = uuid.uuid4()
        elif isinstance(column.type, String) and not isinstance(column.type, Enum):  # enums keep their value
            clone[column.name] = uuid.uuid4().hex[: column.type.length or 32]
    return clone


WRITABLE_COMPANY_TABLES = [t for t in TABLES if TABLE_POLICIES[t.name].access in COMPANY_DATA]


@pytest.mark.parametrize("table", WRITABLE_COMPANY_TABLES, ids=lambda t: t.name)
def test_writing_another_companys_rows_is_refused(
    table: Table, tenants: Tenants, owner_session: Session
) -> None:
    theirs = (
        owner_session.execute(
            text(f"SELECT * FROM {table.name} WHERE {_ownership_filter(table)} LIMIT 1"),
            {"company": tenants.b.company_id},
        )
        .mappings()
        .one()
    )
    context = TenantContext(
        role=ContextRole.COMPANY_ADMIN, company_id=tenants.a.company_id, user_id=tenants.a.admin_id
    )
    with pytest.raises(DBAPIError) as refused, tenant_session(context) as db:
        db.execute(table.insert().values(**_clone(table, dict(theirs))))
    assert isinstance(refused.value.orig, pg_errors.InsufficientPrivilege)

    # Updates and deletes aimed at the other company's rows touch nothing.
    keys = table.primary_key.columns.values()  # composite keys too (term statistics)
    row = and_(*(key == theirs[key.name] for key in keys))
    with tenant_session(context) as db:
        updated = db.execute(table.update().where(row).values({keys[0].name: theirs[keys[0].name]}))
        deleted = db.execute(table.delete().where(row))
        assert (updated.rowcount, deleted.rowcount) == (0, 0)
    assert owner_session.execute(select(func.count()).select_from(table).where(row)).scalar() == 1


def test_company_admin_of_b_reads_none_of_as_conversations(tenants: Tenants) -> None:
    context = TenantContext(
        role=ContextRole.COMPANY_ADMIN, company_id=tenants.b.company_id, user_id=tenants.b.admin_id
    )
    with tenant_session(context) as db:
        seen = {r[0] for r in db.execute(text("SELECT id FROM chatapp_conversations"))}
        lookup = db.execute(
            text("SELECT id FROM chatapp_conversations WHERE id = :id"),
            {"id": tenants.a.conversations["unassigned"]},
        ).all()
    assert seen == set(tenants.b.conversations.values())
    assert lookup == []


def test_support_agent_sees_assigned_and_unassigned_conversations_of_own_company(tenants: Tenants) -> None:
    context = TenantContext(
        role=ContextRole.SUPPORT_AGENT, company_id=tenants.a.company_id, user_id=tenants.a.support_agent_id
    )
    expected = {tenants.a.conversations["mine"], tenants.a.conversations["unassigned"]}
    with tenant_session(context) as db:
        conversations = {r[0] for r in db.execute(text("SELECT id FROM chatapp_conversations"))}
        message_parents = {r[0] for r in db.execute(text("SELECT conversation_id FROM chatapp_messages"))}
        note_parents = {
            r[0] for r in db.execute(text("SELECT conversation_id FROM chatapp_conversation_notes"))
        }
        escalation_parents = {
            r[0] for r in db.execute(text("SELECT conversation_id FROM chatapp_escalations"))
        }
    assert conversations == expected
    assert message_parents == expected
    assert note_parents == expected
    assert escalation_parents == expected
    # B's unassigned conversation stays invisible: the support-agent policy narrows isolation.
    assert tenants.b.conversations["unassigned"] not in conversations


def test_support_agent_cannot_take_a_colleagues_conversation(tenants: Tenants) -> None:
    context = TenantContext(
        role=ContextRole.SUPPORT_AGENT, company_id=tenants.a.company_id, user_id=tenants.a.support_agent_id
    )
    with tenant_session(context) as db:
        result = db.execute(
            text("UPDATE chatapp_conversations SET assigned_agent_id = :me WHERE id = :id"),
            {"me": tenants.a.support_agent_id, "id": tenants.a.conversations["theirs"]},
        )
        assert result.rowcount == 0


def test_tenant_cannot_write_its_own_subscription(tenants: Tenants) -> None:
    context = TenantContext(
        role=ContextRole.COMPANY_ADMIN, company_id=tenants.a.company_id, user_id=tenants.a.admin_id
    )
    with tenant_session(context) as db:
        visible = db.execute(text("SELECT id FROM chatapp_company_subscriptions")).all()
        updated = db.execute(
            text("UPDATE chatapp_company_subscriptions SET expires_at = expires_at + interval '1 year'")
        )
    assert len(visible) == 1
    assert updated.rowcount == 0
