"""Chat turn benchmark: what a widget message costs us, excluding the language model's thinking.

    ./run bench-chat [--companies 1000] [--chunks 200] [--turns 1000]

On the local default stack (embedded PostgreSQL, Qdrant Edge, offline MiniLM, moto S3), with N
companies loaded (each an agent, a widget and M knowledge chunks), each turn is one real
`POST /v1/widget/agents/{id}/conversation/messages` Lambda invocation (API Gateway v2 event,
FastAPI, the conversation engine) whose agent asks Claude, which is the real anthropic SDK
talking to a local fake Messages API that answers instantly: first a `rag_search` tool call
(so query embedding, full-text and vector search and fusion are included), then a cited answer.
Prints p50/p99 over the turns. Targets (issue #4): p50 <= 25 ms, p99 <= 80 ms on this machine.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "shared"), str(ROOT), str(ROOT / "scripts")]

from bench_knowledge import WORDS, _load_scale, _phase_environment  # noqa: E402

ORIGIN = "https://shop.example.com"


def _fake_claude(before: Callable[[dict[str, Any]], Any] | None = None) -> Any:
    """`before` may answer a request first (a grader's, say); None lets the turn's script answer."""
    from devtools.fake_anthropic import FakeAnthropic, text_reply, tool_use_reply

    def respond(request: dict[str, Any]) -> Any:
        if before is not None and (reply := before(request)) is not None:
            return reply
        last = request["messages"][-1]
        if isinstance(last["content"], list) and last["content"][0].get("type") == "tool_result":
            return text_reply("Here is what our help centre says [1].", input_tokens=800, output_tokens=20)
        question = last["content"] if isinstance(last["content"], str) else "help"
        return tool_use_reply("rag_search", {"query": question[:200]}, input_tokens=300, output_tokens=15)

    fake = FakeAnthropic().start()
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


def _agents_for(tenants: list[tuple[uuid.UUID, uuid.UUID]]) -> list[uuid.UUID]:
    """An active agent reading each company's category, a widget on ORIGIN, a live subscription."""
    from sqlalchemy import text
    from tqdm import tqdm

    from chatapp.db.engine import owner_engine

    agents = []
    with owner_engine().begin() as db:
        plan = db.execute(
            text("SELECT id FROM chatapp_subscription_plans WHERE slug = 'enterprise'")
        ).scalar_one()
        for company_id, category_id in tqdm(tenants, desc="agents", unit="co"):
            agent_id = uuid.uuid4()
            db.execute(
                text(
                    "INSERT INTO chatapp_agents (id, company_id, name, status, enabled_tools) "
                    "VALUES (:a, :c, 'Helper', 'active', '[\"rag_search\", \"request_human_handover\"]')"
                ),
                {"a": agent_id, "c": company_id},
            )
            db.execute(
                text(
                    "INSERT INTO chatapp_agent_knowledge_categories (agent_id, category_id) VALUES (:a, :k)"
                ),
                {"a": agent_id, "k": category_id},
            )
            db.execute(
                text(
                    "INSERT INTO chatapp_widget_configs (company_id, agent_id, allowed_domains) "
                    "VALUES (:c, :a, '[\"shop.example.com\"]')"
                ),
                {"a": agent_id, "c": company_id},
            )
            db.execute(
                text(
                    "INSERT INTO chatapp_company_subscriptions "
                    "(company_id, plan_id, status, starts_at, expires_at) "
                    "VALUES (:c, :p, 'active', now(), now() + interval '30 days')"
                ),
                {"c": company_id, "p": plan},
            )
            agents.append(agent_id)
    return agents


def _invoke(handler: Any, event_for: Any, method: str, path: str, token: str | None, body: Any) -> dict:
    from devtools.runner import LambdaContext

    headers = {"host": "127.0.0.1:3000", "origin": ORIGIN, "content-type": "application/json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    event = event_for(method, path, headers, json.dumps(body).encode())
    response = handler(event, LambdaContext(function_name="ChatFunction"))
    parsed = json.loads(response["body"])
    if response["statusCode"] >= 300:
        raise RuntimeError(f"{method} {path}: {response['statusCode']} {parsed}")
    return parsed


def measure(args: argparse.Namespace) -> dict:
    _phase_environment(f"buzzi_bench_chat_{args.companies}", tempfile.mkdtemp(prefix="buzzi-bench-"))
    import boto3

    os.environ["AGENT_PACKAGES_BUCKET"] = "bench-agent-packages"
    boto3.client("s3").create_bucket(Bucket="bench-agent-packages")
    fake = _fake_claude()
    from chatapp.config import get_settings

    get_settings.cache_clear()
    rng = random.Random(7)
    from devtools.seed import seed

    seed(with_packages=True)  # plans and the built-in agent package
    principals = _load_scale(args.companies, args.chunks, rng)
    agents = _agents_for([(p.company_id, category) for p, category in principals])

    from devtools.runner import RouteTable, _ensure_event_loop, build_http_event
    from devtools.template import functions

    _ensure_event_loop()
    chat = next(spec for spec in functions() if spec.logical_id == "ChatFunction")
    handler = chat.load_handler()
    routes = RouteTable([chat])

    def event_for(method: str, path: str, headers: dict[str, str], body: bytes) -> dict:
        matched = routes.match(method, path)
        assert matched is not None
        route, _, params = matched
        return build_http_event(route, method, path, headers, body, params)

    sessions: dict[uuid.UUID, str] = {}
    timings = []
    for index in range(args.turns + 50):
        agent_id = rng.choice(agents)
        base = f"/v1/widget/agents/{agent_id}"
        if agent_id not in sessions:  # starting a conversation is not part of a turn
            sessions[agent_id] = _invoke(handler, event_for, "POST", f"{base}/conversations", None, {})[
                "session_token"
            ]
        question = " ".join(rng.choice(WORDS) for _ in range(rng.randint(5, 10))) + "?"
        started = time.perf_counter()
        reply = _invoke(
            handler,
            event_for,
            "POST",
            f"{base}/conversation/messages",
            sessions[agent_id],
            {"content": question},
        )
        elapsed = (time.perf_counter() - started) * 1000
        assert reply["messages"][-1]["role"] == "assistant", reply
        if index >= 50:  # warm-up excluded
            timings.append(elapsed)
    fake.stop()
    timings.sort()
    return {
        "companies": args.companies,
        "chunks": args.chunks,
        "turns": len(timings),
        "llm_calls": len(fake.requests),
        "p50_ms": statistics.median(timings),
        "p90_ms": timings[int(len(timings) * 0.9) - 1],
        "p99_ms": timings[int(len(timings) * 0.99) - 1],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="Buzzi chat turn benchmark")
    parser.add_argument("--companies", type=int, default=1000)
    parser.add_argument("--chunks", type=int, default=200)
    parser.add_argument("--turns", type=int, default=1000)
    args = parser.parse_args()
    print(
        f"» chat turn overhead: {args.turns} turns, {args.companies} companies x {args.chunks} chunks loaded",
        file=sys.stderr,
        flush=True,
    )
    row = measure(args)
    print(
        f"  p50 {row['p50_ms']:.2f} ms   p90 {row['p90_ms']:.2f} ms   p99 {row['p99_ms']:.2f} ms   "
        f"({row['turns']} turns, {row['llm_calls']} fake LLM calls)"
    )
    print("  targets: p50 <= 25 ms, p99 <= 80 ms (excluding the language model itself)")


if __name__ == "__main__":
    main()
