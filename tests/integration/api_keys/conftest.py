"""API keys and the public API: each test gets a company of its own (shared tenants' rows are
counted by other tests), and the built-in agent package for conversations the AI answers."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from chatapp.db.enums import ChannelType
from chatapp.db.models.conversations import Conversation
from chatapp.security import TokenKind, new_token
from tests.integration.http import ApiClient, ApiResponse
from tests.integration.stack import LocalAws
from tests.integration.tenant_data import CompanyData, create_company, create_platform_rows


@pytest.fixture(scope="session")
def builtin_packages(local_aws: LocalAws) -> None:
    from chatapp.agents.package_catalogue import publish_builtin_packages

    publish_builtin_packages()


@dataclass
class KeyedCompany:
    """A fresh company whose admin creates API keys through the console API."""

    data: CompanyData
    api: ApiClient
    owner_engine: Engine

    @property
    def admin(self) -> str:
        return self.data.tokens["admin"]

    def create_key(self, *scopes: str, expect: int = 201, **fields: Any) -> dict[str, Any]:
        body = {"name": fields.pop("name", "crm sync"), "scopes": list(scopes), **fields}
        response = self.api.request("POST", "/v1/api-keys", token=self.admin, json_body=body)
        assert response.status == expect, response.body
        return response.body

    def key(self, *scopes: str, **fields: Any) -> str:
        return str(self.create_key(*scopes, **fields)["key"])

    def call(self, method: str, path: str, key: str, json_body: Any = None) -> ApiResponse:
        return self.api.request(method, path, token=key, json_body=json_body)

    def conversation(self, **fields: Any) -> uuid.UUID:
        """A new web conversation with the company's agent, status `active` unless given."""
        with Session(self.owner_engine) as db, db.begin():
            row = Conversation(
                company_id=self.data.company_id,
                agent_id=self.data.agent_id,
                session_token=new_token(TokenKind.WIDGET),
                channel=ChannelType.WEB,
                **fields,
            )
            db.add(row)
            db.flush()
            return row.id


def new_company(owner_engine: Engine, label: str) -> KeyedCompany:
    with Session(owner_engine) as db, db.begin():
        data = create_company(db, label, create_platform_rows(db))
    return KeyedCompany(data=data, api=ApiClient(), owner_engine=owner_engine)


@pytest.fixture
def company(owner_engine: Engine, migrated_database: str) -> KeyedCompany:
    return new_company(owner_engine, "Keys")


@pytest.fixture
def other_company(owner_engine: Engine, migrated_database: str) -> KeyedCompany:
    return new_company(owner_engine, "Other")


def error_code(response: ApiResponse) -> str:
    return str(response.body["error"]["code"])


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))
