"""Streamed answers over the widget's socket (docs/realtime.md), through the local runner's
WebSocket API: the real `$connect`/`$disconnect`/`$default` handler, the real answer worker invoked
asynchronously through the runner's Lambda Invoke API, and frames posted with boto3 to the runner's
`@connections` API.
"""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from sqlalchemy import Engine, text, update
from sqlalchemy.orm import Session
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from chatapp.db.models.billing import CompanySubscription
from devtools.fake_anthropic import FakeAnthropic, broken_stream, streamed, text_reply, tool_use_reply
from tests.integration.chat.conftest import SHOP, ChatShop
from tests.integration.chat.sockets import Realtime
from tests.integration.stack import LocalAws

GUIDE = (
    "# Returns\n\nYou can return any item within 30 days of delivery for a full refund. "
    "Print the prepaid label from your order page, pack the item in its original box and drop it at "
    "any parcel shop. Refunds reach your card five working days after the parcel arrives back with us."
)


def _connections(owner_engine: Engine, conversation_id: str) -> int:
    with owner_engine.connect() as db:
        return int(
            db.execute(
                text("SELECT count(*) FROM chatapp_realtime_connections WHERE conversation_id = :c"),
                {"c": conversation_id},
            ).scalar_one()
        )


def _stored(owner_engine: Engine, message_id: str) -> dict[str, Any]:
    with owner_engine.connect() as db:
        row = db.execute(
            text("SELECT content, metadata FROM chatapp_messages WHERE id = :m"), {"m": message_id}
        ).one()
    return {"content": row.content, "metadata": row.metadata}


def test_the_offline_answer_streams_in_pieces_and_ends_with_the_stored_reply(
    shop: ChatShop, realtime: Realtime, owner_engine: Engine
) -> None:
    shop.teach("returns.md", GUIDE)
    visitor = shop.visit()
    frames = realtime.socket(shop, visitor)
    realtime.wait_open(1)
    assert _connections(owner_engine, visitor.conversation_id) == 1

    sent = visitor.send("How do I return an item for a refund?")
    assert sent.status == 202, sent.body
    assert sent.body["streaming"] is True
    [asked] = sent.body["messages"]
    assert asked["role"] == "user"

    done = frames.until("answer.done")
    deltas = [f for f in frames.of("answer.delta") if f["reply_to"] == asked["id"]]
    assert len(deltas) >= 3, deltas  # paced word by word, batched about every 50 ms
    assert frames.of("answer.searching")[0]["reply_to"] == asked["id"]
    reply = done["message"]
    assert done["reply_to"] == asked["id"] and reply["role"] == "assistant"
    assert "".join(d["text"] for d in deltas).strip() == reply["content"].strip()
    assert reply["citations"], reply  # the stored reply, as the messages API shows it

    polled = visitor.poll().body["messages"]
    assert [m["id"] for m in polled if m["role"] == "assistant"][-1] == reply["id"]
    stored = _stored(owner_engine, reply["id"])
    assert stored["metadata"]["replyTo"] == asked["id"]
    assert stored["metadata"]["stream"] == {
        "chars": sum(len(d["text"]) for d in deltas),
        "interrupted": False,
    }

    frames.close()
    deadline = time.monotonic() + 5
    while _connections(owner_engine, visitor.conversation_id):  # $disconnect forgets it
        assert time.monotonic() < deadline
        time.sleep(0.02)
    without_socket = visitor.send("And how long does the refund take?")
    assert without_socket.status == 200 and without_socket.body["streaming"] is False
    assert [m["role"] for m in without_socket.body["messages"]] == ["user", "assistant"]


def test_claude_streams_its_answer_after_a_search(
    shop: ChatShop, realtime: Realtime, claude: FakeAnthropic
) -> None:
    shop.teach("returns.md", GUIDE)
    visitor = shop.visit()
    frames = realtime.socket(shop, visitor)
    answer = "You can return it within 30 days [1]. Print the label from your order page and drop it off."
    claude.script(
        tool_use_reply("rag_search", {"query": "return policy"}),
        streamed(text_reply(answer), first_token_delay=0.2, tokens_per_second=200),
    )
    sent = visitor.send("Can I send this back?")
    assert sent.status == 202, sent.body

    done = frames.until("answer.done")
    searching = frames.until("answer.searching")
    assert searching["query"] == "return policy"
    deltas = frames.of("answer.delta")
    assert len(deltas) >= 3 and "".join(d["text"] for d in deltas) == answer
    first_delta_at = next(at for at, f in frames.received if f["type"] == "answer.delta")
    done_at = next(at for at, f in frames.received if f["type"] == "answer.done")
    assert done_at - first_delta_at > 0.05  # the text arrived while it was being written
    assert done["message"]["content"] == answer
    assert [c["filename"] for c in done["message"]["citations"]] == ["returns.md"]
    assert claude.requests[-1].body["stream"] is True


