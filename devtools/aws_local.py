"""Local AWS: moto's server mode on loopback, plus what moto does not do itself.

moto provides S3, SQS (with DLQ redrive), EventBridge, SES, KMS and Secrets Manager, but
never invokes Lambda targets or fires schedules. The runner does: it creates the template's
queues, polls each SQS event source into its function (honouring partial batch failures),
and fires `rate(...)` schedules.

A `./run dev` left alone should cost next to nothing, so nothing here wakes up on a short timer:
pollers ask moto for messages only when its queue holds one (see `LocalEventSources._poll`) and
schedules sleep until they are due.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from chatapp.observability import logger
from devtools.runner import LambdaContext
from devtools.template import FunctionSpec

_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


def free_port() -> int:
    """A loopback port nobody listens on (for moto and runners started by tests and benchmarks)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


# Endpoints of the moto servers running in this process: their queues can be watched directly.
_IN_PROCESS_ENDPOINTS: set[str] = set()


def quicken_moto_sqs() -> None:
    """moto asks every message of a queue whether it is visible and not delayed on every call, and
    each question builds two datetimes to read the clock: a queue 500 deep spends 30 ms of CPU per
    send and over 100 ms per receive. The same milliseconds since the epoch, read directly, cost a
    fraction of that; SQS on AWS costs the caller's machine nothing at all."""
    import moto.sqs.models as sqs_models
    from moto.core.utils import unix_time, unix_time_millis

    def quick_unix_time(dt: Any = None) -> float:
        return time.time() if dt is None else unix_time(dt)

    def quick_unix_time_millis(dt: Any = None) -> float:
        return time.time() * 1000.0 if dt is None else unix_time_millis(dt)

    sqs_models.unix_time = quick_unix_time  # type: ignore[assignment]
    sqs_models.unix_time_millis = quick_unix_time_millis  # type: ignore[assignment]


def start_moto(port: int = 4566) -> str:
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    quicken_moto_sqs()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    _IN_PROCESS_ENDPOINTS.add(endpoint)
    os.environ["AWS_ENDPOINT_URL"] = endpoint
    return endpoint


def in_process_queue(queue_url: str, region: str) -> Any | None:
    """moto's own model of the queue at `queue_url` when a moto server of this process serves it
    (`start_moto`), else None. Its `messages` are the visible ones, and `wait_for_messages` returns
    as soon as a send adds one."""
    split = urlsplit(queue_url)
    if f"{split.scheme}://{split.netloc}" not in _IN_PROCESS_ENDPOINTS:
        return None
    from moto.sqs.models import sqs_backends

    account_id, name = split.path.strip("/").split("/")[-2:]
    return sqs_backends[account_id][region].queues.get(name)


# EventBridge `cron(...)` schedules (daily billing, nightly purges) fire hourly locally: every
# scheduled job is idempotent, so firing early and often is harmless and shows them working.
LOCAL_CRON_SECONDS = 3600


def rate_seconds(expression: str) -> int | None:
    """How often a schedule fires locally: its `rate(...)`, or hourly for a `cron(...)`."""
    expression = expression.strip()
    if expression.startswith("cron("):
        return LOCAL_CRON_SECONDS
    found = _RATE.match(expression)
    if not found:
        return None
    return int(found.group(1)) * _SECONDS[found.group(2).rstrip("s")]


LOCAL_VISIBILITY_SECONDS = 20
# A receive from a moto in another process waits this long for a message (SQS's maximum long poll).
LONG_POLL_SECONDS = 20
# How often a poller re-checks moto's queue with no send to wake it: a delayed message, or one whose
# visibility timeout ended, becomes visible without one. moto's own long poll re-checks as often.
RECHECK_SECONDS = 1.0
STOP_TIMEOUT_SECONDS = 5.0


