"""Idempotent seed data for local use: plans, and a demo company ready to chat.

Runs through the application's own system context (row-level security on), and upserts by
natural keys (slugs, e-mails) so running it again changes nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from chatapp.analytics.rollup import rollup_date
from chatapp.db.enums import AgentStatus, SubscriptionStatus, UserRole
from chatapp.db.models.agents import Agent
from chatapp.db.models.billing import CompanySubscription, SubscriptionPlan
from chatapp.db.models.channels import WidgetConfig
from chatapp.db.models.core import Company, User
from chatapp.db.tenancy import system_session
from devtools.seed_history import seed_history

PLANS: list[dict[str, Any]] = [
    {
        "slug": "starter",
        "name": "Starter",
        "base_price": Decimal("49.00"),
        "limits": {
            "messagesPerMonth": 2000,
            "agentCount": 1,
            "supportSeats": 2,
            "storageGb": 1,
            "attachmentStorageGb": 1,
            "maxFileSize": 10 * 1024 * 1024,
            "apiRateLimit": 60,
            "knowledgeCategories": 5,
            "testRunsPerMonth": 5,
        },
        "features": ["web"],
    },
    {
        "slug": "growth",
        "name": "Growth",
        "base_price": Decimal("199.00"),
        "limits": {
            "messagesPerMonth": 20000,
            "agentCount": 5,
            "supportSeats": 10,
            "storageGb": 10,
            "attachmentStorageGb": 5,
            "maxFileSize": 50 * 1024 * 1024,
            "apiRateLimit": 300,
            "knowledgeCategories": 20,
            "testRunsPerMonth": 50,
            "webSourcePages": 1000,
        },
        "features": [
            "web",
            "whatsapp",
            "telegram",
            "messenger",
            "instagram",
            "slack",
            "analytics_advanced",
            "webSources",
        ],
    },
    {
        "slug": "enterprise",
        "name": "Enterprise",
        "base_price": Decimal("999.00"),
        "limits": {
            "messagesPerMonth": 250000,
            "agentCount": 50,
            "supportSeats": 100,
            "storageGb": 100,
            "attachmentStorageGb": 25,
            "maxFileSize": 200 * 1024 * 1024,
            "apiRateLimit": 1000,
            "knowledgeCategories": 200,
            "testRunsPerMonth": 500,
            "webSourcePages": 20000,
        },
        "features": [
            "web",
            "whatsapp",
            "telegram",
            "messenger",
            "instagram",
            "slack",
            "teams",
            "voice",
            "analytics_advanced",
            "webSources",
        ],
    },
]

DEMO_COMPANY_SLUG = "demo"
DEMO_USERS = {
    "owner@buzzi.example": ("Platform Owner", UserRole.MASTER_ADMIN, False),
    "admin@demo.buzzi.example": ("Dana Admin", UserRole.COMPANY_ADMIN, True),
    "agent@demo.buzzi.example": ("Sam Support", UserRole.SUPPORT_AGENT, True),
}


@dataclass(frozen=True)
class SeedResult:
    company_id: uuid.UUID
    agent_id: uuid.UUID
    users: dict[str, uuid.UUID]


def _upsert(db: Session, model: type, key: str, values: dict[str, Any]) -> uuid.UUID:
    db.execute(insert(model).values(**values).on_conflict_do_nothing(index_elements=[key]))
    found: uuid.UUID = db.scalar(select(model.id).where(getattr(model, key) == values[key]))
    return found


# The local runner's own pages (/demo, the console's preview) on any port: see agents/origins.py.
DEMO_WIDGET_ORIGINS = ["127.0.0.1", "localhost"]
_EARLIER_DEMO_WIDGET_ORIGINS = ["http://127.0.0.1:3000", "http://localhost:3000"]


def seed(*, with_packages: bool = False) -> SeedResult:
    """Idempotent demo data. `with_packages` also publishes the built-in agent packages to (local) S3."""
    if with_packages:
        from chatapp.agents.package_catalogue import publish_builtin_packages

        publish_builtin_packages()
    with system_session("seed local data") as db:
        plan_ids = {
            plan["slug"]: _upsert(db, SubscriptionPlan, "slug", {**plan, "billing_cycle": "monthly"})
            for plan in PLANS
        }
        company_id = _upsert(
            db,
            Company,
            "slug",
            {
                "slug": DEMO_COMPANY_SLUG,
                "name": "Demo Co",
                "description": "A demo tenant for local use",
                "require_identity_verification": True,  # as every new company
            },
        )
        users = {
            email: _upsert(
                db,
                User,
                "email",
                {
                    "email": email,
                    "name": name,
                    "role": role,
                    "company_id": company_id if in_company else None,
                },
            )
            for email, (name, role, in_company) in DEMO_USERS.items()
        }
        if (
            db.scalar(select(CompanySubscription.id).where(CompanySubscription.company_id == company_id))
            is None
        ):
            now = datetime.now(UTC)
            db.add(
                CompanySubscription(
                    company_id=company_id,
                    plan_id=plan_ids["growth"],
                    status=SubscriptionStatus.ACTIVE,
                    starts_at=now,
                    expires_at=now + timedelta(days=30),
                )
            )
        agent_id = db.scalar(
            select(Agent.id).where(Agent.company_id == company_id, Agent.name == "Demo Assistant")
        )
        if agent_id is None:
            agent = Agent(
                company_id=company_id,
                name="Demo Assistant",
                status=AgentStatus.ACTIVE,
                description="Answers questions about Demo Co",
                personality="Friendly and concise.",
            )
            db.add(agent)
            db.flush()
            agent_id = agent.id
        widget = db.scalar(select(WidgetConfig).where(WidgetConfig.agent_id == agent_id))
        if widget is not None and widget.allowed_domains == _EARLIER_DEMO_WIDGET_ORIGINS:
            widget.allowed_domains = DEMO_WIDGET_ORIGINS  # a database seeded before any port was allowed
        if widget is None:
            db.add(
                WidgetConfig(
                    company_id=company_id,
                    agent_id=agent_id,
                    title="Demo Co",
                    subtitle="We usually answer right away",
                    welcome_message="Hi! I'm the Demo Assistant. Ask me anything about Demo Co.",
                    allowed_domains=DEMO_WIDGET_ORIGINS,  # the local runner's own pages
                )
            )
        history = seed_history(db, company_id, agent_id)
    for day in history:  # what the nightly analytics job would have done on each of those days
        rollup_date(day, company_id)
    return SeedResult(company_id=company_id, agent_id=agent_id, users=users)