def test_a_stream_that_breaks_off_ends_with_the_fallback_and_says_so(
    shop: ChatShop, realtime: Realtime, claude: FakeAnthropic, owner_engine: Engine
) -> None:
    visitor = shop.visit()
    frames = realtime.socket(shop, visitor)
    claude.script(broken_stream(text_reply("Our returns window is thirty days from delivery, and"), 20))
    sent = visitor.send("What is the returns window?")
    assert sent.status == 202, sent.body

    done = frames.until("answer.done")
    error = frames.until("answer.error")
    assert error["code"] == "answer_interrupted"
    assert "".join(d["text"] for d in frames.of("answer.delta")) == "Our returns window i"
    kinds = [f["type"] for _, f in frames.received]
    assert kinds.index("answer.error") < kinds.index("answer.done")
    stored = _stored(owner_engine, done["message"]["id"])
    assert stored["metadata"]["fallback"] is True
    assert stored["metadata"]["stream"] == {"chars": 20, "interrupted": True}
    assert done["message"]["content"] == stored["content"] != ""


def test_a_socket_hears_only_its_own_conversation(
    shop: ChatShop, other_shop: ChatShop, realtime: Realtime
) -> None:
    ours, theirs, neighbour = shop.visit(), other_shop.visit(), shop.visit()
    our_frames = realtime.socket(shop, ours)
    their_frames = realtime.socket(other_shop, theirs)
    neighbour_frames = realtime.socket(shop, neighbour)
    realtime.wait_open(3)
    for _ in range(2):
        assert ours.send("Hello, where is my parcel?").status == 202
        assert theirs.send("Hi there, do you ship abroad?").status == 202
    for frames in (our_frames, their_frames):
        deadline = time.monotonic() + 20
        while len(frames.of("answer.done")) < 2:
            assert time.monotonic() < deadline
            time.sleep(0.02)
    our_ids = {m["id"] for m in ours.poll().body["messages"]}
    their_ids = {m["id"] for m in theirs.poll().body["messages"]}
    assert {f["reply_to"] for _, f in our_frames.received} <= our_ids
    assert {f["reply_to"] for _, f in their_frames.received} <= their_ids
    assert {f["message"]["id"] for f in our_frames.of("answer.done")} <= our_ids
    assert neighbour_frames.received == []  # same company, another visitor's conversation


def _refused(realtime: Realtime, subprotocols: list[str], origin: str = SHOP) -> int:
    with pytest.raises(InvalidStatus) as refused:
        connect(f"ws://127.0.0.1:{realtime.port}/ws/widget", origin=origin, subprotocols=subprotocols)
    return refused.value.response.status_code


def test_forged_expired_reused_and_foreign_tickets_are_refused_and_leave_no_connection(
    shop: ChatShop, realtime: Realtime, owner_engine: Engine
) -> None:
    visitor = shop.visit()
    company = shop.tenant.data.company_id

    def ticket() -> str:
        issued = shop.widget("POST", "/conversation/realtime-ticket", token=visitor.token)
        assert issued.status == 201, issued.body
        return str(issued.body["ticket"])

    assert _refused(realtime, ["buzzi.v1"]) == 401  # no ticket
    assert _refused(realtime, ["buzzi.v1", f"bzt_{company.hex}.forged-secret"]) == 401
    assert _refused(realtime, ["buzzi.v1", f"bzt_{uuid.uuid4().hex}.x"]) == 401
    assert _refused(realtime, [ticket()]) == 401  # without the protocol it speaks

    expired = ticket()
    with owner_engine.begin() as db:
        db.execute(
            text("UPDATE chatapp_realtime_tickets SET expires_at = :t WHERE company_id = :c"),
            {"t": datetime.now(UTC) - timedelta(seconds=1), "c": company},
        )
    assert _refused(realtime, ["buzzi.v1", expired]) == 401

    assert _refused(realtime, ["buzzi.v1", ticket()], origin="https://evil.example") == 403
    used = ticket()
    first = realtime.connect(used)
    assert first.subprotocol == "buzzi.v1"
    assert _refused(realtime, ["buzzi.v1", used]) == 401  # single use
    realtime.wait_open(1)
    assert _connections(owner_engine, visitor.conversation_id) == 1  # only the accepted one
    first.close()

    refused = shop.widget("POST", "/conversation/realtime-ticket", token="bzw_not-a-session")
    assert refused.status == 401
    with owner_engine.connect() as db:
        hashes = db.execute(text("SELECT token_hash FROM chatapp_realtime_tickets")).scalars().all()
    assert used not in hashes and all(len(h) == 64 for h in hashes)  # stored hashed


