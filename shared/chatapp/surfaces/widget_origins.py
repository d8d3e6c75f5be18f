"""Which company a widget request belongs to, and whether the page's origin may use the agent.

Small on purpose: the socket's `$connect` needs only this, not the conversation engine.
"""

from __future__ import annotations

import time
import uuid
from functools import lru_cache

from sqlalchemy import select

from chatapp.agents.origins import origin_allowed
from chatapp.db.models.agents import Agent
from chatapp.db.models.channels import WidgetConfig
from chatapp.db.tenancy import TenantContext, system_session, tenant_session
from chatapp.errors import Forbidden, NotFound

ALLOWED_ORIGINS_TTL_SECONDS = 30
_origins_cache: dict[uuid.UUID, tuple[float, list[str]]] = {}


@lru_cache(maxsize=4096)
def company_of_agent(agent_id: uuid.UUID) -> uuid.UUID:
    """Which company an agent belongs to (it never changes, so warm containers remember)."""
    with system_session("route a widget request to its company") as db:
        company_id = db.scalar(select(Agent.company_id).where(Agent.id == agent_id))
    if company_id is None:
        raise NotFound("No such agent.", code="agent_not_found")
    return company_id


def company_context(agent_id: uuid.UUID) -> TenantContext:
    return TenantContext.company_service(company_of_agent(agent_id))


def allowed_origins(agent_id: uuid.UUID) -> list[str]:
    cached = _origins_cache.get(agent_id)
    if cached and cached[0] > time.monotonic():
        return cached[1]
    with tenant_session(company_context(agent_id)) as db:
        domains = db.scalar(select(WidgetConfig.allowed_domains).where(WidgetConfig.agent_id == agent_id))
        rules = list(domains or [])
    _origins_cache[agent_id] = (time.monotonic() + ALLOWED_ORIGINS_TTL_SECONDS, rules)
    return rules


def require_origin(agent_id: uuid.UUID, origin: str | None, *, required: bool) -> None:
    if origin is None and not required:
        return  # not a browser (a server holding the session token)
    if not origin_allowed(origin, allowed_origins(agent_id)):
        raise Forbidden(
            "This website is not allowed to use this chat widget. "
            "Add its domain to the widget's allowed domains in the console.",
            code="origin_not_allowed",
        )
