"""Real-time benchmark: time to first token through the widget's socket, and many sockets held open.

    ./run bench-realtime [--companies 1000] [--chunks 50] [--turns 200] [--sockets 1000] [--hold 120]
                         [--consoles 50] [--events 200]

Everything runs through the local runner (`./run dev`'s server: HTTP routes, the WebSocket API at
/ws/widget, the `@connections` API, and the Lambda Invoke API through which the chat function
starts the real answer worker). Claude is the fake Messages API over HTTP with a 300 ms first-token
delay on the call that writes text; the `rag_search` round trip answers at once.

1. Time to first token: from the customer's `POST .../conversation/messages` to the first
   `answer.delta` frame at a WebSocket client, over `--turns` turns with `--companies` companies
   loaded. Printed beside the baseline of the same run: the real SDK streaming straight from the
   fake, which is the 300 ms plus what the SDK itself costs. Targets (issue #17): p50 <= 300 + 60 ms,
   p99 <= 300 + 150 ms.
2. Inbox event latency (issue #18): `--consoles` console sockets, one per company (company admins
   in half of them, support agents in the other half). From the commit of a customer's message to
   the `message.created` frame at the company's console client, over `--events` messages in
   conversations waiting for a person. Targets: p50 <= 50 ms, p99 <= 200 ms.
3. `--sockets` widget sockets (one conversation each, across the companies) held for `--hold`
   seconds while frames are posted to every one of them through the management API, each naming
   its conversation: the clients count what they received and whether any frame was another's.
   Meanwhile the consoles stay open and customers keep writing in their companies' conversations,
   some waiting for anyone and some assigned to a colleague a support agent may not see: each
   console counts the frames it should get, and any it should not (another company's, or a
   conversation it may not see). RSS of this process (runner and clients both) at the start and end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "shared"), str(ROOT), str(ROOT / "scripts")]

from bench_chat import ORIGIN, _agents_for  # noqa: E402
from bench_knowledge import WORDS, _load_scale, _phase_environment  # noqa: E402

FIRST_TOKEN_DELAY = 0.3
ANSWER = "Here is what our help centre says about that [1]. " * 4


def _fake_claude() -> Any:
    from devtools.fake_anthropic import FakeAnthropic, streamed, text_reply, tool_use_reply

    def respond(request: dict[str, Any]) -> Any:
        last = request["messages"][-1]
        if isinstance(last["content"], list) and last["content"][0].get("type") == "tool_result":
            return streamed(text_reply(ANSWER, input_tokens=800), first_token_delay=FIRST_TOKEN_DELAY)
        question = last["content"] if isinstance(last["content"], str) else "help"
        return tool_use_reply("rag_search", {"query": question[:200]}, input_tokens=300, output_tokens=15)

    fake = FakeAnthropic(tokens_per_second=200).start()
    fake.responder = respond
    os.environ.update(
        {
            "ANSWERER": "anthropic",
            "ANTHROPIC_API_KEY": fake.api_key,
            "ANTHROPIC_BASE_URL": fake.base_url,
            "WIDGET_RATE_PER_IP": "1000000",  # one benchmark client, many companies' visitors
        }
    )
    return fake


def _baseline(fake: Any, runs: int = 30) -> list[float]:
    """The SDK streaming straight from the fake: the floor any platform path stands on."""
    import anthropic

    from devtools.fake_anthropic import streamed, text_reply

    client = anthropic.Anthropic(api_key=fake.api_key, base_url=fake.base_url)
    timings = []
    for _ in range(runs):
        fake.script(streamed(text_reply(ANSWER), first_token_delay=FIRST_TOKEN_DELAY))
        started = time.perf_counter()
        with client.messages.stream(
            model="claude-fake", max_tokens=100, messages=[{"role": "user", "content": "hi"}]
        ) as stream:
            for _text in stream.text_stream:
                timings.append((time.perf_counter() - started) * 1000)
                break
    return sorted(timings)


class Http:
    """The widget's HTTP calls through the runner, one keep-alive connection."""

    def __init__(self, port: int) -> None:
        import http.client

        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def call(self, method: str, path: str, token: str | None = None, body: Any = None) -> tuple[int, Any]:
        headers = {"Origin": ORIGIN, "Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.connection.request(method, path, body=json.dumps(body or {}).encode(), headers=headers)
        response = self.connection.getresponse()
        raw = response.read()
        return response.status, json.loads(raw) if raw else None

    def conversation(self, agent_id: uuid.UUID) -> tuple[str, str, str]:
        """(session token, conversation id, a fresh ticket)."""
        base = f"/v1/widget/agents/{agent_id}"
        status, started = self.call("POST", f"{base}/conversations")
        assert status == 201, started
        return (
            started["session_token"],
            started["conversation_id"],
            self.ticket(agent_id, started["session_token"]),
        )

    def ticket(self, agent_id: uuid.UUID, token: str) -> str:
        status, ticket = self.call(
            "POST", f"/v1/widget/agents/{agent_id}/conversation/realtime-ticket", token
        )
        assert status == 201, ticket
        return str(ticket["ticket"])


def _start_platform() -> tuple[int, Any]:
    from devtools.aws_local import LocalEventSources, free_port
    from devtools.invocations import LocalInvocations
    from devtools.runner import RouteTable, _ensure_event_loop, make_server
    from devtools.sockets import hub_for, local_urls
    from devtools.template import functions, load_template

    port = free_port()
    os.environ.update(local_urls(port))
    template = load_template()
    specs = functions(template)
    sources = LocalEventSources(template, specs)
    sources.provision()
    from chatapp.config import get_settings

    get_settings.cache_clear()
    _ensure_event_loop()
    for spec in specs:
        if spec.logical_id in ("ChatFunction", "RealtimeFunction", "AnswerStreamFunction"):
            spec.load_handler()  # warm, as a provisioned function would be
    hub = hub_for(specs, template)
    services = [hub, LocalInvocations(specs, sources.queue_urls)]
    server = make_server(RouteTable(specs), port=port, services=services)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sources.start()
    return port, hub


def time_to_first_token(port: int, agents: list[uuid.UUID], turns: int, rng: random.Random) -> list[float]:
    from websockets.sync.client import connect

    http = Http(port)
    sockets: dict[uuid.UUID, tuple[str, Any]] = {}
    timings = []
    for index in range(turns + 20):
        agent_id = rng.choice(agents)
        if agent_id not in sockets:
            token, _, ticket = http.conversation(agent_id)
            socket = connect(
                f"ws://127.0.0.1:{port}/ws/widget", origin=ORIGIN, subprotocols=["buzzi.v1", ticket]
            ).__enter__()
            sockets[agent_id] = (token, socket)
        token, socket = sockets[agent_id]
        question = " ".join(rng.choice(WORDS) for _ in range(rng.randint(5, 10))) + "?"
        started = time.perf_counter()
        status, sent = http.call(
            "POST", f"/v1/widget/agents/{agent_id}/conversation/messages", token, {"content": question}
        )
        assert status == 202, (status, sent)
        first = None
        while True:
            frame = json.loads(socket.recv(timeout=30))
            if frame["type"] == "answer.delta" and first is None:
                first = (time.perf_counter() - started) * 1000
            if frame["type"] == "answer.done":
                break
        assert first is not None
        if index >= 20:  # warm-up excluded
            timings.append(first)
    for _, socket in sockets.values():
        socket.close()
    return sorted(timings)


@dataclass
class Console:
    """One company's console: who is signed in, and the conversations it should and should not hear."""

    company_id: uuid.UUID
    agent_id: uuid.UUID
    role: str
    token: str
    waiting: list[tuple[str, str]] = field(default_factory=list)  # (session token, conversation id)
    colleagues: list[tuple[str, str]] = field(default_factory=list)  # assigned to another agent
    frames: list[tuple[float, dict[str, Any]]] = field(default_factory=list)

    def may_see(self) -> set[str]:
        mine = {c for _, c in self.waiting}
        return mine | {c for _, c in self.colleagues} if self.role == "company_admin" else mine


def _consoles(http: Http, pairs: list[tuple[uuid.UUID, uuid.UUID]], per_company: int = 2) -> list[Console]:
    """A signed-in console user per company (admins, then support agents, alternately) and
    `per_company` conversations of each kind: waiting for anyone, and assigned to a colleague."""
    from sqlalchemy import text

    from chatapp.db.engine import owner_engine
    from chatapp.security import TokenKind, new_token, token_digest

    consoles = []
    for index, (company_id, agent_id) in enumerate(pairs):
        role = "company_admin" if index % 2 == 0 else "support_agent"
        token = new_token(TokenKind.SESSION)
        user_id, colleague_id = uuid.uuid4(), uuid.uuid4()
        console = Console(company_id, agent_id, role, token)
        for _ in range(per_company):
            session, conversation, _ = http.conversation(agent_id)
            console.waiting.append((session, conversation))
            session, conversation, _ = http.conversation(agent_id)
            console.colleagues.append((session, conversation))
        with owner_engine().begin() as db:
            for user, user_role in ((user_id, role), (colleague_id, "support_agent")):
                db.execute(
                    text(
                        "INSERT INTO chatapp_users (id, email, name, role, company_id) "
                        "VALUES (:u, :e, 'Bench', :r, :c)"
                    ),
                    {"u": user, "e": f"{user.hex[:12]}@bench.example.com", "r": user_role, "c": company_id},
                )
            db.execute(
                text(
                    "INSERT INTO chatapp_sessions (session_token, user_id, expires) "
                    "VALUES (:t, :u, now() + interval '1 day')"
                ),
                {"t": token_digest(token), "u": user_id},
            )
            db.execute(
                text("UPDATE chatapp_conversations SET status = 'waiting_human' WHERE id = ANY(:ids)"),
                {"ids": [uuid.UUID(c) for _, c in console.waiting]},
            )
            db.execute(
                text(
                    "UPDATE chatapp_conversations SET status = 'with_human', assigned_agent_id = :u, "
                    "is_human_agent = true WHERE id = ANY(:ids)"
                ),
                {"u": colleague_id, "ids": [uuid.UUID(c) for _, c in console.colleagues]},
            )
        consoles.append(console)
    return consoles


def _open_consoles(port: int, http: Http, consoles: list[Console]) -> list[Any]:
    """Each console's socket, read on its own thread into `Console.frames`."""
    from websockets.sync.client import connect

    sockets = []
    for console in consoles:
        status, ticket = http.call("POST", "/v1/inbox/realtime-ticket", console.token)
        assert status == 201, ticket
        socket = connect(
            f"ws://127.0.0.1:{port}/ws/console",
            origin=f"http://127.0.0.1:{port}",
            subprotocols=["buzzi.v1", ticket["ticket"]],
        ).__enter__()

        def read(socket: Any = socket, console: Console = console) -> None:
            try:
                for raw in socket:
                    console.frames.append((time.perf_counter(), json.loads(raw)))
            except Exception:  # closed
                return

        threading.Thread(target=read, daemon=True).start()
        sockets.append(socket)
    return sockets


class Commits:
    """When each transaction that wrote live inbox events committed (the start of their latency)."""

    def __init__(self) -> None:
        from chatapp.realtime import live

        self.times: list[float] = []
        original = live._deliver_after_commit

        def noted(db: Any) -> None:
            self.times.append(time.perf_counter())
            original(db)

        live._deliver_after_commit = noted  # publish registers it by name at each transaction

    def first_after(self, moment: float) -> float | None:
        return next((t for t in self.times if t >= moment), None)


def inbox_latency(http: Http, consoles: list[Console], events: int, rng: random.Random) -> list[float]:
    """Milliseconds from the commit of a customer's message to its frame at the console."""
    commits = Commits()
    timings = []
    for index in range(events + 10):
        console = rng.choice(consoles)
        session, conversation = rng.choice(console.waiting)
        before = len(console.frames)
        started = time.perf_counter()
        status, sent = http.call(
            "POST",
            f"/v1/widget/agents/{console.agent_id}/conversation/messages",
            session,
            {"content": f"Any news on my order {index}?"},
        )
        assert status == 200, (status, sent)
        deadline = time.monotonic() + 10
        arrived = None
        while arrived is None:
            for at, frame in console.frames[before:]:
                if frame.get("type") == "message.created" and frame.get("conversation_id") == conversation:
                    arrived = at
                    break
            else:
                assert time.monotonic() < deadline, "no message.created frame"
                time.sleep(0.001)
        committed = commits.first_after(started)
        assert committed is not None
        if index >= 10:  # warm-up excluded
            timings.append((arrived - committed) * 1000)
    return sorted(timings)


def _rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 1024 / 1024


def _customers_write(http: Http, consoles: list[Console], round_index: int, per_round: int) -> int:
    """`per_round` consoles' customers each write in a conversation waiting for anyone and in one a
    colleague has; returns how many frames the consoles should get for it."""
    expected = 0
    for offset in range(per_round):
        console = consoles[(round_index * per_round + offset) % len(consoles)]
        for session, conversation in (console.waiting[0], console.colleagues[0]):
            status, sent = http.call(
                "POST",
                f"/v1/widget/agents/{console.agent_id}/conversation/messages",
                session,
                {"content": f"Still waiting, round {round_index}"},
            )
            assert status == 200, (status, sent)
            expected += conversation in console.may_see()
    return expected


def _tally(consoles: list[Console]) -> tuple[int, int]:
    """(frames about conversations each console may see, frames about any other)."""
    right = wrong = 0
    for console in consoles:
        allowed = console.may_see()
        for _, frame in console.frames:
            if frame.get("type") != "message.created":
                continue
            if frame.get("conversation_id") in allowed:
                right += 1
            else:
                wrong += 1
    return right, wrong


def hold_sockets(
    port: int,
    hub: Any,
    agents: list[uuid.UUID],
    count: int,
    hold: float,
    consoles: list[Console] | None = None,
) -> dict[str, Any]:
    from sqlalchemy import text
    from tqdm import tqdm

    from chatapp.db.engine import owner_engine
    from chatapp.realtime import push

    http = Http(port)
    visitors: dict[str, tuple[uuid.UUID, str]] = {}
    for index in tqdm(range(count), desc="conversations", unit="conv"):
        agent_id = agents[index % len(agents)]
        token, conversation_id, _ = http.conversation(agent_id)
        visitors[conversation_id] = (agent_id, token)
    received: dict[str, int] = dict.fromkeys(visitors, 0)
    foreign, refused = 0, 0
    opened = threading.Event()
    stop = threading.Event()

    async def client(conversation_id: str, ticket: str, ready: list[int]) -> None:
        nonlocal foreign, refused
        from websockets.asyncio.client import connect

        try:
            socket = await connect(
                f"ws://127.0.0.1:{port}/ws/widget",
                origin=ORIGIN,
                subprotocols=["buzzi.v1", ticket],
                open_timeout=60,
            )
        except Exception:
            refused += 1
            ready.append(0)
            return
        async with socket:
            ready.append(1)
            while not stop.is_set():
                try:
                    raw = await asyncio.wait_for(socket.recv(), timeout=1)
                except TimeoutError:
                    continue
                frame = json.loads(raw)
                if frame.get("conversation") == conversation_id:
                    received[conversation_id] += 1
                else:
                    foreign += 1

    async def clients() -> None:
        # As a widget does: a ticket (60 s) just before its socket, a hundred visitors at a time.
        ready: list[int] = []
        tasks = []
        pending = list(visitors.items())
        progress = tqdm(total=count, desc="sockets", unit="socket")
        while pending:
            batch, pending = pending[:100], pending[100:]
            tickets = await asyncio.to_thread(lambda b=batch: [(c, http.ticket(a, t)) for c, (a, t) in b])
            tasks += [asyncio.create_task(client(c, t, ready)) for c, t in tickets]
            while len(ready) < len(tasks):
                await asyncio.sleep(0.05)
            progress.update(len(batch))
        progress.close()
        opened.set()
        await asyncio.gather(*tasks)

    threading.Thread(target=lambda: asyncio.run(clients()), daemon=True).start()
    assert opened.wait(600), "the sockets did not all open"
    assert refused == 0, f"{refused} sockets were refused"
    with owner_engine().connect() as db:
        rows = db.execute(
            text("SELECT conversation_id, connection_id FROM chatapp_realtime_connections")
        ).all()
    by_conversation = {
        str(r.conversation_id): r.connection_id for r in rows if str(r.conversation_id) in visitors
    }
    assert len(by_conversation) == count, (len(by_conversation), count)
    consoles = consoles or []
    for console in consoles:
        console.frames.clear()
    rss_start, started, sent, expected, rounds = _rss_mb(), time.monotonic(), 0, 0, 0
    print(f"  {hub.open_count} sockets open; RSS {rss_start:.0f} MB at the start of the hold", flush=True)
    while time.monotonic() - started < hold:
        for conversation_id, connection_id in by_conversation.items():
            push.post([connection_id], {"type": "message", "conversation": conversation_id})
            sent += 1
        if consoles:
            expected += _customers_write(http, consoles, rounds, per_round=10)
        rounds += 1
        time.sleep(max(0.0, 5 - (time.monotonic() - started) % 5))  # a round every 5 seconds
    time.sleep(2)
    rss_end = _rss_mb()
    stop.set()
    right, wrong = _tally(consoles)
    return {
        "consoles": len(consoles),
        "console_expected": expected,
        "console_right": right,
        "console_wrong": wrong,
        "open": hub.open_count,
        "sent": sent,
        "received": sum(received.values()),
        "foreign": foreign,
        "short": sum(1 for c in received if received[c] == 0),
        "rss_start": rss_start,
        "rss_end": rss_end,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="Buzzi real-time benchmark")
    parser.add_argument("--companies", type=int, default=1000)
    parser.add_argument("--chunks", type=int, default=50)
    parser.add_argument("--turns", type=int, default=200)
    parser.add_argument("--sockets", type=int, default=1000)
    parser.add_argument("--hold", type=float, default=120)
    parser.add_argument("--consoles", type=int, default=50)
    parser.add_argument("--events", type=int, default=200)
    args = parser.parse_args()
    print(f"» real time: {args.companies} companies x {args.chunks} chunks", file=sys.stderr, flush=True)
    _phase_environment(f"buzzi_bench_realtime_{args.companies}", tempfile.mkdtemp(prefix="buzzi-bench-"))
    import boto3

    os.environ["AGENT_PACKAGES_BUCKET"] = "bench-agent-packages"
    boto3.client("s3").create_bucket(Bucket="bench-agent-packages")
    fake = _fake_claude()
    port, hub = _start_platform()
    from devtools.seed import seed

    seed(with_packages=True)
    rng = random.Random(17)
    principals = _load_scale(args.companies, args.chunks, rng)
    agents = _agents_for([(p.company_id, category) for p, category in principals])

    baseline = _baseline(fake)
    timings = time_to_first_token(port, agents, args.turns, rng)

    def quantile(values: list[float], q: float) -> float:
        return values[max(0, int(len(values) * q) - 1)]

    base50, base99 = statistics.median(baseline), quantile(baseline, 0.99)
    p50, p99 = statistics.median(timings), quantile(timings, 0.99)
    print(f"time to first token, {len(timings)} turns, first-token delay {FIRST_TOKEN_DELAY * 1000:.0f} ms:")
    print(f"  platform  p50 {p50:.1f} ms   p99 {p99:.1f} ms")
    print(f"  baseline  p50 {base50:.1f} ms   p99 {base99:.1f} ms   (the SDK straight from the fake)")
    print(
        f"  overhead  p50 +{p50 - 300:.1f} ms   p99 +{p99 - 300:.1f} ms over the 300 ms delay   "
        f"(targets +60 / +150)"
    )
    consoles: list[Console] = []
    if args.consoles:
        http = Http(port)
        consoles = _consoles(
            http, list(zip([p.company_id for p, _ in principals], agents, strict=True))[: args.consoles]
        )
        _open_consoles(port, http, consoles)
        latency = inbox_latency(http, consoles, args.events, rng)
        print(f"inbox event latency, {len(latency)} customer messages, {len(consoles)} consoles open:")
        print(
            f"  commit -> console frame  p50 {statistics.median(latency):.1f} ms   "
            f"p99 {quantile(latency, 0.99):.1f} ms   (targets 50 / 200)"
        )
    if args.sockets:
        held = hold_sockets(port, hub, agents, args.sockets, args.hold, consoles)
        print(f"{args.sockets} widget sockets and {held['consoles']} console sockets held {args.hold:.0f} s:")
        print(
            f"  open {held['open']}; frames sent {held['sent']}, received {held['received']}, "
            f"another conversation's {held['foreign']}; sockets that got nothing {held['short']}"
        )
        if consoles:
            print(
                f"  consoles: {held['console_expected']} message frames due, "
                f"{held['console_right']} received, {held['console_wrong']} they should not have had "
                "(another company's, or a conversation they may not see)"
            )
        print(
            f"  RSS {held['rss_start']:.0f} MB at the start, {held['rss_end']:.0f} MB at the end "
            "(runner and clients)"
        )
    fake.stop()
    os._exit(0)  # daemon threads (runner, pollers, sockets) need no orderly goodbye


if __name__ == "__main__":
    main()
