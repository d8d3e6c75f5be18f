"""Answers in the customer's language (issue #20): the language is detected from what the customer
writes (or given by the host page), stored on the conversation and the customer's profile, and the
texts customers read follow it: the agent's own per language, else its default, else the system's."""

from __future__ import annotations

from typing import Any

from devtools.fake_anthropic import FakeAnthropic, text_reply
from tests.integration.chat.conftest import ChatShop

GERMAN_HANDOVER = "Gleich meldet sich jemand aus unserem Team bei Ihnen."


def _texts(response: Any) -> list[str]:
    assert response.status in (200, 201), response.body
    return [message["content"] for message in response.body["messages"]]


def test_a_german_customer_gets_the_agents_german_handover_and_the_language_is_stored(shop: ChatShop) -> None:
    shop.configure(
        escalation_rules={"keywords": ["anwalt", "lawyer"]},
        fallback_responses={
            "handover": "A person will join you.",
            "byLanguage": {"de": {"handover": GERMAN_HANDOVER}},
        },
    )
    visitor = shop.visit(customer={"email": "kunde@example.de", "name": "Kunde"})
    assert GERMAN_HANDOVER in _texts(visitor.send("Mein Anwalt sagt, das Paket ist verloren gegangen."))

    detail = shop.tenant.call("GET", f"/v1/inbox/conversations/{visitor.conversation_id}").body
    assert detail["language"] == "de"
    profile = shop.tenant.call("GET", f"/v1/inbox/customers/{detail['customer_id']}")
    assert profile.status == 200 and profile.body["metadata"]["language"] == "de"

    # The same agent's English customer gets its default text.
    english = shop.visit()
    assert "A person will join you." in _texts(english.send("My lawyer says the parcel is lost."))
    refused = shop.tenant.call(
        "PATCH", f"/v1/agents/{shop.agent_id}", json_body={"fallback_responses": {"byLanguage": {"xx": {}}}}
    )
    assert refused.status in (400, 422)


def test_without_texts_of_its_own_the_system_speaks_the_customers_language(shop: ChatShop) -> None:
    shop.configure(escalation_rules={"keywords": ["avocat"]})
    visitor = shop.visit()
    texts = _texts(visitor.send("Mon avocat dit que le colis est perdu, que faire ?"))
    assert any(text.startswith("J'ai demandé à un membre de notre équipe") for text in texts)


def test_the_host_pages_language_is_used_until_the_customer_has_written_enough(shop: ChatShop) -> None:
    visitor = shop.visit(lang="fr-CH")
    texts = _texts(visitor.send("Merci"))  # under 10 characters: nothing to detect yet
    assert any("Réponse hors ligne" in text for text in texts)  # the offline answerer says so in French
    detail = shop.tenant.call("GET", f"/v1/inbox/conversations/{visitor.conversation_id}").body
    assert detail["language"] == "fr"
    texts = _texts(visitor.send("Actually, could you tell me where my parcel is?"))
    assert any("Offline answer" in text for text in texts)  # the customer writes English: followed
    assert (
        shop.tenant.call("GET", f"/v1/inbox/conversations/{visitor.conversation_id}").body["language"] == "en"
    )


def test_claude_is_told_the_customers_language(shop: ChatShop, claude: FakeAnthropic) -> None:
    claude.script(text_reply("Gerne helfe ich Ihnen."))
    visitor = shop.visit()
    assert "Gerne helfe ich Ihnen." in _texts(visitor.send("Können Sie mir bei meiner Bestellung helfen?"))
    system = claude.requests[-1].body["system"]
    assert "code 'de'" in system
    assert "articles are written in the language with code 'en'" in system  # searches in English


def test_people_answering_read_a_translation_kept_with_each_message(
    shop: ChatShop, claude: FakeAnthropic
) -> None:
    claude.script(text_reply("Ich hole jemanden dazu."))
    visitor = shop.visit()
    question = "Mein Paket ist beschädigt angekommen. Was kann ich tun?"
    _texts(visitor.send(question))
    path = f"/v1/inbox/conversations/{visitor.conversation_id}/translation"
    claude.script(text_reply('["My parcel arrived damaged. What can I do?"]'))
    translated = shop.tenant.call("POST", path)
    assert translated.status == 200, translated.body
    assert translated.body["source_language"] == "de" and translated.body["target"] == "en"
    assert [m["text"] for m in translated.body["messages"]] == ["My parcel arrived damaged. What can I do?"]
    assert question in claude.requests[-1].body["messages"][0]["content"]
    assert "English" in claude.requests[-1].body["system"]

    asked = len(claude.requests)
    again = shop.tenant.call("POST", path)  # kept: the model is not asked twice
    assert again.body["messages"] == translated.body["messages"] and len(claude.requests) == asked
    detail = shop.tenant.call("GET", f"/v1/inbox/conversations/{visitor.conversation_id}").body
    customer = next(m for m in detail["messages"] if m["role"] == "user")
    assert customer["metadata"]["translations"]["en"] == "My parcel arrived damaged. What can I do?"
    assert all("My parcel arrived" not in text for text in _texts(visitor.poll()))  # never to the customer


def test_offline_translation_is_refused_clearly(shop: ChatShop) -> None:
    visitor = shop.visit()
    _texts(visitor.send("Mein Paket ist beschädigt angekommen."))
    refused = shop.tenant.call("POST", f"/v1/inbox/conversations/{visitor.conversation_id}/translation")
    assert refused.status == 409 and refused.body["error"]["code"] == "language_model_unavailable"