def test_a_gone_connection_is_forgotten_and_a_ping_is_answered(
    shop: ChatShop, realtime: Realtime, owner_engine: Engine
) -> None:
    visitor = shop.visit()
    frames = realtime.socket(shop, visitor)
    realtime.wait_open(1)
    frames.connection.send(json.dumps({"action": "ping"}))
    assert frames.until("pong") == {"type": "pong"}

    with owner_engine.begin() as db:  # a socket the browser left without a clean close
        db.execute(
            text(
                "INSERT INTO chatapp_realtime_connections (connection_id, company_id, kind, agent_id,"
                " conversation_id, expires_at) VALUES ('vanished=', :c, 'widget', :a, :v, :e)"
            ),
            {
                "c": shop.tenant.data.company_id,
                "a": shop.tenant.data.agent_id,
                "v": visitor.conversation_id,
                "e": datetime.now(UTC) + timedelta(hours=1),
            },
        )
    assert visitor.send("Hello?").status == 202
    frames.until("answer.done")
    with owner_engine.connect() as db:
        left = (
            db.execute(
                text("SELECT connection_id FROM chatapp_realtime_connections WHERE conversation_id = :c"),
                {"c": visitor.conversation_id},
            )
            .scalars()
            .all()
        )
    assert "vanished=" not in left and len(left) == 1


def test_a_redelivered_job_answers_once_and_repeats_the_stored_reply(
    shop: ChatShop, realtime: Realtime
) -> None:
    from chatapp.surfaces import widget_streaming

    visitor = shop.visit()
    frames = realtime.socket(shop, visitor)
    sent = visitor.send("Hello, can you help me?")
    asked = sent.body["messages"][0]["id"]
    first = frames.until("answer.done")
    widget_streaming.stream_answer(
        shop.tenant.data.company_id, uuid.UUID(visitor.conversation_id), uuid.UUID(asked)
    )
    deadline = time.monotonic() + 5
    while len(frames.of("answer.done")) < 2:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert frames.of("answer.done")[1]["message"]["id"] == first["message"]["id"]
    assistant = [m for m in visitor.poll().body["messages"] if m["role"] == "assistant"]
    assert len([m for m in assistant if m["id"] == first["message"]["id"]]) == 1
    assert len(assistant) == 2  # the welcome and one answer


def test_a_persons_reply_reaches_the_widgets_socket(shop: ChatShop, realtime: Realtime) -> None:
    visitor = shop.visit()
    frames = realtime.socket(shop, visitor)
    realtime.wait_open(1)
    replied = shop.tenant.call(
        "POST",
        f"/v1/inbox/conversations/{visitor.conversation_id}/messages",
        json_body={"content": "Hi, this is Sam from support. Let me check your order."},
    )
    assert replied.status in (200, 201), replied.body
    frame = frames.until("message")
    assert frame["message"]["id"] == replied.body["id"]
    assert frame["message"]["role"] == "human_agent"
    assert frame["message"]["content"] == "Hi, this is Sam from support. Let me check your order."
    polled = [m for m in visitor.poll().body["messages"] if m["role"] == "human_agent"]
    assert {k: polled[0][k] for k in ("id", "created_at", "sender_name")} == {
        k: frame["message"][k] for k in ("id", "created_at", "sender_name")
    }


