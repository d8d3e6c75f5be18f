"""Canned responses: a team's saved replies, typed as shortcuts ("/thanks") in the inbox."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from chatapp.access.authorization import require_role
from chatapp.access.principals import Principal
from chatapp.db.models.agents import Agent
from chatapp.db.models.team import CannedResponse
from chatapp.db.ownership import owned
from chatapp.db.tenancy import ContextRole, tenant_session
from chatapp.errors import Conflict, NotFound
from chatapp.inbox.canned_schemas import CannedResponseIn, CannedResponseOut, CannedResponsePatch
from chatapp.inbox.staff import STAFF

_SHORTCUT = re.compile(r"(?<![\w/#])([/#][a-z0-9][a-z0-9_-]{0,48})(?![\w-])")


def _response(db: Session, response_id: uuid.UUID) -> CannedResponse:
    row = owned(db, CannedResponse, response_id)
    if row is None:
        raise NotFound("No such canned response.", code="canned_response_not_found")
    return row


def _check_agents(db: Session, agent_ids: list[uuid.UUID]) -> list[str]:
    """Agent ids in a body are checked like ids in a path: another company's are not found."""
    found = set(db.scalars(select(Agent.id).where(Agent.id.in_(agent_ids), Agent.deleted_at.is_(None))))
    missing = [str(a) for a in agent_ids if a not in found]
    if missing:
        raise NotFound(f"No such agents: {', '.join(missing)}.", code="agent_not_found")
    return [str(a) for a in dict.fromkeys(agent_ids)]


def _flush(db: Session) -> None:
    try:
        db.flush()
    except IntegrityError as error:
        if "canned_responses_company_shortcut_uidx" in str(error.orig):
            raise Conflict("Another canned response uses this shortcut.", code="shortcut_taken") from None
        raise


def list_responses(principal: Principal, agent_id: uuid.UUID | None = None) -> list[CannedResponseOut]:
    require_role(principal, STAFF)
    with tenant_session(principal.context()) as db:
        if agent_id is not None:
            _check_agents(db, [agent_id])
        rows = db.scalars(select(CannedResponse).order_by(CannedResponse.title)).all()
        return [
            CannedResponseOut.model_validate(row)
            for row in rows
            if agent_id is None or row.is_global or str(agent_id) in (row.agent_ids or [])
        ]


def create_response(principal: Principal, data: CannedResponseIn) -> CannedResponseOut:
    require_role(principal, (ContextRole.COMPANY_ADMIN,))
    assert principal.company_id is not None and principal.user_id is not None
    with tenant_session(principal.context()) as db:
        values = data.model_dump()
        values["agent_ids"] = _check_agents(db, data.agent_ids)
        row = CannedResponse(company_id=principal.company_id, created_by=principal.user_id, **values)
        db.add(row)
        _flush(db)
        db.refresh(row)
        return CannedResponseOut.model_validate(row)


def update_response(
    principal: Principal, response_id: uuid.UUID, patch: CannedResponsePatch
) -> CannedResponseOut:
    require_role(principal, (ContextRole.COMPANY_ADMIN,))
    with tenant_session(principal.context()) as db:
        row = _response(db, response_id)
        changes = patch.model_dump(exclude_unset=True)
        if changes.get("agent_ids") is not None:
            changes["agent_ids"] = _check_agents(db, patch.agent_ids or [])
        for field, value in changes.items():
            setattr(row, field, value)
        _flush(db)
        db.refresh(row)
        return CannedResponseOut.model_validate(row)


def delete_response(principal: Principal, response_id: uuid.UUID) -> None:
    require_role(principal, (ContextRole.COMPANY_ADMIN,))
    with tenant_session(principal.context()) as db:
        db.delete(_response(db, response_id))


def expand_shortcuts(db: Session, text: str, agent_id: uuid.UUID, values: dict[str, Any]) -> str:
    """Replace each known shortcut in a reply by its response (global, or scoped to this agent),
    fill `{{customer_name}}`-style placeholders, and count the use. Unknown shortcuts stay as typed."""
    typed = set(_SHORTCUT.findall(text))
    if not typed:
        return text
    rows = db.scalars(
        select(CannedResponse).where(CannedResponse.shortcut.in_(typed), CannedResponse.is_active.is_(True))
    ).all()
    usable = {r.shortcut: r for r in rows if r.is_global or str(agent_id) in (r.agent_ids or [])}
    if not usable:
        return text

    def fill(match: re.Match[str]) -> str:
        row = usable.get(match.group(1))
        if row is None:
            return match.group(0)
        return re.sub(r"\{\{\s*(\w+)\s*\}\}", lambda m: str(values.get(m.group(1)) or ""), row.content)

    expanded = _SHORTCUT.sub(fill, text)
    db.execute(
        update(CannedResponse)
        .where(CannedResponse.id.in_([r.id for r in usable.values()]))
        .values(usage_count=func.coalesce(CannedResponse.usage_count, 0) + 1, last_used_at=datetime.now(UTC))
    )
    return expanded
