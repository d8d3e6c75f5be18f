"""Which knowledge an agent reads, and what it would retrieve: the console's agent assignments and
its retrieval test. Knowledge itself (categories, files, search) knows nothing of agents."""

from __future__ import annotations

import uuid

from sqlalchemy import delete, select

from chatapp.access.authorization import require_permission
from chatapp.access.principals import Principal
from chatapp.agents.management import get_agent
from chatapp.db.models.agents import AgentKnowledgeCategory
from chatapp.db.models.knowledge import KnowledgeCategory
from chatapp.db.tenancy import tenant_session
from chatapp.errors import NotFound
from chatapp.knowledge.categories import agent_category_ids
from chatapp.knowledge.retrieval import Mode, RagSettings, search
from chatapp.knowledge.schemas import AgentCategoriesOut, RetrievalOut


def set_agent_categories(
    principal: Principal, agent_id: uuid.UUID, category_ids: list[uuid.UUID]
) -> AgentCategoriesOut:
    require_permission(principal, "knowledge", "write")
    wanted = list(dict.fromkeys(category_ids))
    with tenant_session(principal.context()) as db:
        get_agent(db, agent_id)
        visible = set(db.scalars(select(KnowledgeCategory.id).where(KnowledgeCategory.id.in_(wanted))))
        missing = [str(c) for c in wanted if c not in visible]
        if missing:
            # Another company's category ids are indistinguishable from unknown ones.
            raise NotFound(f"No such knowledge categories: {', '.join(missing)}.", code="category_not_found")
        db.execute(delete(AgentKnowledgeCategory).where(AgentKnowledgeCategory.agent_id == agent_id))
        db.add_all(AgentKnowledgeCategory(agent_id=agent_id, category_id=c) for c in wanted)
    return AgentCategoriesOut(agent_id=agent_id, category_ids=wanted)


def get_agent_categories(principal: Principal, agent_id: uuid.UUID) -> AgentCategoriesOut:
    require_permission(principal, "knowledge", "read")
    with tenant_session(principal.context()) as db:
        get_agent(db, agent_id)
        return AgentCategoriesOut(agent_id=agent_id, category_ids=agent_category_ids(db, agent_id))


def retrieve_for_agent(
    principal: Principal,
    agent_id: uuid.UUID,
    question: str,
    max_results: int | None = None,
    mode: Mode = "hybrid",
) -> RetrievalOut:
    """What `agent_id` would retrieve for `question` (agents call this; so does the console's test)."""
    require_permission(principal, "knowledge", "read")
    with tenant_session(principal.context()) as db:
        agent = get_agent(db, agent_id)
        settings = RagSettings.from_rag_config(agent.rag_config)
        if agent.rag_enabled is False:
            return RetrievalOut(query=question, results=[])
        results = search(
            db,
            agent.company_id,
            agent_category_ids(db, agent_id),
            question,
            limit=max_results or settings.max_results,
            relevance_threshold=settings.relevance_threshold,
            mode=mode,
        )
    return RetrievalOut(query=question, results=results)