def test_a_failed_answer_ends_the_widgets_wait_and_is_dead_lettered_with_the_reason(
    shop: ChatShop, realtime: Realtime, local_aws: LocalAws, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker's invocation is not retried (the customer is waiting now): a run that fails tells
    the widget it gave up, and Lambda's destination record (the event and the error) lands in the DLQ."""
    import boto3

    from chatapp.conversations import turns

    def database_gone(*_: Any) -> None:  # a fault injected where an outage would strike
        raise ConnectionError("the database went away")

    visitor = shop.visit()
    frames = realtime.socket(shop, visitor)
    realtime.wait_open(1)
    monkeypatch.setattr(turns, "resume", database_gone)
    sent = visitor.send("Where is my order?")
    assert sent.status == 202
    assert frames.until("answer.error")["code"] == "answer_failed"
    assert frames.until("answer.done")["message"] is None
    dead_letters = local_aws.sources.queue_urls["AnswerDeadLetterQueue"]
    deadline, received = time.monotonic() + 10, []
    while not received:
        assert time.monotonic() < deadline, "nothing dead-lettered"
        received = boto3.client("sqs").receive_message(QueueUrl=dead_letters, WaitTimeSeconds=1)
        received = received.get("Messages", [])
    boto3.client("sqs").delete_message(QueueUrl=dead_letters, ReceiptHandle=received[0]["ReceiptHandle"])
    record = json.loads(received[0]["Body"])
    assert record["requestPayload"]["message_id"] == sent.body["messages"][0]["id"]
    assert record["responsePayload"]["errorType"] == "ConnectionError"  # the reason, recorded
    assert record["requestContext"]["condition"] == "RetriesExhausted"


def test_the_local_connections_api_answers_as_api_gateway_does(shop: ChatShop, realtime: Realtime) -> None:
    """The same boto3 calls a function makes in AWS: post, describe and close a connection; 410 once gone."""
    from botocore.exceptions import ClientError

    visitor = shop.visit()
    frames = realtime.socket(shop, visitor)
    realtime.wait_open(1)
    management = boto3.client("apigatewaymanagementapi", endpoint_url=f"http://127.0.0.1:{realtime.port}")
    [connection_id] = list(realtime.hub._sockets)
    management.post_to_connection(ConnectionId=connection_id, Data=b'{"type": "pong"}')
    assert frames.until("pong") == {"type": "pong"}
    described = management.get_connection(ConnectionId=connection_id)
    assert described["Identity"]["SourceIp"] == "127.0.0.1" and described["ConnectedAt"]
    management.delete_connection(ConnectionId=connection_id)
    realtime.wait_open(0)
    with pytest.raises(ClientError) as gone:
        management.post_to_connection(ConnectionId=connection_id, Data=b"{}")
    assert gone.value.response["Error"]["Code"] == "GoneException"
    assert isinstance(gone.value, management.exceptions.GoneException)


def test_with_no_worker_to_start_the_answer_comes_back_in_the_response(
    shop: ChatShop, realtime: Realtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The socket is open but the Invoke API is unreachable: the customer still gets the answer,
    the slow way (200 with the reply), and the socket hears no half answer."""
    from chatapp.config import get_settings

    shop.teach("returns.md", GUIDE)
    visitor = shop.visit()
    frames = realtime.socket(shop, visitor)
    realtime.wait_open(1)
    monkeypatch.setenv("LAMBDA_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens there
    get_settings.cache_clear()

    sent = visitor.send("How do I return an item for a refund?")
    assert sent.status == 200, sent.body
    assert sent.body["streaming"] is False
    roles = [m["role"] for m in sent.body["messages"]]
    assert roles == ["user", "assistant"]
    assert sent.body["messages"][1].get("citations"), sent.body  # answered from the guide
    assert not frames.of("answer.delta")


def test_a_refused_message_with_a_socket_open_leaves_the_socket_silent(
    shop: ChatShop, realtime: Realtime, owner_session: Session, owner_engine: Engine
) -> None:
    """The streaming worker starts while the message is being stored; when that store is refused
    (rolled back), the worker finds nothing to answer and says nothing."""
    shop.teach("returns.md", GUIDE)
    visitor = shop.visit()
    frames = realtime.socket(shop, visitor)
    realtime.wait_open(1)
    answered = visitor.send("How do I return an item?")
    assert answered.status == 202, answered.body
    frames.until("answer.done")
    owner_session.execute(
        update(CompanySubscription)
        .where(CompanySubscription.company_id == shop.tenant.data.company_id)
        .values(custom_limits={"messagesPerMonth": 2})
    )
    owner_session.commit()

    refused = visitor.send("And how long does the refund take?")
    assert refused.status == 402 and refused.body["error"]["code"] == "message_limit_reached"
    time.sleep(1.0)  # the worker started for it has had time to run
    assert [f["type"] for _, f in frames.received].count("answer.done") == 1
    with owner_engine.connect() as db:
        contents = (
            db.execute(
                text("SELECT content FROM chatapp_messages WHERE conversation_id = :c"),
                {"c": visitor.conversation_id},
            )
            .scalars()
            .all()
        )
    assert "And how long does the refund take?" not in contents and len(contents) == 3  # greeting, Q, A
