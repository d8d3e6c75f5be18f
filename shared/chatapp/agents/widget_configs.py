"""Widget settings: one configuration per agent, created with the agent and edited in the console."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from chatapp.access.authorization import require_permission
from chatapp.access.principals import Principal
from chatapp.agents.management import get_agent
from chatapp.agents.schemas import WidgetConfigIn, WidgetConfigOut
from chatapp.db.models.channels import WidgetConfig
from chatapp.db.tenancy import tenant_session
from chatapp.errors import NotFound


def widget_for_agent(db: Session, agent_id: uuid.UUID) -> WidgetConfig | None:
    return db.scalar(select(WidgetConfig).where(WidgetConfig.agent_id == agent_id))


def read_widget(principal: Principal, agent_id: uuid.UUID) -> WidgetConfigOut:
    with tenant_session(principal.context()) as db:
        agent = get_agent(db, agent_id)
        require_permission(principal, "agents", "read", agent.id)
        widget = widget_for_agent(db, agent.id)
        if widget is None:
            raise NotFound("This agent has no widget yet; save its settings first.", code="widget_not_found")
        return WidgetConfigOut.model_validate(widget)


def save_widget(principal: Principal, agent_id: uuid.UUID, data: WidgetConfigIn) -> WidgetConfigOut:
    """Create or update: only the fields sent change."""
    with tenant_session(principal.context()) as db:
        agent = get_agent(db, agent_id)
        require_permission(principal, "agents", "write", agent.id)
        widget = widget_for_agent(db, agent.id)
        if widget is None:
            widget = WidgetConfig(company_id=agent.company_id, agent_id=agent.id)
            db.add(widget)
        for field, value in data.model_dump(exclude_unset=True).items():
            setattr(widget, field, value)
        db.flush()
        db.refresh(widget)
        return WidgetConfigOut.model_validate(widget)
