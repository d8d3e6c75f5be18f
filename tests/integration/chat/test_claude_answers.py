"""Agents answering with Claude: the real anthropic SDK over HTTP against a scripted Messages API."""

from __future__ import annotations

import json
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from chatapp.db.models.conversations import Conversation, Escalation, Message
from devtools.fake_anthropic import FakeAnthropic, delayed, error_reply, text_reply, tool_use_reply
from tests.integration.chat.conftest import ChatShop

WARRANTY = (
    "# Warranty\n\n## Frames\n\nAluminium frames carry a lifetime warranty for the first owner. "
    "Claims need the serial number printed under the bottom bracket.\n\n## Paint\n\n"
    "Paint and decals are covered for two years against peeling.\n"
)


def _tool_result(request: dict[str, Any]) -> str:
    last = request["messages"][-1]
    assert last["role"] == "user" and last["content"][0]["type"] == "tool_result"
    content = last["content"][0]["content"]
    return content if isinstance(content, str) else content[0]["text"]


def _stored(owner_session: Session, message_id: str) -> Message:
    message = owner_session.get(Message, uuid.UUID(message_id))
    assert message is not None
    return message


def test_claude_searches_the_knowledge_and_cites_it(
    shop: ChatShop, claude: FakeAnthropic, owner_session: Session
) -> None:
    shop.teach("warranty.md", WARRANTY)
    shop.configure(personality="Cheerful bike nerd.", response_style={"tone": "friendly", "language": "en"})
    claude.script(
        tool_use_reply("rag_search", {"query": "frame warranty"}, input_tokens=400, output_tokens=20),
        text_reply(
            "Frames have a lifetime warranty for the first owner [1].", input_tokens=900, output_tokens=40
        ),
    )
    reply = shop.visit(customer={"name": "Ada"}).send("What warranty do frames have?")
    assert reply.status == 200, reply.body
    answer = reply.body["messages"][-1]
    assert answer["content"] == "Frames have a lifetime warranty for the first owner [1]."
    assert answer["citations"][0]["filename"] == "warranty.md"
    assert answer["citations"][0]["number"] == 1

    first, second = claude.requests
    assert first.headers["authorization"] == f"Bearer {claude.api_key}"
    assert first.body["model"] == "claude-sonnet-5"
    assert {tool["name"] for tool in first.body["tools"]} == {"rag_search", "request_human_handover"}
    assert "Cheerful bike nerd." in first.body["system"] and "Ada" not in first.body["system"]
    data, question = first.body["messages"][-1]["content"]  # the visitor's data, quoted, then the message
    assert data["text"].startswith("<conversation_data>") and '"customer name": "Ada"' in data["text"]
    assert question == {"type": "text", "text": "What warranty do frames have?"}
    assert "lifetime warranty" in _tool_result(second.body) and "[1] (warranty.md" in _tool_result(
        second.body
    )

    stored = _stored(owner_session, answer["id"])
    assert stored.metadata_["model"] == "claude-sonnet-5"
    assert stored.metadata_["tokens"] == {"input": 1300, "output": 60}
    assert stored.metadata_["confidence"] > 0.2 and stored.metadata_["ragRelevance"] > 0.2
    assert stored.metadata_["latency"] >= 0 and stored.metadata_["offline"] is False
    assert stored.tool_calls[0]["name"] == "rag_search" and stored.tool_calls[0]["arguments"] == {
        "query": "frame warranty"
    }
    usage = shop.tenant.call("GET", "/v1/knowledge/usage").body
    assert usage["messages_this_month"] == 2


def test_claude_can_hand_the_conversation_to_a_person(
    shop: ChatShop, claude: FakeAnthropic, owner_session: Session
) -> None:
    claude.script(
        tool_use_reply("request_human_handover", {"reason": "Customer wants to change a paid order"}),
        text_reply("I've asked a colleague to help with your order."),
    )
    visitor = shop.visit()
    reply = visitor.send("Please change the address on my paid order")
    assert reply.body["escalated"] is True and reply.body["status"] == "waiting_human"
    assert reply.body["messages"][-1]["content"] == "I've asked a colleague to help with your order."
    escalation = owner_session.scalar(
        select(Escalation).where(Escalation.conversation_id == uuid.UUID(visitor.conversation_id))
    )
    assert escalation is not None and escalation.trigger_type == "explicit_request"
    assert escalation.trigger_details["source"] == "model"
    assert escalation.reason == "Customer wants to change a paid order"
    # From now on the AI stays out of it.
    assert [m["role"] for m in visitor.send("thanks").body["messages"]] == ["user"]
    assert len(claude.requests) == 2


