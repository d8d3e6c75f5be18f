"""The public REST API with API keys: a company's own conversations only, messages as the customer
(the AI answers) or as a human agent (the AI steps back), and an analytics summary."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from chatapp.analytics.rollup import rollup_date, rollup_local_day
from chatapp.db.enums import ConversationStatus, MessageRole
from chatapp.db.models.conversations import Conversation, Message
from tests.integration.api_keys.conftest import KeyedCompany, error_code

READER = ("read:conversations",)


def test_console_sessions_are_refused_on_the_public_api(company: KeyedCompany) -> None:
    conversation = company.data.conversations["mine"]
    for method, path, body in (
        ("GET", "/v1/public/conversations", None),
        ("GET", f"/v1/public/conversations/{conversation}", None),
        ("POST", f"/v1/public/conversations/{conversation}/messages", {"content": "hi"}),
        ("GET", "/v1/public/analytics/summary", None),
    ):
        response = company.api.request(method, path, token=company.admin, json_body=body)
        assert response.status == 403 and error_code(response) == "api_key_required", (path, response.body)
    assert company.api.get("/v1/public/conversations").status == 401


def test_lists_and_pages_its_own_conversations_only(
    company: KeyedCompany, other_company: KeyedCompany
) -> None:
    key = company.key(*READER)
    listed = company.call("GET", "/v1/public/conversations", key)
    assert listed.status == 200, listed.body
    ids = {item["id"] for item in listed.body["items"]}
    assert ids == {str(c) for c in company.data.conversations.values()}
    assert listed.body["next_cursor"] is None

    first = company.call("GET", "/v1/public/conversations?limit=2", key).body
    assert len(first["items"]) == 2 and first["next_cursor"]
    second = company.call("GET", f"/v1/public/conversations?limit=2&cursor={first['next_cursor']}", key).body
    assert len(second["items"]) == 1 and second["next_cursor"] is None
    assert {i["id"] for i in first["items"] + second["items"]} == ids
    bad = company.call("GET", "/v1/public/conversations?cursor=not-a-cursor", key)
    assert bad.status == 400 and error_code(bad) == "invalid_cursor"

    resolved = company.conversation(status=ConversationStatus.RESOLVED)
    only = company.call("GET", "/v1/public/conversations?status=resolved", key).body["items"]
    assert [i["id"] for i in only] == [str(resolved)]
    mine = company.call("GET", f"/v1/public/conversations?agent_id={company.data.agent_id}", key)
    assert len(mine.body["items"]) == 4
    theirs = company.call("GET", f"/v1/public/conversations?agent_id={other_company.data.agent_id}", key)
    assert theirs.status == 404 and error_code(theirs) == "agent_not_found"
    later = (datetime.now(UTC) + timedelta(minutes=5)).isoformat().replace("+00:00", "Z")
    assert company.call("GET", f"/v1/public/conversations?since={later}", key).body["items"] == []
    earlier = (datetime.now(UTC) - timedelta(minutes=5)).isoformat().replace("+00:00", "Z")
    assert len(company.call("GET", f"/v1/public/conversations?since={earlier}", key).body["items"]) == 4


def test_reads_a_conversation_with_messages_but_not_another_companys(
    company: KeyedCompany, other_company: KeyedCompany
) -> None:
    key = company.key(*READER)
    conversation = company.data.conversations["mine"]
    read = company.call("GET", f"/v1/public/conversations/{conversation}", key)
    assert read.status == 200, read.body
    assert read.body["id"] == str(conversation)
    assert [(m["role"], m["content"]) for m in read.body["messages"]] == [("user", "Keys mine hello")]

    for foreign in (other_company.data.conversations["mine"], uuid.uuid4()):
        missing = company.call("GET", f"/v1/public/conversations/{foreign}", key)
        assert missing.status == 404 and error_code(missing) == "conversation_not_found"
    writer = company.key("write:messages")
    for sender in ("customer", "human_agent"):
        path = f"/v1/public/conversations/{other_company.data.conversations['mine']}/messages"
        refused = company.call("POST", path, writer, {"content": "hello", "as": sender})
        assert refused.status == 404 and error_code(refused) == "conversation_not_found"
    foreign = other_company.data.conversations["mine"]
    with Session(other_company.owner_engine) as db:
        stored = db.scalar(
            select(Message.id).where(Message.conversation_id == foreign, Message.content == "hello")
        )
    assert stored is None


def test_a_customer_message_gets_the_ais_answer(company: KeyedCompany, builtin_packages: None) -> None:
    key = company.key("read:conversations", "write:messages")
    conversation = company.conversation()
    sent = company.call(
        "POST",
        f"/v1/public/conversations/{conversation}/messages",
        key,
        {"content": "What are your opening hours?", "as": "customer"},
    )
    assert sent.status == 201, sent.body
    assert sent.body["status"] == "active"
    roles = [m["role"] for m in sent.body["messages"]]
    assert roles == ["user", "assistant"], sent.body
    assert sent.body["messages"][0]["content"] == "What are your opening hours?"
    assert sent.body["messages"][1]["content"]
    read = company.call("GET", f"/v1/public/conversations/{conversation}", key).body
    assert [m["id"] for m in read["messages"]] == [m["id"] for m in sent.body["messages"]]
    default = company.call(
        "POST", f"/v1/public/conversations/{conversation}/messages", key, {"content": "Thanks"}
    )
    assert [m["role"] for m in default.body["messages"]] == ["user", "assistant"]  # "as" defaults to customer
    refused = company.call(
        "POST", f"/v1/public/conversations/{conversation}/messages", key, {"content": "x", "as": "robot"}
    )
    assert refused.status == 422


def test_a_human_agent_message_takes_the_conversation_from_the_ai(
    company: KeyedCompany, builtin_packages: None
) -> None:
    key = company.key("read:conversations", "write:messages", name="Helpdesk")
    conversation = company.conversation()
    path = f"/v1/public/conversations/{conversation}/messages"
    sent = company.call("POST", path, key, {"content": "Hi, Dana from support here.", "as": "human_agent"})
    assert sent.status == 201, sent.body
    assert sent.body["status"] == "with_human"
    [message] = sent.body["messages"]
    assert message["role"] == "human_agent" and message["sender_name"] == "Helpdesk"
    with Session(company.owner_engine) as db:
        row = db.get(Message, uuid.UUID(message["id"]))
        assert row is not None and row.sender_id is None and row.role is MessageRole.HUMAN_AGENT
        stored = db.get(Conversation, conversation)
        assert stored is not None and stored.status is ConversationStatus.WITH_HUMAN
        assert stored.is_human_agent is True and stored.human_message_count == 1

    # The AI does not answer any more: the customer's message is stored, nothing else.
    customer = company.call("POST", path, key, {"content": "Great, thanks!", "as": "customer"})
    assert customer.status == 201, customer.body
    assert [m["role"] for m in customer.body["messages"]] == ["user"]
    assert customer.body["status"] == "with_human"
    read = company.call("GET", f"/v1/public/conversations/{conversation}", key).body
    assert [m["role"] for m in read["messages"]] == ["human_agent", "user"]


def test_the_analytics_summary_is_the_consoles_read_from_the_rollups(
    company: KeyedCompany, other_company: KeyedCompany, owner_engine: Engine
) -> None:
    """One definition of every figure: the key sees exactly what the console shows for the same days."""
    key = company.key("read:analytics")
    long_ago = datetime(2020, 1, 15, 12, tzinfo=UTC)
    with Session(owner_engine) as db, db.begin():
        old = Conversation(
            company_id=company.data.company_id,
            agent_id=company.data.agent_id,
            session_token=f"old-{uuid.uuid4()}",
            channel="web",
            started_at=long_ago,
            last_message_at=long_ago,
        )
        db.add(old)
        db.flush()
        db.add(Message(conversation_id=old.id, role=MessageRole.USER, content="old", created_at=long_ago))

    before_rollup = company.call("GET", "/v1/public/analytics/summary", key)
    assert before_rollup.status == 200, before_rollup.body
    assert before_rollup.body["totals"]["new_conversations"] == 0  # figures come from the rollups only
    rollup_date(long_ago.date(), company.data.company_id)
    rollup_local_day(0, company_id=company.data.company_id)

    default = company.call("GET", "/v1/public/analytics/summary", key).body  # the last 30 local days
    # The fixture company: three conversations, each with one customer message and one escalation.
    totals = default["totals"]
    assert (totals["new_conversations"], totals["user_messages"], totals["escalated_conversations"]) == (
        3,
        3,
        3,
    )
    console = company.api.request("GET", "/v1/analytics/summary", token=company.admin)
    assert console.status == 200 and console.body == default

    past = company.call("GET", "/v1/public/analytics/summary?from=2020-01-01&to=2020-01-31", key).body
    assert past["filter"]["from"] == "2020-01-01" and past["filter"]["to"] == "2020-01-31"
    assert (past["totals"]["new_conversations"], past["totals"]["total_messages"]) == (1, 1)
    assert past["totals"]["escalated_conversations"] == 0
    on_web = company.call(
        "GET", "/v1/public/analytics/summary?from=2020-01-01&to=2020-01-31&channel=web", key
    )
    assert on_web.body["totals"]["new_conversations"] == 1
    theirs = company.call("GET", f"/v1/public/analytics/summary?agent_id={other_company.data.agent_id}", key)
    assert theirs.status == 404 and error_code(theirs) == "agent_not_found"
    backwards = company.call("GET", "/v1/public/analytics/summary?from=2020-02-01&to=2020-01-01", key)
    assert backwards.status == 400 and error_code(backwards) == "invalid_range"
    moment = company.call("GET", "/v1/public/analytics/summary?from=2020-01-01T10:30:00Z", key)
    assert moment.status == 422 and error_code(moment) == "invalid_input"


def test_analytics_summary_dates_must_be_within_the_supported_years(company: KeyedCompany) -> None:
    """Found by `./run fuzz`: the default `from`, 30 days before a `to` in year 1, overflowed (500)."""
    key = company.key("read:analytics")
    for query in (
        "to=0001-01-05",
        "from=0001-01-01&to=2020-01-01",
        "from=2020-01-01&to=9999-12-31",
    ):
        response = company.call("GET", f"/v1/public/analytics/summary?{query}", key)
        assert response.status == 400 and error_code(response) == "date_out_of_range", (query, response.body)
