"""The webhook outbox: an event committed with its change reaches the queue even when the send after
the commit fails (the relay sends it a minute later); a rolled-back change leaves nothing."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, insert, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from chatapp.config import get_settings
from chatapp.db.models.channels import WebhookOutbox
from chatapp.db.tenancy import TenantContext, tenant_session
from chatapp.webhooks import events
from chatapp.webhooks import outbox as webhook_outbox
from tests.integration.tenant_data import Tenants
from tests.integration.webhooks.conftest import HookTenant, Receiver, WebhookQueue

EVENT = "conversation.resolved"


@pytest.fixture
def quiet_outbox(owner_engine: Engine) -> Iterator[None]:
    """Rows other tests left (and the isolation fixtures) are dated out of the relay's reach meanwhile,
    so what a relay run sends is exactly this test's rows."""
    shift = "interval '1000 years'"
    with owner_engine.begin() as connection:
        parked = connection.scalars(
            text(f"UPDATE chatapp_webhook_outbox SET created_at = created_at + {shift} RETURNING id")
        ).all()
    yield
    with owner_engine.begin() as connection:
        connection.execute(
            text(f"UPDATE chatapp_webhook_outbox SET created_at = created_at - {shift} WHERE id = ANY(:ids)"),
            {"ids": list(parked)},
        )


def _context(company_id: uuid.UUID) -> TenantContext:
    return TenantContext.company_service(company_id)


def _emit(hooks: HookTenant) -> None:
    company_id = hooks.tenant.data.company_id
    with tenant_session(_context(company_id)) as db:
        events.emit(db, company_id=company_id, agent_id=None, event_type=EVENT, data={"x": 1})


def _emit_while_the_queue_is_down(
    hooks: HookTenant, webhook_queue: WebhookQueue, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as patched:
        patched.setenv("WEBHOOK_QUEUE_URL", webhook_queue.url + "-missing")  # no such queue in moto
        get_settings.cache_clear()
        try:
            _emit(hooks)
        finally:
            get_settings.cache_clear()


def _outbox(owner_engine: Engine, webhook: dict[str, Any]) -> list[WebhookOutbox]:
    """The endpoint's outbox rows (the company's fixture data has one row of its own)."""
    with Session(owner_engine) as db:
        return list(db.scalars(select(WebhookOutbox).where(WebhookOutbox.webhook_id == webhook["id"])))


def test_an_event_queued_after_the_commit_leaves_no_outbox_row(
    hooks: HookTenant, webhook_queue: WebhookQueue, owner_engine: Engine
) -> None:
    created = hooks.create("http://127.0.0.1:9/never", [EVENT])
    _emit(hooks)
    [message] = webhook_queue.pending()
    assert message["webhook_id"] == created["id"] and message["event_type"] == EVENT
    assert _outbox(owner_engine, created) == []


def test_an_event_the_queue_refused_after_the_commit_is_relayed_once(
    hooks: HookTenant,
    receiver: Receiver,
    webhook_queue: WebhookQueue,
    owner_engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
    quiet_outbox: None,
) -> None:
    created = hooks.create(receiver.url, [EVENT], retry_delay=0)
    _emit_while_the_queue_is_down(hooks, webhook_queue, monkeypatch)
    assert webhook_queue.pending() == []
    [row] = _outbox(owner_engine, created)
    assert row.webhook_id == uuid.UUID(created["id"]) and row.message["event_type"] == EVENT

    assert webhook_outbox.relay() == 0  # under a minute old: the after-commit send may still be running
    assert webhook_outbox.relay(now=row.created_at + timedelta(seconds=59)) == 0
    assert webhook_outbox.relay(now=row.created_at + timedelta(seconds=61)) == 1
    assert webhook_queue.pending() == [row.message]
    assert _outbox(owner_engine, created) == []
    assert webhook_outbox.relay(now=row.created_at + timedelta(seconds=61)) == 0
    assert webhook_queue.pending() == [row.message]  # not queued twice

    webhook_queue.drain()
    [delivery] = receiver.received
    assert delivery.headers["webhook-id"] == row.message["event_id"] and delivery.payload["type"] == EVENT


def test_an_outbox_row_the_after_commit_delete_missed_is_sent_again_with_the_same_id(
    hooks: HookTenant,
    webhook_queue: WebhookQueue,
    owner_engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
    quiet_outbox: None,
) -> None:
    created = hooks.create("http://127.0.0.1:9/never", [EVENT])

    def database_gone(_reason: str) -> Any:
        raise OSError("connection refused")

    with monkeypatch.context() as patched:
        patched.setattr(events, "system_session", database_gone)
        _emit(hooks)  # the failed delete is only logged: the caller's change stands
    [queued] = webhook_queue.pending()
    [row] = _outbox(owner_engine, created)
    assert webhook_outbox.relay(now=row.created_at + timedelta(seconds=61)) == 1
    assert webhook_queue.pending() == [queued, queued]  # receivers de-duplicate by the event id


def test_a_rolled_back_change_leaves_no_outbox_row_and_sends_nothing(
    hooks: HookTenant, webhook_queue: WebhookQueue, owner_engine: Engine
) -> None:
    company_id = hooks.tenant.data.company_id
    created = hooks.create("http://127.0.0.1:9/never", [EVENT])
    mine = select(WebhookOutbox.id).where(WebhookOutbox.webhook_id == created["id"])
    with pytest.raises(RuntimeError), tenant_session(_context(company_id)) as db:
        events.emit(db, company_id=company_id, agent_id=None, event_type=EVENT, data={"x": 1})
        assert len(db.scalars(mine).all()) == 1  # written in the change's transaction
        raise RuntimeError("the change fails after the event was recorded")
    assert webhook_queue.pending() == []
    assert _outbox(owner_engine, created) == []


def test_outbox_rows_stay_within_their_company(
    hooks: HookTenant,
    webhook_queue: WebhookQueue,
    owner_engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
    tenants: Tenants,
) -> None:
    company_id = hooks.tenant.data.company_id
    created = hooks.create("http://127.0.0.1:9/never", [EVENT])
    _emit_while_the_queue_is_down(hooks, webhook_queue, monkeypatch)
    [row] = _outbox(owner_engine, created)

    with tenant_session(_context(company_id)) as db:
        assert row.id in db.scalars(select(WebhookOutbox.id)).all()
    with tenant_session(_context(tenants.b.company_id)) as db:
        assert row.id not in db.scalars(select(WebhookOutbox.id)).all()

    # Company B can neither write a row for company A nor a row of its own that names A's endpoint.
    for owner in (company_id, tenants.b.company_id):
        message = {**row.message, "company_id": str(company_id)}
        with pytest.raises(DBAPIError), tenant_session(_context(tenants.b.company_id)) as db:
            db.execute(
                insert(WebhookOutbox).values(company_id=owner, webhook_id=created["id"], message=message)
            )

    with owner_engine.begin() as connection:  # leave nothing for later relay runs
        connection.execute(text("DELETE FROM chatapp_webhook_outbox WHERE id = :id"), {"id": row.id})
