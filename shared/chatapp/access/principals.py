"""Who is calling: the principal every authorised operation starts from."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from chatapp.db.tenancy import ContextRole, TenantContext


class PrincipalKind(StrEnum):
    USER = "user"
    API_KEY = "api_key"


@dataclass(frozen=True, slots=True)
class Principal:
    kind: PrincipalKind
    id: uuid.UUID  # the user's id, or the API key's id
    role: ContextRole
    company_id: uuid.UUID | None
    # Users: the design's permissions object. API keys: {"scopes": ["read:conversations", ...]}.
    permissions: dict[str, Any] = field(default_factory=dict)
    email: str | None = None
    session_id: uuid.UUID | None = None  # the console session a user's request came with

    @property
    def user_id(self) -> uuid.UUID | None:
        return self.id if self.kind is PrincipalKind.USER else None

    def context(self) -> TenantContext:
        return TenantContext(role=self.role, company_id=self.company_id, user_id=self.user_id)
