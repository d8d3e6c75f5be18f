"""The copilot (issue #20): suggested replies for the person who has a conversation, drafted from
the agent's knowledge, never sent by themselves; sent, edited and ignored are told apart and
reported as the acceptance rate."""

from __future__ import annotations

from typing import Any

from devtools.fake_anthropic import FakeAnthropic, text_reply
from tests.integration.chat.conftest import ChatShop, Visitor

RETURNS = (
    "# Returns\n\nYou can return any item within 30 days of delivery for a full refund. Print the "
    "prepaid label from your order page and drop the parcel at any parcel shop."
)
QUESTION = "How do I return an item for a refund?"


def _handed_over(shop: ChatShop) -> Visitor:
    visitor = shop.visit()
    assert visitor.send(QUESTION).status in (200, 201)
    handover = shop.widget("POST", "/conversation/handover", token=visitor.token, json_body={})
    assert handover.status == 200, handover.body
    return visitor


def _suggest(shop: ChatShop, conversation_id: str, **kwargs: Any) -> Any:
    return shop.tenant.call("POST", f"/v1/inbox/conversations/{conversation_id}/suggestions", **kwargs)


def _send(shop: ChatShop, conversation_id: str, content: str, suggestion_id: str | None = None) -> Any:
    body: dict[str, Any] = {"content": content}
    if suggestion_id:
        body["suggestion_id"] = suggestion_id
    return shop.tenant.call("POST", f"/v1/inbox/conversations/{conversation_id}/messages", json_body=body)


def _widget_texts(visitor: Visitor) -> list[str]:
    polled = visitor.poll()
    assert polled.status == 200, polled.body
    return [message["content"] for message in polled.body["messages"]]


def test_offline_suggestions_quote_the_passages_and_reach_the_customer_only_when_sent(
    shop: ChatShop, other_shop: ChatShop
) -> None:
    shop.teach("returns.md", RETURNS)
    visitor = _handed_over(shop)
    conversation = visitor.conversation_id

    first = _suggest(shop, conversation)
    assert first.status == 201, first.body
    suggestion = first.body
    assert (
        suggestion["offline"] is True and suggestion["model"] is None and suggestion["status"] == "suggested"
    )
    assert (
        suggestion["content"].startswith("Offline suggestion") and "within 30 days" in suggestion["content"]
    )
    assert [c["filename"] for c in suggestion["citations"]][:1] == ["returns.md"]
    assert "prepaid label" in suggestion["citations"][0]["text"]  # the passage, to open before sending
    assert not any(suggestion["content"] in text for text in _widget_texts(visitor))

    # Another company can neither ask for one here nor use this one in its own conversation.
    assert _suggest(other_shop, conversation).status == 404
    theirs = _handed_over(other_shop)
    stolen = _send(other_shop, theirs.conversation_id, "Hello", suggestion["id"])
    assert stolen.status == 404 and stolen.body["error"]["code"] == "suggestion_not_found"

    sent = _send(shop, conversation, suggestion["content"], suggestion["id"])
    assert sent.status == 201, sent.body
    assert suggestion["content"] in _widget_texts(visitor)

    edited = _suggest(shop, conversation).body
    assert _send(shop, conversation, "Print the label from your order page.", edited["id"]).status == 201
    ignored = _suggest(shop, conversation).body
    assert _send(shop, conversation, "Anything else I can do?").status == 201
    still_open = _suggest(shop, conversation).body  # nobody has replied since

    report = shop.tenant.call("GET", "/v1/analytics/copilot")
    assert report.status == 200, report.body
    counts = {k: report.body[k] for k in ("sent_as_is", "edited", "ignored")}
    assert counts == {"sent_as_is": 1, "edited": 1, "ignored": 1}
    assert report.body["open"] >= 1 and report.body["acceptance_rate"] == round(2 / 3, 4)
    assert ignored["id"] != still_open["id"]

    refused = shop.tenant.call(
        "POST",
        f"/v1/inbox/conversations/{conversation}/rewrite",
        json_body={"text": "hi", "style": "shorten"},
    )
    assert refused.status == 409 and refused.body["error"]["code"] == "language_model_unavailable"


def test_with_a_language_model_the_suggestion_is_drafted_and_drafts_are_rewritten(
    shop: ChatShop, claude: FakeAnthropic
) -> None:
    shop.teach("returns.md", RETURNS)
    claude.script(text_reply("You can return it within 30 days [1]."))  # the AI's own answer
    visitor = _handed_over(shop)
    draft = "Of course! Print the prepaid label from your order page and drop the parcel at a shop [1]."
    claude.script(text_reply(draft))
    suggestion = _suggest(shop, visitor.conversation_id).body
    assert suggestion["content"] == draft and suggestion["offline"] is False and suggestion["model"]
    request = claude.requests[-1].body
    prompt = request["messages"][0]["content"]
    assert "drop the parcel at any parcel shop" in prompt and QUESTION in prompt
    assert "human support agent" in request["system"]
    assert not any(draft in text for text in _widget_texts(visitor))

    claude.script(text_reply("Print the label and drop the parcel off."))
    shorter = shop.tenant.call(
        "POST",
        f"/v1/inbox/conversations/{visitor.conversation_id}/rewrite",
        json_body={"text": draft, "style": "shorten"},
    )
    assert shorter.status == 200 and shorter.body["text"] == "Print the label and drop the parcel off."
    assert "Shorten" in claude.requests[-1].body["system"]
    assert claude.requests[-1].body["messages"][0]["content"] == draft
