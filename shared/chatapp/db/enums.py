"""The PostgreSQL enums of the schema design, as Python string enums."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import Enum


class UserRole(StrEnum):
    MASTER_ADMIN = "master_admin"
    COMPANY_ADMIN = "company_admin"
    SUPPORT_AGENT = "support_agent"


class AgentStatus(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    PAUSED = "paused"
    ARCHIVED = "archived"


class ChannelType(StrEnum):
    WEB = "web"
    WHATSAPP = "whatsapp"
    TELEGRAM = "telegram"
    MESSENGER = "messenger"
    INSTAGRAM = "instagram"
    SLACK = "slack"
    TEAMS = "teams"
    CUSTOM = "custom"


class ConversationStatus(StrEnum):
    ACTIVE = "active"
    WAITING_HUMAN = "waiting_human"
    WITH_HUMAN = "with_human"
    RESOLVED = "resolved"
    ABANDONED = "abandoned"


class MessageRole(StrEnum):
    USER = "user"
    ASSISTANT = "assistant"
    SYSTEM = "system"
    HUMAN_AGENT = "human_agent"
    TOOL = "tool"


class EscalationStatus(StrEnum):
    PENDING = "pending"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    RETURNED_TO_AI = "returned_to_ai"
    ABANDONED = "abandoned"


class EscalationPriority(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    URGENT = "urgent"


class FileStatus(StrEnum):
    PENDING = "pending"
    PROCESSING = "processing"
    INDEXED = "indexed"
    FAILED = "failed"


class SubscriptionStatus(StrEnum):
    TRIAL = "trial"
    ACTIVE = "active"
    PAST_DUE = "past_due"
    GRACE_PERIOD = "grace_period"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


class InvitationStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    EXPIRED = "expired"
    REVOKED = "revoked"


class SupportAgentPresence(StrEnum):
    ONLINE = "online"
    BUSY = "busy"
    AWAY = "away"
    OFFLINE = "offline"


def pg_enum(enum_class: type[StrEnum], name: str) -> Enum:
    """A named PostgreSQL enum storing the members' values (not their Python names)."""
    return Enum(enum_class, name=name, values_callable=lambda members: [m.value for m in members])


user_role = pg_enum(UserRole, "user_role")
agent_status = pg_enum(AgentStatus, "agent_status")
channel_type = pg_enum(ChannelType, "channel_type")
conversation_status = pg_enum(ConversationStatus, "conversation_status")
message_role = pg_enum(MessageRole, "message_role")
escalation_status = pg_enum(EscalationStatus, "escalation_status")
escalation_priority = pg_enum(EscalationPriority, "escalation_priority")
file_status = pg_enum(FileStatus, "file_status")
subscription_status = pg_enum(SubscriptionStatus, "subscription_status")
invitation_status = pg_enum(InvitationStatus, "invitation_status")
support_agent_status = pg_enum(SupportAgentPresence, "support_agent_status")