@dataclass
class LocalEventSources:
    """Creates the template's queues in moto and drives SQS sources and schedules."""

    template: dict[str, Any]
    specs: list[FunctionSpec]
    queue_urls: dict[str, str] = field(default_factory=dict)
    bucket_names: dict[str, str] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)

    def create_queues(self) -> dict[str, str]:
        import boto3

        sqs = boto3.client("sqs")
        queues = {
            k: r for k, r in self.template.get("Resources", {}).items() if r["Type"] == "AWS::SQS::Queue"
        }
        # Dead-letter queues first, so redrive policies can point at them.
        ordered = sorted(queues, key=lambda k: "RedrivePolicy" in queues[k].get("Properties", {}))
        for logical_id in ordered:
            properties = queues[logical_id].get("Properties", {})
            attributes = {"VisibilityTimeout": str(properties.get("VisibilityTimeout", 30))}
            redrive = properties.get("RedrivePolicy")
            if redrive:
                target = redrive["deadLetterTargetArn"]["Fn::GetAtt"][0]
                target_arn = sqs.get_queue_attributes(
                    QueueUrl=self.queue_urls[target], AttributeNames=["QueueArn"]
                )["Attributes"]["QueueArn"]
                attributes["RedrivePolicy"] = json.dumps(
                    {
                        "deadLetterTargetArn": target_arn,
                        "maxReceiveCount": str(redrive.get("maxReceiveCount", 3)),
                    }
                )
            self.queue_urls[logical_id] = sqs.create_queue(QueueName=logical_id, Attributes=attributes)[
                "QueueUrl"
            ]
        return self.queue_urls

    def provision(self) -> None:
        """Create the template's queues and buckets and export the variables that name them."""
        self.create_queues()
        self.create_buckets()
        os.environ.update(self.environment())
        self.verify_email_sender()
        self.create_secrets_key()

    def create_secrets_key(self) -> None:
        """The KMS key that seals channel credentials and webhook secrets (envelope encryption)."""
        import boto3

        from chatapp.config import Settings

        kms = boto3.client("kms")
        alias = Settings().secrets_kms_key_id
        if not any(a["AliasName"] == alias for a in kms.list_aliases()["Aliases"]):
            key_id = kms.create_key(Description="Buzzi local secrets")["KeyMetadata"]["KeyId"]
            kms.create_alias(AliasName=alias, TargetKeyId=key_id)

    def verify_email_sender(self) -> None:
        """SES only sends from verified identities; locally the configured sender is verified."""
        import boto3

        from chatapp.config import Settings

        # Settings() rather than get_settings(): the cached settings must not predate the fresh environment.
        boto3.client("ses").verify_email_identity(EmailAddress=Settings().email_from)

    def create_buckets(self) -> dict[str, str]:
        """Buckets of the template, named after their logical ids (S3 names are lower case)."""
        import boto3

        s3 = boto3.client("s3")
        for logical_id, resource in self.template.get("Resources", {}).items():
            if resource["Type"] == "AWS::S3::Bucket":
                name = logical_id.lower()
                s3.create_bucket(Bucket=name)
                self.bucket_names[logical_id] = name
        return self.bucket_names

    def environment(self) -> dict[str, str]:
        """Function environment variables that reference local queues, buckets and functions, resolved
        (a function's local name is its logical id)."""
        resolved = {
            **self.queue_urls,
            **self.bucket_names,
            **{s.logical_id: s.logical_id for s in self.specs},
        }
        env = {}
        for spec in self.specs:
            for key, value in spec.properties.get("Environment", {}).get("Variables", {}).items():
                if isinstance(value, dict) and value.get("Ref") in resolved:
                    env[key] = resolved[value["Ref"]]
        return env

    def start(self) -> None:
        for spec in self.specs:
            for source in spec.sqs_sources:
                queue_id = source["Queue"]["Fn::GetAtt"][0]
                self._run(f"poll-{queue_id}", self._poll, spec, queue_id, source)
            for schedule in spec.schedules:
                seconds = rate_seconds(schedule.get("Schedule") or schedule.get("ScheduleExpression", ""))
                if seconds:
                    self._run(f"schedule-{spec.logical_id}", self._tick, spec, seconds, schedule)

    def _run(self, name: str, target: Any, *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def stop(self, timeout: float = STOP_TIMEOUT_SECONDS) -> None:
        """Stop polling and firing. Once this returns no poller takes another message, unless a
        delivery was still running after `timeout` seconds (it is left to finish on its own)."""
        self._stop.set()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        busy = [thread.name for thread in self._threads if thread.is_alive()]
        if busy:
            logger.warning("local event sources still busy at stop", extra={"threads": busy})

    def _poll(self, spec: FunctionSpec, queue_id: str, source: dict[str, Any]) -> None:
        import boto3

        sqs = boto3.client("sqs")
        url = self.queue_urls[queue_id]
        # Polling moto over HTTP costs a request per poll on both sides (most of an idle `./run dev`'s
        # CPU when it was once a second per queue). When moto runs in this process the poller waits on
        # moto's queue itself and asks only when a message is there; a stop then leaves no long poll
        # behind in moto to take a message nobody will deliver.
        watched = in_process_queue(url, sqs.meta.region_name)
        while not self._stop.is_set():
            if watched is not None and not watched.messages:
                watched.wait_for_messages(RECHECK_SECONDS)
                continue
            received = self._receive(sqs, url, queue_id, source, 0 if watched else LONG_POLL_SECONDS)
            if received:
                self.deliver_sqs(spec, url, received)
            elif received is None or watched is not None:
                # Pause rather than spin: after a failed receive, or when moto showed a message but did
                # not hand it out (another consumer took it first, or it went to the dead-letter queue).
                self._stop.wait(RECHECK_SECONDS)

    def _receive(
        self, sqs: Any, url: str, queue_id: str, source: dict[str, Any], wait_seconds: int
    ) -> list[dict[str, Any]] | None:
        """The messages received (maybe none), or None when the receive failed."""
        try:
            messages: list[dict[str, Any]] = sqs.receive_message(
                QueueUrl=url,
                MaxNumberOfMessages=min(int(source.get("BatchSize", 10)), 10),
                WaitTimeSeconds=wait_seconds,
                # Locally a message whose receive was lost (a dropped connection to moto) or whose
                # handler died comes back in seconds, not after the queue's deployed timeout.
                VisibilityTimeout=LOCAL_VISIBILITY_SECONDS,
                AttributeNames=["All"],
            ).get("Messages", [])
        except Exception as error:  # keep polling, as Lambda's poller would
            logger.warning(
                "local SQS receive failed", extra={"queue": queue_id, "error_type": type(error).__name__}
            )
            return None
        return messages

    def deliver_sqs(self, spec: FunctionSpec, queue_url: str, messages: list[dict[str, Any]]) -> list[str]:
        """Invoke `spec` with an SQS batch; delete what succeeded. Returns the failed message ids."""
        event = {"Records": [sqs_record(message, queue_url) for message in messages]}
        sqs = _sqs()
        try:
            result = spec.load_handler()(event, LambdaContext(function_name=spec.logical_id)) or {}
            failed = {item["itemIdentifier"] for item in result.get("batchItemFailures", [])}
        except Exception as error:  # the whole batch returns to the queue, as on Lambda
            logger.error(
                "local SQS invocation failed",
                extra={"function": spec.logical_id, "error_type": type(error).__name__},
            )
            failed = {message["MessageId"] for message in messages}
        for message in messages:
            if message["MessageId"] not in failed:
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
        return sorted(failed)

    def _tick(self, spec: FunctionSpec, seconds: int, schedule: dict[str, Any]) -> None:
        while not self._stop.wait(seconds):
            try:
                fire_schedule(spec, schedule)
            except Exception as error:  # a failed run is retried at the next tick, as on AWS
                logger.error(
                    "local schedule failed",
                    extra={"function": spec.logical_id, "error_type": type(error).__name__},
                )


@lru_cache(maxsize=1)
def _sqs() -> Any:
    """One client for every delivery (creating one costs ~20 ms)."""
    import boto3

    return boto3.client("sqs")


def sqs_record(message: dict[str, Any], queue_url: str) -> dict[str, Any]:
    queue_name = queue_url.rsplit("/", 1)[-1]
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "messageAttributes": message.get("MessageAttributes", {}),
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": f"arn:aws:sqs:us-east-1:000000000000:{queue_name}",
        "awsRegion": "us-east-1",
    }


def fire_schedule(spec: FunctionSpec, schedule: dict[str, Any] | None = None) -> Any:
    """Invoke `spec` as EventBridge would: with the schedule's `Input` JSON when it sets one
    (EventBridge then sends exactly that), else with a "Scheduled Event"."""
    has_input = bool(schedule and schedule.get("Input"))
    event = json.loads(schedule["Input"]) if schedule and has_input else _scheduled_event(spec)
    started = time.perf_counter()
    result = spec.load_handler()(event, LambdaContext(function_name=spec.logical_id))
    logger.info(
        "schedule fired",
        extra={"function": spec.logical_id, "ms": round((time.perf_counter() - started) * 1000, 1)},
    )
    return result


def _scheduled_event(spec: FunctionSpec) -> dict[str, Any]:
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "000000000000",
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": "us-east-1",
        "resources": [f"arn:aws:events:us-east-1:000000000000:rule/{spec.logical_id}"],
        "detail": {},
    }


if __name__ == "__main__":  # `python -m devtools.aws_local PORT`: moto alone, in a process of its own
    import sys

    start_moto(int(sys.argv[1]))
    threading.Event().wait()
