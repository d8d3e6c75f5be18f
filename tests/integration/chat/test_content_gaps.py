"""Content gaps (issue #19): customers' poorly answered questions, clustered into topics by the
nightly job from the embeddings kept at turn time; a topic becomes a draft article that is
published into a category and indexed. Company-scoped like everything else."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, text

from chatapp.quality import content_gaps
from devtools.aws_local import fire_schedule
from devtools.fake_anthropic import FakeAnthropic, text_reply, tool_use_reply
from devtools.template import functions
from tests.integration.chat.conftest import ChatShop
from tests.integration.stack import LocalAws

RETURNS = (
    "# Returns\n\nYou can return any item within 30 days of delivery for a full refund. Print the "
    "prepaid label from your order page and drop the parcel at any parcel shop."
)
SHIPPING = (
    "# Shipping\n\nParcels leave our warehouse within two working days. Delivery in Europe takes "
    "three to five days; tracking links arrive by e-mail."
)
ANSWERED = ["How do I return an item for a refund?", "How long does delivery take in Europe?"]
GIFT_CARDS = ["Can I pay with a gift card?", "Do you accept gift vouchers?", "gift card payment possible?"]


def _teach(shop: ChatShop) -> str:
    """Both guides in one category (assigning a category replaces the agent's set)."""
    category = shop.tenant.category("Help centre")
    shop.tenant.assign(category)
    for name, guide in (("returns.md", RETURNS), ("shipping.md", SHIPPING)):
        file_id = shop.tenant.upload(category, name, guide.encode(), "text/markdown")
        shop.local_aws.drain()
        assert shop.tenant.file(file_id)["status"] == "indexed"
    return category


def _ask(shop: ChatShop, question: str, **end: Any) -> str:
    visitor = shop.visit()
    sent = visitor.send(question)
    assert sent.status in (200, 201), sent.body
    if end:
        ended = shop.widget("POST", "/conversation/end", token=visitor.token, json_body=end)
        assert ended.status == 200, ended.body
    return visitor.conversation_id


def _confidences(owner_engine: Engine, company_id: Any) -> dict[str, float | None]:
    with owner_engine.connect() as db:
        rows = db.execute(
            text(
                "SELECT q.content, (r.metadata->>'confidence')::float FROM chatapp_question_vectors v "
                "JOIN chatapp_messages q ON q.id = v.message_id "
                "JOIN chatapp_messages r ON r.id = v.reply_message_id WHERE v.company_id = :c"
            ),
            {"c": company_id},
        ).all()
    return {row[0]: row[1] for row in rows}


def _gift_topics(shop: ChatShop, query: str = "") -> list[dict[str, Any]]:
    """The topics of the gift-card questions (not the fixture's own poorly rated ones)."""
    return [t for t in _gaps(shop, query)["topics"] if t["label"] in GIFT_CARDS]


def _gaps(shop: ChatShop, query: str = "") -> dict[str, Any]:
    response = shop.tenant.call("GET", f"/v1/analytics/content-gaps{query}")
    assert response.status == 200, response.body
    return response.body


def test_poorly_answered_questions_become_a_topic_and_answered_ones_do_not(
    shop: ChatShop, other_shop: ChatShop, owner_engine: Engine
) -> None:
    _teach(shop)
    for question in ANSWERED + GIFT_CARDS:
        _ask(shop, question)
    confidences = _confidences(owner_engine, shop.tenant.data.company_id)
    assert all(confidences[q] >= content_gaps.LOW_CONFIDENCE for q in ANSWERED), confidences
    assert all(confidences[q] < content_gaps.LOW_CONFIDENCE for q in GIFT_CARDS), confidences
    # Nothing of theirs until the nightly job has run (the fixture's own topic is its last run).
    assert [t["label"] for t in _gaps(shop)["topics"]] == ["Shop gift cards?"]

    result = content_gaps.refresh(company_id=shop.tenant.data.company_id)
    # The fixture's three conversations were rated 1 of 5: their questions are a topic too.
    assert (result.companies, result.questions, result.topics) == (1, 6, 2)
    gaps = _gaps(shop)
    assert gaps["computed_at"] and gaps["window_days"] == content_gaps.WINDOW_DAYS
    rated, topic = sorted(gaps["topics"], key=lambda t: t["label"] in GIFT_CARDS)
    assert rated["label"].endswith(" hello") and rated["reasons"]["rated_poorly"] == 3
    assert topic["question_count"] == 3 and topic["label"] in GIFT_CARDS
    assert sorted(q["text"] for q in topic["example_questions"]) == sorted(GIFT_CARDS)
    assert topic["reasons"] == {"low_confidence": 3, "handed_over": 0, "rated_poorly": 0}
    assert topic["agent_ids"] == [shop.agent_id]
    passage = topic["best_passage"]  # the nearest the knowledge base had, however far
    assert passage["filename"] in ("returns.md", "shipping.md") and passage["text"]
    assert passage["similarity"] < 0.5

    # Another company sees none of it.
    assert [t["label"] for t in _gaps(other_shop)["topics"]] == ["Rival gift cards?"]
    assert not any(q in str(gaps) for q in ANSWERED)


def test_topics_filter_by_agent_and_stay_in_their_company(shop: ChatShop, other_shop: ChatShop) -> None:
    for question in GIFT_CARDS:
        _ask(shop, question)
    content_gaps.refresh(company_id=shop.tenant.data.company_id)
    assert len(_gift_topics(shop, f"?agent_id={shop.agent_id}")) == 1
    foreign = shop.tenant.call("GET", f"/v1/analytics/content-gaps?agent_id={other_shop.agent_id}")
    assert foreign.status == 404 and foreign.body["error"]["code"] == "agent_not_found"
    topic_id = _gift_topics(shop)[0]["id"]
    stolen = other_shop.tenant.call("POST", "/v1/knowledge/drafts", json_body={"topic_id": topic_id})
    assert stolen.status == 404 and stolen.body["error"]["code"] == "topic_not_found"


def test_handed_over_and_poorly_rated_questions_count_with_their_reasons(shop: ChatShop) -> None:
    _teach(shop)
    shop.configure(escalation_rules={"confidenceThreshold": 0.5})  # unsure answers go to a person
    for question in GIFT_CARDS[:2]:
        _ask(shop, question)
    # Answered with confidence, but the customer left unhappy (1 of 5): counted all the same.
    delivery = ["How long does delivery take in Europe?", "How many days until a parcel reaches Europe?"]
    for question in delivery:
        _ask(shop, question, rating=1, feedback="Too slow")
    _ask(shop, "How do I return an item for a refund?", rating=5)  # answered and liked: not a gap

    content_gaps.refresh(company_id=shop.tenant.data.company_id)
    topics = {t["label"]: t for t in _gaps(shop)["topics"]}
    gift = next(t for label, t in topics.items() if label in GIFT_CARDS)
    assert gift["reasons"] == {"low_confidence": 2, "handed_over": 2, "rated_poorly": 0}
    assert all(set(q["reasons"]) == {"low_confidence", "handed_over"} for q in gift["example_questions"])
    rated = next(t for label, t in topics.items() if label in delivery)
    assert rated["reasons"] == {"low_confidence": 0, "handed_over": 0, "rated_poorly": 2}
    assert rated["best_passage"]["filename"] == "shipping.md"  # the page to improve
    assert len(topics) == 3  # and the fixture's poorly rated conversations


def test_the_nightly_job_clusters_and_forgets_topics_that_left_the_window(shop: ChatShop) -> None:
    spec = next(s for s in functions() if s.logical_id == "AnalyticsRollupFunction")
    schedules = {schedule["Input"]: schedule for schedule in spec.schedules}
    for question in GIFT_CARDS:
        _ask(shop, question)
    hourly = fire_schedule(spec, schedules['{"job": "today"}'])
    assert "content_gaps" not in hourly
    nightly = fire_schedule(spec, schedules['{"job": "yesterday"}'])
    assert nightly["content_gaps"]["topics"] >= 1 and nightly["content_gaps"]["questions"] >= 3
    assert len(_gift_topics(shop)) == 1

    from datetime import UTC, datetime, timedelta

    later = datetime.now(UTC) + timedelta(days=content_gaps.WINDOW_DAYS + 1)
    content_gaps.refresh(now=later, company_id=shop.tenant.data.company_id)
    assert _gaps(shop)["topics"] == []


def _topic(shop: ChatShop) -> dict[str, Any]:
    for question in GIFT_CARDS:
        _ask(shop, question)
    content_gaps.refresh(company_id=shop.tenant.data.company_id)
    [topic] = _gift_topics(shop)
    return topic


def test_a_topic_becomes_a_draft_that_is_edited_and_published_into_a_category(
    shop: ChatShop, other_shop: ChatShop, local_aws: LocalAws
) -> None:
    category = _teach(shop)
    topic = _topic(shop)
    created = shop.tenant.call("POST", "/v1/knowledge/drafts", json_body={"topic_id": topic["id"]})
    assert created.status == 201, created.body
    draft = created.body
    assert draft["generated_by"] == "template" and draft["status"] == "draft"
    assert all(f"- {q}" in draft["content"] for q in GIFT_CARDS) and draft["content"].startswith("# ")
    assert draft["title"] == topic["label"].rstrip("?")

    unplaced = shop.tenant.call("POST", f"/v1/knowledge/drafts/{draft['id']}/publish", json_body={})
    assert unplaced.status == 400 and unplaced.body["error"]["code"] == "category_required"
    article = "# Gift cards\n\nWe accept gift cards at checkout: enter the card's code under Payment."
    edited = shop.tenant.call(
        "PATCH", f"/v1/knowledge/drafts/{draft['id']}", json_body={"content": article, "title": "Gift cards"}
    )
    assert edited.status == 200 and edited.body["content"] == article
    assert other_shop.tenant.call("GET", f"/v1/knowledge/drafts/{draft['id']}").status == 404

    published = shop.tenant.call(
        "POST", f"/v1/knowledge/drafts/{draft['id']}/publish", json_body={"category_id": category}
    )
    assert published.status == 200, published.body
    assert published.body["status"] == "published" and published.body["published_at"]
    local_aws.drain()
    file = shop.tenant.file(published.body["file_id"])
    assert file["status"] == "indexed" and file["original_filename"] == "gift-cards.md"

    # The next customer asking finds the new article.
    visitor = shop.visit()
    answer = visitor.send("Can I pay with a gift card?").body
    cited = [c["filename"] for m in answer["messages"] for c in m.get("citations", [])]
    assert "gift-cards.md" in cited

    again = shop.tenant.call("PATCH", f"/v1/knowledge/drafts/{draft['id']}", json_body={"title": "x"})
    assert again.status == 409 and again.body["error"]["code"] == "draft_published"
    listed = shop.tenant.call("GET", "/v1/knowledge/drafts").body
    assert draft["id"] in [d["id"] for d in listed]
    assert draft["id"] not in [d["id"] for d in other_shop.tenant.call("GET", "/v1/knowledge/drafts").body]


def test_with_a_language_model_the_draft_is_written_by_it(shop: ChatShop, claude: FakeAnthropic) -> None:
    # The customers' three questions: the model searches, finds nothing, and is unsure.
    claude.script(*[tool_use_reply("rag_search", {"query": "gift cards"}), text_reply("I am not sure.")] * 3)
    topic = _topic(shop)
    claude.script(text_reply("# Paying with gift cards\n\nGift cards work at checkout. [TODO: which ones]"))
    created = shop.tenant.call("POST", "/v1/knowledge/drafts", json_body={"topic_id": topic["id"]})
    assert created.status == 201, created.body
    assert created.body["title"] == "Paying with gift cards"
    assert created.body["generated_by"] != "template" and "[TODO: which ones]" in created.body["content"]
    prompt = claude.requests[-1].body["messages"][0]["content"]
    assert all(q in prompt for q in GIFT_CARDS)
    assert "Never invent" in claude.requests[-1].body["system"]
