"""Who may work in the inbox: company admins and support agents; a conversation another agent
handles is theirs alone (admins may step into any)."""

from __future__ import annotations

import uuid

from chatapp.access.authorization import require_role
from chatapp.access.principals import Principal
from chatapp.db.models.conversations import Conversation
from chatapp.db.tenancy import ContextRole
from chatapp.errors import Forbidden

STAFF = (ContextRole.COMPANY_ADMIN, ContextRole.SUPPORT_AGENT)


def require_staff(principal: Principal) -> uuid.UUID:
    """The caller's user id, when they are company staff."""
    require_role(principal, STAFF)
    assert principal.company_id is not None and principal.user_id is not None
    return principal.user_id


def is_admin(principal: Principal) -> bool:
    return principal.role is ContextRole.COMPANY_ADMIN


def require_owner_or_admin(principal: Principal, conversation: Conversation) -> None:
    if not is_admin(principal) and conversation.assigned_agent_id not in (None, principal.user_id):
        raise Forbidden("Another agent handles this conversation.", code="not_your_conversation")
