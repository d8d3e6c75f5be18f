from __future__ import annotations

import uuid

import pytest

from chatapp.access.authorization import has_permission, require_permission, require_role
from chatapp.access.principals import Principal, PrincipalKind
from chatapp.db.tenancy import ContextRole
from chatapp.errors import Forbidden
from chatapp.security import TokenKind, new_token, token_digest, token_kind


def _user(role: ContextRole, permissions: dict | None = None) -> Principal:
    return Principal(
        kind=PrincipalKind.USER,
        id=uuid.uuid4(),
        role=role,
        company_id=uuid.uuid4(),
        permissions=permissions or {},
    )


def test_tokens_are_random_typed_and_stored_as_digests() -> None:
    first, second = new_token(TokenKind.SESSION), new_token(TokenKind.SESSION)
    assert first != second and first.startswith("bzs_") and len(first) > 40
    assert token_kind(first) is TokenKind.SESSION
    assert token_kind(new_token(TokenKind.API_KEY)) is TokenKind.API_KEY
    assert token_kind("nope") is None and token_kind("xyz_abc") is None
    assert len(token_digest(first)) == 64 and token_digest(first) != first


def test_admins_hold_every_permission_inside_their_company() -> None:
    for role in (ContextRole.COMPANY_ADMIN, ContextRole.MASTER_ADMIN):
        assert has_permission(_user(role), "knowledge", "delete")


def test_support_agent_permissions_follow_the_permissions_object() -> None:
    agent_id = uuid.uuid4()
    agent = _user(ContextRole.SUPPORT_AGENT, {"knowledge": ["read"], "agents": {str(agent_id): ["read"]}})
    assert has_permission(agent, "knowledge", "read")
    assert not has_permission(agent, "knowledge", "write")
    assert has_permission(agent, "agents", "read", agent_id)
    assert not has_permission(agent, "agents", "write", agent_id)
    assert not has_permission(agent, "agents", "read", uuid.uuid4())
    assert not has_permission(agent, "agents", "read")
    assert not has_permission(agent, "analytics", "read")
    with pytest.raises(Forbidden) as denied:
        require_permission(agent, "team", "write")
    assert denied.value.code == "permission_denied"


def test_api_keys_hold_their_scopes_only() -> None:
    key = Principal(
        kind=PrincipalKind.API_KEY,
        id=uuid.uuid4(),
        role=ContextRole.COMPANY_SERVICE,
        company_id=uuid.uuid4(),
        permissions={"scopes": ["read:conversations"]},
    )
    assert has_permission(key, "conversations", "read")
    assert not has_permission(key, "conversations", "write")
    assert key.user_id is None and key.context().role is ContextRole.COMPANY_SERVICE


def test_require_role() -> None:
    require_role(_user(ContextRole.COMPANY_ADMIN), [ContextRole.COMPANY_ADMIN])
    with pytest.raises(Forbidden):
        require_role(_user(ContextRole.SUPPORT_AGENT), [ContextRole.COMPANY_ADMIN, ContextRole.MASTER_ADMIN])
