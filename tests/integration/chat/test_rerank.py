"""The language model's second look at the best passages (`ragConfig.rerank`), through a real turn:
the real anthropic SDK against the scripted Messages API."""

from __future__ import annotations

import re
import uuid
from typing import Any

from sqlalchemy.orm import Session

from chatapp.db.models.conversations import Message
from devtools.fake_anthropic import FakeAnthropic, delayed, text_reply, tool_use_reply
from tests.integration.chat.conftest import ChatShop

MANUAL = (
    "# Bike care\n\n## Chains\n\nClean the chain with a dry rag, then oil every link. A chain that "
    "squeaks after rain needs oil.\n\n## Tyres\n\nPump road tyres to six bar. A tyre that loses air "
    "overnight has a slow puncture: replace the inner tube.\n\n## Brakes\n\nSqueaking brakes after "
    "rain are normal and stop once the pads dry.\n"
)
QUESTION = "my bike squeaks after it rained"


def _cited_sources(request: dict[str, Any]) -> list[str]:
    """The passages' texts, in the order the tool result gave them to Claude."""
    last = request["messages"][-1]["content"][0]
    content = last["content"] if isinstance(last["content"], str) else last["content"][0]["text"]
    return re.findall(r"\[\d+\] \([^)]*\)\n(.+)", content)


def _numbered(rerank_request: dict[str, Any]) -> dict[int, str]:
    prompt = rerank_request["messages"][0]["content"]
    return {
        int(n): body
        for n, body in re.findall(r'<passage number="(\d+)"[^>]*>\n(.*?)\n</passage>', prompt, re.S)
    }


def _searches(owner_session: Session, message_id: str) -> list[dict[str, Any]]:
    message = owner_session.get(Message, uuid.UUID(message_id))
    assert message is not None
    return list(message.metadata_["searches"])


def test_the_model_orders_the_passages_that_answer_first(
    shop: ChatShop, claude: FakeAnthropic, owner_session: Session
) -> None:
    shop.teach("care.md", MANUAL)
    shop.configure(rag_config={"rerank": True, "maxResults": 3})
    claude.script(
        tool_use_reply("rag_search", {"query": QUESTION}),
        text_reply("[3, 1]"),  # the reranker's answer: passage 3 first, then 1
        text_reply("Squeaky brakes after rain are normal [1]."),
    )
    reply = shop.visit().send(QUESTION)
    assert reply.status == 200, reply.body

    asked, second_look, answered = claude.requests
    assert second_look.body["model"] == "claude-haiku-4-5"
    assert "judge search results" in second_look.body["system"]
    assert QUESTION in second_look.body["messages"][0]["content"]
    candidates = _numbered(second_look.body)
    assert len(candidates) >= 3
    given = _cited_sources(answered.body)
    assert given[0] == candidates[3].splitlines()[0]  # the model's first choice leads
    assert given[1] == candidates[1].splitlines()[0]
    assert len(given) == 3  # maxResults still caps what the agent gets
    search = _searches(owner_session, reply.body["messages"][-1]["id"])[0]
    assert search["rerank"]["outcome"] == "reranked"
    assert asked.body["model"] == "claude-sonnet-5"


def test_a_slow_rerank_gives_up_within_its_budget_and_keeps_retrievals_order(
    shop: ChatShop, claude: FakeAnthropic, owner_session: Session
) -> None:
    shop.teach("care.md", MANUAL)
    shop.configure(rag_config={"rerank": True, "rerankBudgetMs": 300, "maxResults": 3})
    claude.script(
        tool_use_reply("rag_search", {"query": QUESTION}),
        delayed(3.0, text_reply("[3]")),
        text_reply("Here is what I found [1]."),
    )
    reply = shop.visit().send(QUESTION)
    assert reply.status == 200, reply.body

    assert len(claude.requests) == 3  # no retry of the rerank: its timeout is the whole budget
    _, second_look, answered = claude.requests
    candidates = _numbered(second_look.body)
    assert _cited_sources(answered.body) == [candidates[n].splitlines()[0] for n in (1, 2, 3)]
    search = _searches(owner_session, reply.body["messages"][-1]["id"])[0]
    assert search["rerank"]["outcome"] == "timeout"
    assert search["rerank"]["ms"] < 1500  # gave up near 300 ms, long before the 3 s reply


def test_an_unreadable_rerank_changes_nothing(
    shop: ChatShop, claude: FakeAnthropic, owner_session: Session
) -> None:
    shop.teach("care.md", MANUAL)
    shop.configure(rag_config={"rerank": True, "maxResults": 3})
    claude.script(
        tool_use_reply("rag_search", {"query": QUESTION}),
        text_reply("Passage three looks best to me."),
        text_reply("Here is what I found [1]."),
    )
    reply = shop.visit().send(QUESTION)
    assert reply.status == 200, reply.body
    _, second_look, answered = claude.requests
    candidates = _numbered(second_look.body)
    assert _cited_sources(answered.body) == [candidates[n].splitlines()[0] for n in (1, 2, 3)]
    assert _searches(owner_session, reply.body["messages"][-1]["id"])[0]["rerank"]["outcome"] == "unreadable"


def test_without_the_setting_there_is_no_second_look(shop: ChatShop, claude: FakeAnthropic) -> None:
    shop.teach("care.md", MANUAL)
    claude.script(tool_use_reply("rag_search", {"query": QUESTION}), text_reply("Oil it [1]."))
    assert shop.visit().send(QUESTION).status == 200
    assert [request.body["model"] for request in claude.requests] == ["claude-sonnet-5"] * 2


def test_a_budget_outside_its_range_is_refused(shop: ChatShop) -> None:
    response = shop.tenant.call(
        "PATCH", f"/v1/agents/{shop.agent_id}", json_body={"rag_config": {"rerankBudgetMs": 50}}
    )
    assert response.status == 422, response.body
    assert response.body["error"]["code"] == "invalid_input"
