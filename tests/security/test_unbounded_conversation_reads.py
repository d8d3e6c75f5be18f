"""Attack: one endless conversation makes every read of it expensive.

Anyone can talk to a widget, and a script can talk for ever: the inbox's conversation view and the
public API's `GET /v1/public/conversations/{id}` loaded every message of a conversation on every
request, so one conversation of tens of thousands of messages turned each look at it (an agent's
inbox polls it) into megabytes of JSON and a long query.

Buzzi withstands it: both return the latest page of messages (50 unless asked, at most 200),
oldest first, with `messages_cursor` to ask for the page before (`?before=`), so a read costs the
same whatever the conversation's length.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, insert
from sqlalchemy.orm import Session

from chatapp.db.enums import MessageRole
from chatapp.db.models.channels import ApiKey
from chatapp.db.models.conversations import Message
from chatapp.security import TokenKind, display_prefix, new_token, token_digest
from tests.integration.stack import KnowledgeTenant, new_tenant

LONG = 1_000


@pytest.fixture(scope="module")
def long_conversation(owner_engine: Engine) -> tuple[KnowledgeTenant, uuid.UUID, str]:
    tenant = new_tenant(owner_engine, "Endless")
    conversation_id = tenant.data.conversations["unassigned"]
    start = datetime.now(UTC) - timedelta(days=1)
    key = new_token(TokenKind.API_KEY)
    with Session(owner_engine) as db, db.begin():
        db.execute(
            insert(Message),
            [
                {
                    "conversation_id": conversation_id,
                    "role": MessageRole.USER if n % 2 else MessageRole.ASSISTANT,
                    "content": f"message {n:04d}",
                    "created_at": start + timedelta(seconds=n),
                }
                for n in range(LONG)
            ],
        )
        db.add(
            ApiKey(
                company_id=tenant.data.company_id,
                name="reader",
                key_prefix=display_prefix(key),
                key_hash=token_digest(key),
                permissions=["read:conversations"],
                rate_limit=10_000,
                created_by=tenant.data.admin_id,
            )
        )
    return tenant, conversation_id, key


def _walk(fetch: Any, path: str) -> list[str]:
    """Follow `messages_cursor` back to the start; the pages, joined oldest first."""
    pages: list[list[str]] = []
    cursor = None
    while True:
        response = fetch(path + (f"?before={cursor}" if cursor else ""))
        assert response.status == 200, response.body
        page = [m["content"] for m in response.body["messages"]]
        assert 0 < len(page) <= 50, len(page)
        pages.insert(0, page)
        cursor = response.body["messages_cursor"]
        if cursor is None:
            return [content for page in pages for content in page]


def test_the_inbox_reads_a_conversation_a_page_at_a_time(
    long_conversation: tuple[KnowledgeTenant, uuid.UUID, str],
) -> None:
    tenant, conversation_id, _ = long_conversation
    path = f"/v1/inbox/conversations/{conversation_id}"
    contents = _walk(lambda p: tenant.call("GET", p), path)
    seeded = [c for c in contents if c.startswith("message ")]
    assert seeded == [f"message {n:04d}" for n in range(LONG)]  # each once, in order
    bigger = tenant.call("GET", f"{path}?limit=200")
    assert len(bigger.body["messages"]) == 200
    assert tenant.call("GET", f"{path}?limit=201").status == 422
    assert tenant.call("GET", f"{path}?before=not-a-cursor").body["error"]["code"] == "invalid_cursor"


def test_the_public_api_reads_a_conversation_a_page_at_a_time(
    long_conversation: tuple[KnowledgeTenant, uuid.UUID, str],
) -> None:
    tenant, conversation_id, key = long_conversation
    path = f"/v1/public/conversations/{conversation_id}"
    contents = _walk(lambda p: tenant.api.request("GET", p, token=key), path)
    seeded = [c for c in contents if c.startswith("message ")]
    assert seeded == [f"message {n:04d}" for n in range(LONG)]
