"""The counter functions let tenant transactions add to platform counters, and nothing more."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from chatapp.access import rate_limits
from chatapp.billing import usage
from chatapp.db.models.audit import RateLimitRecord
from chatapp.db.models.billing import UsageRecord
from chatapp.db.tenancy import TenantContext, tenant_session
from tests.integration.tenant_data import Tenants


def _context(tenants: Tenants) -> TenantContext:
    return TenantContext.company_service(tenants.a.company_id)


def test_a_tenant_meters_its_own_usage_inside_its_transaction(
    tenants: Tenants, owner_session: Session
) -> None:
    agent = uuid.uuid4()  # an agent-less bucket is enough to see the arithmetic
    start, _ = usage.usage_period()
    with tenant_session(_context(tenants)) as db:
        usage.record(
            db, tenants.a.company_id, None, messages=2, ai_responses=1, tokens=30, cost=Decimal("0.5")
        )
        usage.record(db, tenants.a.company_id, None, messages=1, tokens=5)
        # The role is back to the tenant's after the call: platform rows stay out of reach.
        assert db.execute(text("SELECT chatapp_current_role()")).scalar_one() == "company_service"
        assert db.execute(select(RateLimitRecord)).first() is None
    row = owner_session.scalar(
        select(UsageRecord).where(
            UsageRecord.company_id == tenants.a.company_id,
            UsageRecord.agent_id.is_(None),
            UsageRecord.period_start == start,
        )
    )
    assert row is not None and row.message_count >= 3 and row.token_count >= 35
    del agent


def test_a_rolled_back_turn_takes_its_usage_with_it(tenants: Tenants, owner_session: Session) -> None:
    start, _ = usage.usage_period()

    def messages() -> int:
        owner_session.expire_all()
        value = owner_session.scalar(
            select(UsageRecord.message_count).where(
                UsageRecord.company_id == tenants.b.company_id,
                UsageRecord.agent_id.is_(None),
                UsageRecord.period_start == start,
            )
        )
        return value or 0

    before = messages()
    with (
        pytest.raises(RuntimeError),
        tenant_session(TenantContext.company_service(tenants.b.company_id)) as db,
    ):
        usage.record(db, tenants.b.company_id, None, messages=5)
        raise RuntimeError("the turn failed")
    assert messages() == before


def test_usage_cannot_be_metered_for_another_company_or_decreased(tenants: Tenants) -> None:
    with pytest.raises(DBAPIError, match="current company only"), tenant_session(_context(tenants)) as db:
        usage.record(db, tenants.b.company_id, None, messages=1)
    with pytest.raises(DBAPIError, match="only grows"), tenant_session(_context(tenants)) as db:
        usage.record(db, tenants.a.company_id, None, messages=-10)


def test_rate_limits_count_from_a_tenant_transaction(tenants: Tenants) -> None:
    key = f"test:{uuid.uuid4()}"
    with tenant_session(_context(tenants)) as db:
        windows = rate_limits.count_hits([rate_limits.Limit(key, 2), rate_limits.Limit(key + ":b", 9)], db=db)
        assert [w.count for w in windows] == [1, 1]
        assert db.execute(select(RateLimitRecord)).first() is None  # still system-only to read
    rate_limits.enforce(rate_limits.Limit(key, 2))
    with pytest.raises(rate_limits.RateLimited):
        rate_limits.enforce(rate_limits.Limit(key, 2))
