"""Usage is counted per calendar month (UTC), whatever the billing cycle: on an annual plan, last
month's messages do not count against this month's allowance."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, insert, update
from sqlalchemy.orm import Session

from chatapp.billing.usage import messages_this_month, usage_period
from chatapp.db.enums import SubscriptionStatus as S
from chatapp.db.models.billing import CompanySubscription, UsageRecord
from chatapp.db.tenancy import TenantContext, tenant_session
from tests.integration.billing.conftest import new_plan, subscribed
from tests.integration.chat.conftest import open_shop
from tests.integration.stack import LocalAws


def test_messages_count_per_calendar_month_on_an_annual_plan(owner_engine: Engine) -> None:
    starts = datetime(2024, 3, 15, tzinfo=UTC)
    company = subscribed(
        owner_engine,
        "Annual",
        status=S.ACTIVE,
        starts_at=starts,
        expires_at=starts.replace(year=2025),
        cycle="annual",
    ).data
    may, june = (
        usage_period(datetime(2024, 5, 20, tzinfo=UTC)),
        usage_period(datetime(2024, 6, 1, tzinfo=UTC)),
    )
    with Session(owner_engine) as db, db.begin():
        db.execute(
            insert(UsageRecord),
            [
                {
                    "company_id": company.company_id,
                    "agent_id": company.agent_id,
                    "period_start": may[0],
                    "period_end": may[1],
                    "message_count": 120,
                },
                {
                    "company_id": company.company_id,
                    "agent_id": None,
                    "period_start": may[0],
                    "period_end": may[1],
                    "message_count": 30,
                },
                {
                    "company_id": company.company_id,
                    "agent_id": company.agent_id,
                    "period_start": june[0],
                    "period_end": june[1],
                    "message_count": 7,
                },
            ],
        )
    with tenant_session(TenantContext.company_service(company.company_id)) as db:
        assert messages_this_month(db, company.company_id, datetime(2024, 5, 1, tzinfo=UTC)) == 150
        assert (
            messages_this_month(db, company.company_id, datetime(2024, 5, 31, 23, 59, 59, tzinfo=UTC)) == 150
        )
        assert messages_this_month(db, company.company_id, datetime(2024, 6, 1, tzinfo=UTC)) == 7
        assert messages_this_month(db, company.company_id, datetime(2024, 7, 1, tzinfo=UTC)) == 0


def test_the_widget_allowance_resets_with_the_month_not_the_annual_period(
    owner_engine: Engine, local_aws: LocalAws, builtin_packages: None
) -> None:
    shop = open_shop(owner_engine, local_aws, "Yearly")
    company_id = shop.tenant.data.company_id
    now = datetime.now(UTC)
    this_month, _ = usage_period(now)
    last_month = usage_period(this_month - timedelta(days=1))
    with Session(owner_engine) as db, db.begin():
        annual = new_plan(db, "annual", limits={"messagesPerMonth": 50})
        db.execute(
            update(CompanySubscription)
            .where(CompanySubscription.company_id == company_id)
            .values(plan_id=annual, starts_at=now - timedelta(days=200), expires_at=now + timedelta(days=165))
        )
        db.execute(
            insert(UsageRecord).values(
                company_id=company_id,
                agent_id=None,
                period_start=last_month[0],
                period_end=last_month[1],
                message_count=50,
            )
        )
    visitor = shop.visit()
    assert visitor.send("Is this month still open?").status == 200  # last month's 50 do not count

    with Session(owner_engine) as db, db.begin():
        counted = db.execute(
            update(UsageRecord)
            .where(UsageRecord.company_id == company_id, UsageRecord.period_start == this_month)
            .values(message_count=50)  # this month's allowance used up
        )
        assert counted.rowcount == 1, "the message was counted in this month's row"
    refused = visitor.send("And now?")
    assert refused.status == 402 and refused.body["error"]["code"] == "message_limit_reached"
