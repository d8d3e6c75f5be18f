"""Agents: the console's CRUD, with master-admin-only fields kept away from company admins.

Company admins configure voice, knowledge, tools, escalation and hours; the system prompt, the
LLM settings and the package an agent runs are the platform's (design section 3.2), so they are
neither accepted from nor shown to anyone but master admins.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from chatapp.access.authorization import has_permission, require_permission
from chatapp.access.principals import Principal
from chatapp.agent_runtime.packages import PackageError, check_package_url
from chatapp.agents.schemas import (
    AdminAgentIn,
    AdminAgentOut,
    AdminAgentPatch,
    AgentIn,
    AgentOut,
    AgentPatch,
)
from chatapp.billing.quotas import agents_in_use, effective_limits, require_room
from chatapp.config import get_settings
from chatapp.db.enums import AgentStatus
from chatapp.db.models.agents import Agent, AgentPackage
from chatapp.db.models.channels import WidgetConfig
from chatapp.db.ownership import owned
from chatapp.db.tenancy import ContextRole, tenant_session
from chatapp.errors import Forbidden, InvalidInput, NotFound

_ADMIN_ONLY = {"system_prompt", "llm_config", "package_id", "custom_package_url", "custom_package_hash"}
_JSON_FIELDS = {
    "response_style",
    "rag_config",
    "escalation_rules",
    "business_hours",
    "fallback_responses",
    "llm_config",
}


def get_agent(db: Session, agent_id: uuid.UUID) -> Agent:
    """The agent, if it exists, is not deleted and the session's tenant context can see it."""
    agent = owned(db, Agent, agent_id)
    if agent is None or agent.deleted_at is not None:
        raise NotFound("No such agent.", code="agent_not_found")
    return agent


def is_platform(principal: Principal) -> bool:
    return principal.role is ContextRole.MASTER_ADMIN


def present(principal: Principal, agent: Agent) -> AgentOut:
    view = AdminAgentOut if is_platform(principal) else AgentOut
    return view.model_validate(agent)


def list_agents(principal: Principal, *, include_archived: bool = False) -> list[AgentOut]:
    with tenant_session(principal.context()) as db:
        query = select(Agent).where(Agent.deleted_at.is_(None)).order_by(Agent.created_at)
        if not include_archived:
            query = query.where(Agent.status != AgentStatus.ARCHIVED)
        agents = db.scalars(query).all()
        return [
            present(principal, agent)
            for agent in agents
            if has_permission(principal, "agents", "read", agent.id)
        ]


def read_agent(principal: Principal, agent_id: uuid.UUID) -> AgentOut:
    with tenant_session(principal.context()) as db:
        agent = get_agent(db, agent_id)
        require_permission(principal, "agents", "read", agent.id)
        return present(principal, agent)


def create_agent(principal: Principal, data: AgentIn, company_id: uuid.UUID | None = None) -> AgentOut:
    require_permission(principal, "agents", "write")
    _refuse_admin_fields(principal, data)
    if principal.company_id is not None and company_id not in (None, principal.company_id):
        raise NotFound("No such company.", code="company_not_found")
    company_id = principal.company_id or company_id
    if company_id is None:
        raise InvalidInput("Say which company the agent belongs to.", code="company_required")
    with tenant_session(principal.context()) as db:
        limits = effective_limits(db, company_id)
        require_room(
            db,
            limits,
            "agentCount",
            used=agents_in_use(db, company_id),
            code="agent_limit_reached",
            what=f"Your plan allows {limits.number('agentCount')} agents. Archive one, or upgrade.",
        )
        agent = Agent(company_id=company_id, name=data.name.strip())
        _apply(db, agent, data.model_dump(exclude_unset=True, exclude={"name"}, by_alias=True))
        db.add(agent)
        db.flush()
        db.add(WidgetConfig(company_id=company_id, agent_id=agent.id, title=agent.name))
        db.flush()
        db.refresh(agent)
        return present(principal, agent)


def update_agent(principal: Principal, agent_id: uuid.UUID, patch: AgentPatch) -> AgentOut:
    _refuse_admin_fields(principal, patch)
    with tenant_session(principal.context()) as db:
        agent = get_agent(db, agent_id)
        require_permission(principal, "agents", "write", agent.id)
        changes = patch.model_dump(exclude_unset=True, by_alias=True)
        if "name" in changes:
            changes["name"] = changes["name"].strip()
        _apply(db, agent, changes)
        db.flush()
        db.refresh(agent)
        return present(principal, agent)


def delete_agent(principal: Principal, agent_id: uuid.UUID) -> None:
    """Soft delete: conversations and analytics keep pointing at the agent's row."""
    with tenant_session(principal.context()) as db:
        agent = get_agent(db, agent_id)
        require_permission(principal, "agents", "delete", agent.id)
        agent.status = AgentStatus.ARCHIVED
        agent.deleted_at = datetime.now(UTC)


def _refuse_admin_fields(principal: Principal, data: AgentIn | AgentPatch) -> None:
    if is_platform(principal):
        return
    if isinstance(data, AdminAgentIn | AdminAgentPatch) and data.model_fields_set & _ADMIN_ONLY:
        raise Forbidden(
            "Only the platform sets an agent's prompt, model or package.", code="admin_only_field"
        )


def _apply(db: Session, agent: Agent, changes: dict[str, object]) -> None:
    for field, value in changes.items():
        if field in _JSON_FIELDS and isinstance(value, dict):
            value = {k: v for k, v in value.items() if v is not None}
        if field == "package_id" and value is not None:
            package = db.get(AgentPackage, value)
            if package is None or not package.is_active:
                raise NotFound("No such active agent package.", code="package_not_found")
        setattr(agent, field, value)
    if agent.custom_package_url and not agent.custom_package_hash:
        raise InvalidInput(
            "A custom package needs its SHA-256 so the runtime can verify it.", code="package_hash_required"
        )
    if "custom_package_url" in changes and agent.custom_package_url:
        settings = get_settings()
        try:
            check_package_url(
                agent.custom_package_url, bucket=settings.agent_packages_bucket, local=settings.is_local
            )
        except PackageError as error:
            raise InvalidInput(str(error), code="package_url_not_allowed") from None
