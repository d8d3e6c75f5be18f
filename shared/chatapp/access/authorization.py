"""Authorisation: role checks and the design's fine-grained `permissions` object.

Users' permissions look like {"agents": {"<agent id>": ["read", "write"]}, "knowledge": ["read"]}.
Company admins hold every permission inside their company and master admins everywhere;
support agents hold what their permissions object grants. API keys hold scopes such as
"read:conversations". Tenant isolation itself is not decided here: row-level security does it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from chatapp.access.principals import Principal, PrincipalKind
from chatapp.db.tenancy import ContextRole
from chatapp.errors import Forbidden

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
    return _grants(principal.permissions, area, action, resource_id)


def _grants(permissions: Mapping[str, Any], area: str, action: str, resource_id: uuid.UUID | None) -> bool:
    granted = permissions.get(area)
    if isinstance(granted, list):
        return action in granted
    if isinstance(granted, dict) and resource_id is not None:
        return action in granted.get(str(resource_id), [])
    return False


def _entries(permissions: Mapping[str, Any]) -> Iterator[tuple[str, str, uuid.UUID | None]]:
    for area, granted in permissions.items():
        if isinstance(granted, dict):
            for resource_id, actions in granted.items():
                yield from ((area, action, uuid.UUID(str(resource_id))) for action in actions)
        else:
            yield from ((area, action, None) for action in granted)


def require_scope(principal: Principal, scope: str) -> None:
    """An API key holding `scope` ("read:conversations", ...)."""
    if scope not in principal.permissions.get("scopes", []):
        raise Forbidden(f"This API key needs the '{scope}' scope.", code="permission_denied")


def require_may_grant(principal: Principal, current: Mapping[str, Any], wanted: Mapping[str, Any]) -> None:
    """Nobody grants a right they lack: whatever `wanted` adds to `current` the principal must hold.

    Taking rights away is allowed to anyone who may manage the member."""
    for area, action, resource_id in _entries(wanted):
        if not _grants(current, area, action, resource_id) and not has_permission(
            principal, area, action, resource_id
        ):
            raise Forbidden(
                f"You cannot grant '{action}' on {area}: you do not hold it yourself.",
                code="permission_not_held",
            )


def require_permission(
    principal: Principal, area: str, action: str, resource_id: uuid.UUID | None = None
) -> None:
    if not has_permission(principal, area, action, resource_id):
        raise Forbidden(f"You need the '{action}' permission on {area}.", code="permission_denied")
