"""The widget end to end on the local defaults: offline answerer, real retrieval, real database."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from chatapp.db.models.conversations import Conversation, Message
from tests.integration.chat.conftest import ChatShop

RETURNS = (
    "# Returns\n\n## Bikes\n\nComplete bikes can be returned within 30 days of delivery for a full refund, "
    "provided they are unridden and in the original box. Start a return from your account page.\n\n"
    "## Helmets\n\nHelmets cannot be returned once worn, for hygiene reasons.\n"
)


def test_a_visitor_gets_an_offline_answer_that_cites_the_document(
    shop: ChatShop, owner_session: Session
) -> None:
    shop.teach("returns.md", RETURNS)
    config = shop.widget("GET", "/config")
    assert config.status == 200 and config.body["accepting_messages"] is True
    assert config.headers.get("access-control-allow-origin") == "https://shop.example.com"

    started = shop.widget(
        "POST",
        "/conversations",
        json_body={
            "customer": {"external_id": "u-42", "name": "Ada", "email": "ada@example.com"},
            "page": {"url": "https://shop.example.com/bikes", "title": "Bikes"},
        },
    )
    assert started.status == 201, started.body
    assert started.body["session_token"].startswith("bzw_")
    assert [m["content"] for m in started.body["messages"]] == ["Hi! How can I help?"]

    visitor_token = started.body["session_token"]
    answer = shop.widget(
        "POST",
        "/conversation/messages",
        token=visitor_token,
        json_body={"content": "How many days do I have to return a bike?"},
    )
    assert answer.status == 200, answer.body
    user, reply = answer.body["messages"]
    assert user["role"] == "user" and reply["role"] == "assistant"
    assert "30 days" in reply["content"] and "Offline answer" in reply["content"]
    assert reply["citations"][0]["filename"] == "returns.md"
    assert answer.body["escalated"] is False and answer.body["status"] == "active"

    stored = owner_session.scalar(select(Message).where(Message.id == uuid.UUID(reply["id"])))
    assert stored is not None
    assert stored.metadata_["offline"] is True and stored.metadata_["confidence"] > 0
    assert stored.metadata_["citations"][0]["filename"] == "returns.md"
    conversation = owner_session.get(Conversation, uuid.UUID(started.body["conversation_id"]))
    assert conversation is not None
    assert conversation.session_token != visitor_token  # only its digest is stored
    assert conversation.message_count == 2 and conversation.ai_message_count == 1
    assert conversation.customer_id is not None
    assert conversation.context["page"]["title"] == "Bikes"

    polled = shop.widget("GET", "/conversation/messages", token=visitor_token)
    assert [m["role"] for m in polled.body["messages"]] == ["assistant", "user", "assistant"]
    newer = shop.widget("GET", f"/conversation/messages?after={polled.body['cursor']}", token=visitor_token)
    assert newer.status == 200 and {m["id"] for m in newer.body["messages"]} <= {
        m["id"] for m in polled.body["messages"]
    }


def test_an_unanswerable_question_goes_to_a_person_instead_of_a_weak_quote(
    shop: ChatShop, owner_session: Session
) -> None:
    """One calibrated confidence: a question the knowledge does not answer scores low and the
    low-confidence rule hands it over; one it answers scores high and gets the answer."""
    shop.teach("returns.md", RETURNS)
    shop.configure(escalation_rules={"confidenceThreshold": 0.5})

    def ask(question: str) -> tuple[dict, Message]:
        started = shop.widget("POST", "/conversations", json_body={})
        assert started.status == 201, started.body
        answer = shop.widget(
            "POST",
            "/conversation/messages",
            token=started.body["session_token"],
            json_body={"content": question},
        )
        assert answer.status == 200, answer.body
        stored = owner_session.scalar(
            select(Message).where(Message.id == uuid.UUID(answer.body["messages"][1]["id"]))
        )
        assert stored is not None
        return answer.body, stored

    answered, stored = ask("Can I send back a bike I bought three weeks ago?")
    assert answered["escalated"] is False and "30 days" in answered["messages"][1]["content"]
    assert stored.metadata_["confidence"] >= 0.5

    unanswerable, stored = ask("Do you sell gift cards for birthdays?")
    assert unanswerable["escalated"] is True
    assert "30 days" not in unanswerable["messages"][1]["content"]
    assert stored.metadata_["confidence"] < 0.5
