"""Authorisation: role checks and the design's fine-grained `permissions` object.

Users' permissions look like {"agents": {"<agent id>": ["read", "write"]}, "knowledge": ["read"]}.
Company admins hold every permission inside their company and master admins everywhere;
support agents hold what their permissions object grants. API keys hold scopes such as
"read:conversations". Tenant isolation itself is not decided here: row-level security does it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from chatapp.db.tenancy import ContextRole
from chatapp.errors import Forbidden
from chatapp.services.principals import Principal, PrincipalKind

_ALL_INSIDE_COMPANY = {ContextRole.MASTER_ADMIN, ContextRole.COMPANY_ADMIN}


def require_role(principal: Principal, roles: Iterable[ContextRole]) -> None:
    if principal.role not in set(roles):
        raise Forbidden("Your role does not allow this.", code="role_not_allowed")


def has_permission(
    principal: Principal, area: str, action: str, resource_id: uuid.UUID | None = None
) -> bool:
    if principal.kind is PrincipalKind.API_KEY:
        return f"{action}:{area}" in principal.permissions.get("scopes", [])
    if principal.role in _ALL_INSIDE_COMPANY:
        return True
    granted = principal.permissions.get(area)
    if isinstance(granted, list):
        return action in granted
    if isinstance(granted, dict) and resource_id is not None:
        return action in granted.get(str(resource_id), [])
    return False


def require_permission(
    principal: Principal, area: str, action: str, resource_id: uuid.UUID | None = None
) -> None:
    if not has_permission(principal, area, action, resource_id):
        raise Forbidden(f"You need the '{action}' permission on {area}.", code="permission_denied")
