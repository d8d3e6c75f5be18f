"""Subscription tests: the lifecycle job with an explicit clock, plans and subscriptions through the
master admin API, reminder mail read back from moto's SES.

The job processes every subscription in the database, so these tests date their subscriptions in
the past (2023-2025): rows of other tests (dated from the real clock) are never due at those moments.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from chatapp.access.principals import Principal, PrincipalKind
from chatapp.db.enums import SubscriptionStatus
from chatapp.db.models.audit import AuditLog
from chatapp.db.models.billing import CompanySubscription, SubscriptionPlan
from chatapp.db.models.core import User
from chatapp.db.tenancy import ContextRole
from tests.integration.auth.conftest import Mailbox
from tests.integration.chat.conftest import builtin_packages
from tests.integration.http import ApiClient, ApiResponse
from tests.integration.tenant_data import CompanyData, Tenants, create_company

__all__ = ["builtin_packages"]


@pytest.fixture(scope="session")
def mailbox(mail_sender: str) -> Mailbox:
    return Mailbox()


@dataclass
class Subscribed:
    """A company and its one subscription, as the owner sees them (RLS bypassed for inspection)."""

    data: CompanyData
    subscription_id: uuid.UUID
    admin_email: str
    engine: Engine

    def row(self) -> CompanySubscription:
        with Session(self.engine) as db:
            row = db.get(CompanySubscription, self.subscription_id)
            assert row is not None
            db.expunge(row)
            return row

    def audit(self, prefix: str = "subscription.") -> list[AuditLog]:
        with Session(self.engine) as db:
            rows = db.scalars(
                select(AuditLog)
                .where(AuditLog.company_id == self.data.company_id, AuditLog.action.startswith(prefix))
                .order_by(AuditLog.created_at, AuditLog.details["at"].astext)  # a run's entries share a time
            ).all()
            db.expunge_all()
            return list(rows)


def new_plan(db: Session, cycle: str = "monthly", **values: Any) -> uuid.UUID:
    plan = SubscriptionPlan(
        slug=f"test-{cycle.replace('_', '-')}-{uuid.uuid4().hex[:8]}",
        name=f"Test {cycle}",
        base_price=Decimal("20.00"),
        billing_cycle=cycle,
        limits=values.pop("limits", {"agentCount": 3}),
        features=["web"],
        is_public=False,  # never the sign-up default
        **values,
    )
    db.add(plan)
    db.flush()
    return plan.id


def subscribed(
    engine: Engine,
    label: str,
    *,
    status: SubscriptionStatus,
    starts_at: datetime,
    expires_at: datetime,
    cycle: str = "monthly",
    **fields: Any,
) -> Subscribed:
    """A fresh company whose subscription has the given state (created by the fixture helper, then set)."""
    with Session(engine) as db, db.begin():
        data = create_company(db, label, new_plan(db, cycle))
        subscription_id = db.scalar(
            select(CompanySubscription.id).where(CompanySubscription.company_id == data.company_id)
        )
        db.execute(
            update(CompanySubscription)
            .where(CompanySubscription.id == subscription_id)
            .values(status=status, starts_at=starts_at, expires_at=expires_at, **fields)
        )
        admin_email = db.scalar(select(User.email).where(User.id == data.admin_id))
    assert subscription_id is not None and admin_email is not None
    return Subscribed(data, subscription_id, admin_email, engine)


def master_principal(tenants: Tenants) -> Principal:
    return Principal(
        kind=PrincipalKind.USER, id=tenants.master_admin_id, role=ContextRole.MASTER_ADMIN, company_id=None
    )


@dataclass
class MasterAdmin:
    api: ApiClient
    token: str

    def call(self, method: str, path: str, json_body: Any = None, **kwargs: Any) -> ApiResponse:
        return self.api.request(method, path, token=kwargs.pop("token", self.token), json_body=json_body)


@pytest.fixture
def master(api: ApiClient, tenants: Tenants) -> MasterAdmin:
    return MasterAdmin(api, tenants.master_admin_token)
