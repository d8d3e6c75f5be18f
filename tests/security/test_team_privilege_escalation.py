"""Attack: a support agent trusted with `team:write` makes themselves (or a friend) company admin.

`team:write` lets a support agent run the team day to day: invite colleagues, deactivate a
leaver. Before the fix it also let them invite anyone as `company_admin` (and accept the
invitation with a second address), deactivate or lock out the company's admins with an IP
allowlist or an access expiry, and grant colleagues rights they do not hold themselves
(billing, knowledge deletion, every agent).

Buzzi withstands it: only company admins invite admins or change, deactivate or restrict one;
nobody grants a permission they lack, whatever the shape of the permissions object.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from chatapp.db.enums import UserRole
from chatapp.db.models.core import User
from chatapp.db.models.team import Invitation
from tests.integration.http import ApiClient, ApiResponse
from tests.integration.stack import new_tenant
from tests.integration.tenant_data import _session_token

TEAM_MANAGER_RIGHTS = {"team": ["read", "write"], "knowledge": ["read"]}


@dataclass
class Team:
    api: ApiClient
    engine: Engine
    admin_id: uuid.UUID
    manager_id: uuid.UUID  # a support agent granted team:write
    colleague_id: uuid.UUID  # a plain support agent
    agent_id: uuid.UUID
    tokens: dict[str, str]

    def call(self, who: str, method: str, path: str, body: Any = None) -> ApiResponse:
        return self.api.request(method, path, token=self.tokens[who], json_body=body)

    def user(self, user_id: uuid.UUID) -> User:
        with Session(self.engine) as db:
            user = db.get(User, user_id)
            assert user is not None
            db.expunge(user)
            return user


@pytest.fixture
def team(owner_engine: Engine, mail_sender: str) -> Iterator[Team]:
    tenant = new_tenant(owner_engine, "Escalate")
    data = tenant.data
    with Session(owner_engine) as db, db.begin():
        manager = db.get(User, data.support_agent_id)
        assert manager is not None
        manager.permissions = TEAM_MANAGER_RIGHTS
        tokens = {
            "admin": _session_token(db, data.admin_id),
            "manager": _session_token(db, data.support_agent_id),
        }
    yield Team(
        api=tenant.api,
        engine=owner_engine,
        admin_id=data.admin_id,
        manager_id=data.support_agent_id,
        colleague_id=data.other_support_agent_id,
        agent_id=data.agent_id,
        tokens=tokens,
    )


def _refused(response: ApiResponse) -> None:
    assert response.status == 403, (response.status, response.body)
    assert response.body["error"]["code"] in {"admin_only", "permission_not_held", "role_not_allowed"}


def test_a_team_manager_cannot_invite_an_admin(team: Team) -> None:
    response = team.call(
        "manager", "POST", "/v1/team/invitations", {"email": "x@evil.example", "role": "company_admin"}
    )
    _refused(response)
    with Session(team.engine) as db:
        assert db.scalar(select(Invitation.id).where(Invitation.email == "x@evil.example")) is None


@pytest.mark.parametrize(
    "patch",
    [
        {"is_active": False},
        {"ip_allowlist": ["203.0.113.7/32"]},
        {"access_expires_at": (datetime.now(UTC) + timedelta(minutes=5)).isoformat()},
        {"permissions": {}},
        {"role": "support_agent"},
    ],
    ids=["deactivate", "ip-allowlist", "access-expiry", "permissions", "demote"],
)
def test_a_team_manager_cannot_change_deactivate_or_restrict_an_admin(
    team: Team, patch: dict[str, Any]
) -> None:
    before = team.user(team.admin_id)
    _refused(team.call("manager", "PATCH", f"/v1/team/members/{team.admin_id}", patch))
    after = team.user(team.admin_id)
    assert (after.is_active, after.ip_allowlist, after.access_expires_at, after.role) == (
        before.is_active,
        before.ip_allowlist,
        before.access_expires_at,
        UserRole.COMPANY_ADMIN,
    )


@pytest.mark.parametrize(
    "permissions",
    [
        {"billing": ["read"]},
        {"knowledge": ["read", "delete"]},
        {"team": ["read", "write"], "analytics": ["read"]},
        {"agents": ["write"]},
        {"agents": {"AGENT": ["read", "write"]}},
        {"webhooks": ["manage"]},
    ],
    ids=["billing", "knowledge-delete", "analytics", "every-agent", "one-agent", "webhooks"],
)
def test_a_team_manager_cannot_grant_rights_they_lack(team: Team, permissions: dict[str, Any]) -> None:
    if "agents" in permissions and isinstance(permissions["agents"], dict):
        permissions = {"agents": {str(team.agent_id): permissions["agents"]["AGENT"]}}
    _refused(
        team.call("manager", "PATCH", f"/v1/team/members/{team.colleague_id}", {"permissions": permissions})
    )
    assert not team.user(team.colleague_id).permissions


def test_a_team_manager_still_runs_the_team_within_their_own_rights(team: Team) -> None:
    granted = team.call(
        "manager", "PATCH", f"/v1/team/members/{team.colleague_id}", {"permissions": {"knowledge": ["read"]}}
    )
    assert granted.status == 200, granted.body
    assert granted.body["permissions"] == {"knowledge": ["read"]}
    deactivated = team.call("manager", "PATCH", f"/v1/team/members/{team.colleague_id}", {"is_active": False})
    assert deactivated.status == 200, deactivated.body
    invited = team.call("manager", "POST", "/v1/team/invitations", {"email": "new@escalate.example"})
    assert invited.status == 201, invited.body
    assert invited.body["role"] == "support_agent"


def test_company_admins_keep_full_control(team: Team) -> None:
    invited = team.call(
        "admin", "POST", "/v1/team/invitations", {"email": "boss@escalate.example", "role": "company_admin"}
    )
    assert invited.status == 201, invited.body
    granted = team.call(
        "admin",
        "PATCH",
        f"/v1/team/members/{team.colleague_id}",
        {"permissions": {"billing": ["read"], "agents": {str(team.agent_id): ["read", "write"]}}},
    )
    assert granted.status == 200, granted.body
    restricted = team.call(
        "admin", "PATCH", f"/v1/team/members/{team.manager_id}", {"ip_allowlist": ["203.0.113.7/32"]}
    )
    assert restricted.status == 200, restricted.body


def test_permissions_have_a_known_shape(team: Team) -> None:
    for bogus in ({"everything": ["read"]}, {"knowledge": ["own"]}, {"agents": {"not-a-uuid": ["read"]}}):
        response = team.call(
            "admin", "PATCH", f"/v1/team/members/{team.colleague_id}", {"permissions": bogus}
        )
        assert response.status == 422, (bogus, response.status, response.body)
