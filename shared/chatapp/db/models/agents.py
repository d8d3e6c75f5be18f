"""Section 3: agent packages (platform catalogue), agents and their knowledge categories."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, false, true
from sqlalchemy.orm import Mapped, mapped_column

from chatapp.db.base import Base, created_at, json_array, json_object, updated_at, uuid_pk
from chatapp.db.enums import AgentStatus, agent_status

# The tables these foreign keys name must be in the metadata before a flush sorts the tables.
from chatapp.db.models import core, knowledge  # noqa: F401


class AgentPackage(Base):
    __tablename__ = "chatapp_agent_packages"

    id: Mapped[uuid.UUID] = uuid_pk()
    name: Mapped[str] = mapped_column(String(255))
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    version: Mapped[str] = mapped_column(String(20))
    package_url: Mapped[str] = mapped_column(String(500))
    package_hash: Mapped[str] = mapped_column(String(64))
    # "module:callable" inside the package zip (the design's default was "index.js").
    entry_point: Mapped[str | None] = mapped_column(String(255), server_default="agent:respond")
    package_size: Mapped[int | None] = mapped_column(Integer)
    capabilities: Mapped[list[Any] | None] = json_array()
    default_config: Mapped[dict[str, Any] | None] = json_object()
    author: Mapped[str | None] = mapped_column(String(255))
    documentation: Mapped[str | None] = mapped_column(Text)
    changelog: Mapped[str | None] = mapped_column(Text)
    is_active: Mapped[bool | None] = mapped_column(server_default=true())
    is_default: Mapped[bool | None] = mapped_column(server_default=false())
    usage_count: Mapped[int | None] = mapped_column(Integer, server_default="0")
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()
    published_at: Mapped[datetime | None]


class Agent(Base):
    __tablename__ = "chatapp_agents"
    __table_args__ = (
        Index("agents_company_idx", "company_id"),
        Index("agents_status_idx", "status"),
        Index("agents_company_status_idx", "company_id", "status"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    company_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("chatapp_companies.id"))
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    avatar: Mapped[str | None] = mapped_column(String(500))
    package_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("chatapp_agent_packages.id"))
    custom_package_url: Mapped[str | None] = mapped_column(String(500))
    custom_package_hash: Mapped[str | None] = mapped_column(String(64))
    capabilities: Mapped[list[Any] | None] = json_array()
    personality: Mapped[str | None] = mapped_column(Text)
    response_style: Mapped[dict[str, Any] | None] = json_object()
    # Master-admin controlled: hidden from company admins by the API layer.
    system_prompt: Mapped[str | None] = mapped_column(Text)
    llm_config: Mapped[dict[str, Any] | None] = json_object()
    rag_enabled: Mapped[bool | None] = mapped_column(server_default=true())
    rag_config: Mapped[dict[str, Any] | None] = json_object()
    enabled_tools: Mapped[list[Any] | None] = json_array()
    tool_config: Mapped[dict[str, Any] | None] = json_object()
    escalation_rules: Mapped[dict[str, Any] | None] = json_object()
    business_hours: Mapped[dict[str, Any] | None] = json_object()
    fallback_responses: Mapped[dict[str, Any] | None] = json_object()
    status: Mapped[AgentStatus] = mapped_column(agent_status, server_default=AgentStatus.DRAFT.value)
    webhook_secret: Mapped[str | None] = mapped_column(String(64))
    total_conversations: Mapped[int | None] = mapped_column(Integer, server_default="0")
    total_messages: Mapped[int | None] = mapped_column(Integer, server_default="0")
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()
    deleted_at: Mapped[datetime | None]


class AgentKnowledgeCategory(Base):
    __tablename__ = "chatapp_agent_knowledge_categories"
    __table_args__ = (Index("agent_knowledge_cat_idx", "agent_id", "category_id", unique=True),)

    id: Mapped[uuid.UUID] = uuid_pk()
    agent_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("chatapp_agents.id", ondelete="CASCADE"))
    category_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("chatapp_knowledge_categories.id", ondelete="CASCADE")
    )
    created_at: Mapped[datetime] = created_at()