def test_an_overloaded_model_is_retried(shop: ChatShop, claude: FakeAnthropic) -> None:
    claude.script(
        error_reply(529, "overloaded_error", "Overloaded", headers={"retry-after-ms": "1"}),
        text_reply("Hello! How can I help?"),
    )
    reply = shop.visit().send("hi")
    assert reply.body["messages"][-1]["content"] == "Hello! How can I help?"
    assert [r.headers["x-stainless-retry-count"] for r in claude.requests] == ["0", "1"]


def test_a_model_that_times_out_gets_the_agents_fallback_answer(
    shop: ChatShop, claude: FakeAnthropic, owner_session: Session
) -> None:
    shop.configure(fallback_responses={"error": "We're a bit busy, please try again in a minute."})
    claude.script(*[delayed(3, text_reply("too late")) for _ in range(3)])
    reply = shop.visit().send("hi there")
    assert reply.status == 200
    answer = reply.body["messages"][-1]
    assert answer["content"] == "We're a bit busy, please try again in a minute."
    assert _stored(owner_session, answer["id"]).metadata_["fallback"] is True
    assert len(claude.requests) == 3  # the first try and two retries


def test_low_confidence_answers_go_to_a_person_instead(
    shop: ChatShop, claude: FakeAnthropic, owner_session: Session
) -> None:
    shop.teach("warranty.md", WARRANTY)
    shop.configure(escalation_rules={"confidenceThreshold": 0.95})
    claude.script(
        tool_use_reply("rag_search", {"query": "submarine delivery"}),
        text_reply("Maybe we deliver by submarine [1]."),
    )
    visitor = shop.visit()
    reply = visitor.send("Do you deliver by submarine?")
    assert reply.body["escalated"] is True
    assert "submarine" not in reply.body["messages"][-1]["content"]
    escalation = owner_session.scalar(
        select(Escalation).where(Escalation.conversation_id == uuid.UUID(visitor.conversation_id))
    )
    assert escalation is not None and escalation.trigger_type == "confidence"
    assert escalation.trigger_details["confidenceScore"] < 0.95


def test_long_conversations_keep_a_rolling_summary(
    shop: ChatShop, claude: FakeAnthropic, owner_session: Session
) -> None:
    shop.configure(enabled_tools=["request_human_handover"])
    from sqlalchemy import update

    from chatapp.db.models.agents import Agent

    owner_session.execute(
        update(Agent)
        .where(Agent.id == shop.tenant.data.agent_id)
        .values(llm_config={"historyTokenBudget": 500})
    )
    owner_session.commit()

    def answer(request: dict[str, Any]) -> Any:
        if request["system"].startswith("Summarise"):
            return text_reply("Customer Ada is choosing a gravel bike for touring.")
        return text_reply("Noted. " + "Tell me more. " * 30)

    claude.responder = answer
    visitor = shop.visit()
    for number in range(6):
        assert visitor.send(f"Message {number}: " + "I ride long distances on gravel. " * 12).status == 200
    owner_session.expire_all()
    conversation = owner_session.get(Conversation, uuid.UUID(visitor.conversation_id))
    assert conversation is not None
    assert conversation.summary == "Customer Ada is choosing a gravel bike for touring."
    assert conversation.context["summarizedUntil"]
    last_turn = [r.body for r in claude.requests if not r.body["system"].startswith("Summarise")][-1]
    data = last_turn["messages"][0]["content"][0]["text"]
    assert (
        '"summary_of_earlier_conversation": "Customer Ada' in data
        and "Customer Ada" not in last_turn["system"]
    )
    assert len(json.dumps(last_turn["messages"])) < 4 * 500 + 1200  # the window stays in budget


def test_a_hypothetical_answer_finds_what_the_customers_words_miss(
    shop: ChatShop, claude: FakeAnthropic, owner_session: Session
) -> None:
    """Claude may add what the answer probably says, in a help article's words: the dense search
    embeds it with the query, so a passage worded unlike the customer is still found."""
    shop.teach("warranty.md", WARRANTY)
    vague = "the thing on my purchase"
    claude.script(
        tool_use_reply("rag_search", {"query": vague}),
        text_reply("Nothing found."),
        tool_use_reply(
            "rag_search",
            {
                "query": vague,
                "hypothetical_answer": "Paint and decals are covered against peeling for a number of years.",
            },
        ),
        text_reply("Paint is covered for two years [1]."),
    )
    first = shop.visit().send("My decals are coming off, is that covered?")
    assert first.status == 200, first.body
    second = shop.visit().send("My decals are coming off, is that covered?")
    assert second.status == 200, second.body

    without, with_answer = _tool_result(claude.requests[1].body), _tool_result(claude.requests[3].body)
    assert "two years against peeling" not in without
    assert "two years against peeling" in with_answer
    assert second.body["messages"][-1]["citations"][0]["filename"] == "warranty.md"
    assert "hypothetical_answer" in claude.requests[0].body["tools"][0]["input_schema"]["properties"]
