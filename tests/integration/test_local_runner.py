"""The local runner serves template routes over real HTTP, and drives SQS sources through moto."""

from __future__ import annotations

import http.client
import json
import queue
import statistics
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.sqs.models import SQSBackend

from devtools.aws_local import LocalEventSources, fire_schedule, free_port, rate_seconds, start_moto
from devtools.runner import RouteTable, make_server
from devtools.template import functions, load_template
from tests.integration.tenant_data import Tenants

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


@pytest.fixture(scope="module")
def runner() -> Iterator[int]:
    server = make_server(RouteTable(functions()), port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_port
    server.shutdown()


def _get(port: int, path: str, token: str | None = None) -> tuple[int, dict, dict]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", path, headers={"Authorization": f"Bearer {token}"} if token else {})
    response = connection.getresponse()
    body = json.loads(response.read())
    return response.status, dict(response.getheaders()), body


def test_runner_serves_health_and_the_tenant_endpoint(runner: int, tenants: Tenants) -> None:
    status, headers, body = _get(runner, "/health")
    assert status == 200 and body["database"] == "ok"
    assert float(headers["x-buzzi-handler-ms"]) > 0
    status, _, body = _get(runner, "/v1/companies/me", tenants.b.tokens["admin"])
    assert status == 200 and body["id"] == str(tenants.b.company_id)
    status, _, body = _get(runner, "/v1/companies/me")
    assert status == 401 and body["error"]["code"] == "unauthenticated"
    status, _, body = _get(runner, "/no/such/route")
    assert status == 404 and body["error"]["code"] == "not_found"


def test_sqs_sources_report_partial_failures_and_poison_reaches_the_dlq() -> None:
    start_moto(free_port())
    template = load_template(FIXTURES / "queue_template.yaml")
    specs = functions(template, root=FIXTURES)
    sources = LocalEventSources(template, specs)
    urls = sources.create_queues()
    sqs = boto3.client("sqs")
    for body in ("ok-1", "poison", "ok-2"):
        sqs.send_message(QueueUrl=urls["WorkQueue"], MessageBody=body)

    consumer = next(spec for spec in specs if spec.sqs_sources)
    failed_bodies = []
    for _ in range(3):  # maxReceiveCount is 2: the poison message moves to the DLQ on the third receive
        # VisibilityTimeout=0 stands in for waiting out the queue's 30 s before the retry.
        messages = sqs.receive_message(
            QueueUrl=urls["WorkQueue"], MaxNumberOfMessages=10, VisibilityTimeout=0, AttributeNames=["All"]
        ).get("Messages", [])
        by_id = {m["MessageId"]: m["Body"] for m in messages}
        failed_bodies += [by_id[i] for i in sources.deliver_sqs(consumer, urls["WorkQueue"], messages)]

    assert failed_bodies == ["poison", "poison"]
    dead = sqs.receive_message(QueueUrl=urls["WorkDeadLetterQueue"], MaxNumberOfMessages=10).get(
        "Messages", []
    )
    assert [m["Body"] for m in dead] == ["poison"]
    remaining = sqs.receive_message(QueueUrl=urls["WorkQueue"], MaxNumberOfMessages=10).get("Messages", [])
    assert remaining == [], "successful messages are deleted, not redelivered"


def test_rate_schedules_are_understood_and_fired() -> None:
    assert rate_seconds("rate(5 minutes)") == 300
    assert rate_seconds("rate(1 day)") == 86400
    assert rate_seconds("cron(0 3 * * ? *)") == 3600, "daily cron jobs fire hourly locally"
    assert rate_seconds("every day") is None
    template = load_template(FIXTURES / "queue_template.yaml")
    scheduled = next(spec for spec in functions(template, root=FIXTURES) if spec.schedules)
    result = fire_schedule(scheduled, scheduled.schedules[0])
    assert result == {"detail-type": "Scheduled Event", "source": "aws.events"}
    # A schedule with `Input` sends exactly that JSON, as EventBridge does.
    hourly = {"Schedule": "rate(1 hour)", "Input": '{"job": "today"}'}
    assert fire_schedule(scheduled, hourly) == {"job": "today"}


def test_idle_pollers_leave_moto_alone_yet_pick_up_messages_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    start_moto(free_port())
    template = load_template(FIXTURES / "queue_template.yaml")
    specs = functions(template, root=FIXTURES)
    delivered: queue.Queue[tuple[float, list[str]]] = queue.Queue()

    class Recording(LocalEventSources):
        def deliver_sqs(self, spec: Any, queue_url: str, messages: list[dict[str, Any]]) -> list[str]:
            delivered.put((time.monotonic(), [m["Body"] for m in messages]))
            return super().deliver_sqs(spec, queue_url, messages)

    sources = Recording(template, specs)
    url = sources.create_queues()["WorkQueue"]
    sqs = boto3.client("sqs")
    sqs.purge_queue(QueueUrl=url)
    receives: list[str] = []
    receive = SQSBackend.receive_message

    def counting(backend: SQSBackend, queue_name: str, *args: Any, **kwargs: Any) -> Any:
        receives.append(queue_name)
        return receive(backend, queue_name, *args, **kwargs)

    monkeypatch.setattr(SQSBackend, "receive_message", counting)
    sources.start()
    try:
        time.sleep(1.5)
        assert receives == [], "an idle poller must not ask moto for messages"

        latencies = []
        for n in range(5):
            sent = time.monotonic()
            sqs.send_message(QueueUrl=url, MessageBody=f"message-{n}")
            at, bodies = delivered.get(timeout=10)
            assert bodies == [f"message-{n}"]
            latencies.append(at - sent)
            time.sleep(0.1)  # the poller is waiting again before the next send
        assert statistics.median(latencies) < 0.2, latencies

        # A delayed message (webhook retries) becomes visible with no send to wake anyone.
        sent = time.monotonic()
        sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=1)
        at, bodies = delivered.get(timeout=10)
        assert bodies == ["later"] and 0.9 < at - sent < 5, at - sent
    finally:
        started = time.monotonic()
        sources.stop()
    assert time.monotonic() - started < 3, "stop waits for the pollers, which notice it within a second"
    assert not [thread for thread in threading.enumerate() if thread.name == "poll-WorkQueue"]
    # Stopped pollers leave no receive behind in moto: what is sent now stays for the next consumer.
    sqs.send_message(QueueUrl=url, MessageBody="after stop")
    left = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    assert [m["Body"] for m in left] == ["after stop"]
    sqs.delete_message(QueueUrl=url, ReceiptHandle=left[0]["ReceiptHandle"])


def test_the_local_moto_keeps_sqs_delays_and_visibility_with_its_quicker_clock() -> None:
    """start_moto reads moto's SQS clock directly (quicken_moto_sqs): delays and visibility
    timeouts must hold exactly as before."""
    start_moto(free_port())
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName=f"clock-{time.time_ns()}")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=1)
    assert "Messages" not in sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0)
    time.sleep(1.1)
    first = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0, VisibilityTimeout=1)["Messages"]
    assert [m["Body"] for m in first] == ["later"]
    assert "Messages" not in sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0)  # in flight
    time.sleep(1.1)
    again = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0, AttributeNames=["All"])["Messages"]
    assert again[0]["Body"] == "later" and again[0]["Attributes"]["ApproximateReceiveCount"] == "2"
    sent = int(again[0]["Attributes"]["SentTimestamp"])
    assert abs(sent / 1000 - time.time()) < 10  # milliseconds since the epoch, as on AWS
