"""Agent quality benchmark: how long a 50-question test run takes, end to end, and how soon the
copilot's suggestion is there when a person opens a conversation.

    ./run bench-quality [--companies 100] [--chunks 50] [--questions 50] [--suggestions 50]

Everything runs through the local runner, as under `./run dev`: the run is started with
`POST /v1/agents/{id}/test-runs`, its questions go one message each onto the test-run queue, the
runner's poller hands them to the real test-run worker, which answers each in a sandbox conversation
(retrieval included) and has the grader grade it. Claude is the fake Messages API, answering at once
(a `rag_search` call, a cited answer, then the grader's verdict). Timed from the POST until the run
reads `finished`, and printed beside the same run's baseline: the same number of plain widget turns
sent one after another. Target (issue #19): at most 60 s.

Copilot (issue #20): for each of `--suggestions` conversations handed to a person, the console's
opening of it is timed: the conversation's detail, then the suggestion the copilot panel asks for
(retrieval and the fake model's draft), p50 and p99; beside it, the same run's baseline of opening
it without the copilot (the detail alone). Target: at most 1.5 s.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "shared"), str(ROOT), str(ROOT / "scripts")]

from bench_chat import _agents_for, _fake_claude  # noqa: E402
from bench_foundation import percentile  # noqa: E402
from bench_knowledge import WORDS, _load_scale, _phase_environment  # noqa: E402
from bench_realtime import Http, _start_platform  # noqa: E402

GRADE = '{"grade": "good", "reason": "It answers from the cited passage."}'


def _grader(request: dict[str, Any]) -> Any:
    from devtools.fake_anthropic import text_reply

    if "You grade answers" in str(request.get("system") or ""):
        return text_reply(GRADE, input_tokens=900, output_tokens=25)
    if "human support agent" in str(request.get("system") or ""):  # the copilot's draft
        return text_reply("Here is what to do, from our guide [1].", input_tokens=1200, output_tokens=40)
    return None


def _admin_token(company_id: uuid.UUID) -> str:
    """A console session of a new company admin (the bench's companies are loaded through SQL)."""
    from sqlalchemy import text

    from chatapp.db.engine import owner_engine
    from chatapp.security import TokenKind, new_token, token_digest

    token, user_id = new_token(TokenKind.SESSION), uuid.uuid4()
    with owner_engine().begin() as db:
        db.execute(
            text(
                "INSERT INTO chatapp_users (id, email, name, role, company_id) "
                "VALUES (:u, :e, 'Bench admin', 'company_admin', :c)"
            ),
            {"u": user_id, "e": f"{user_id.hex[:12]}@bench.example.com", "c": company_id},
        )
        db.execute(
            text(
                "INSERT INTO chatapp_sessions (session_token, user_id, expires) "
                "VALUES (:t, :u, now() + interval '1 day')"
            ),
            {"t": token_digest(token), "u": user_id},
        )
    return token


def _question(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 12))) + "?"


def test_run(
    http: Http, agent_id: uuid.UUID, token: str, questions: list[str]
) -> tuple[float, dict[str, Any]]:
    started = time.perf_counter()
    status, run = http.call(
        "POST",
        f"/v1/agents/{agent_id}/test-runs",
        token,
        {"name": "Bench", "questions": [{"question": q} for q in questions]},
    )
    assert status == 202, (status, run)
    while run["status"] not in ("finished", "failed"):
        time.sleep(0.05)
        status, run = http.call("GET", f"/v1/agents/{agent_id}/test-runs/{run['id']}", token)
        assert status == 200, run
        assert time.perf_counter() - started < 600, "the run did not finish"
    return time.perf_counter() - started, run


def plain_turns(http: Http, agent_id: uuid.UUID, questions: list[str]) -> float:
    """The baseline: the same questions as widget messages, one after another, each in its own
    conversation (as the test run asks them), without grading."""
    started = time.perf_counter()
    for question in questions:
        token, _, _ = http.conversation(agent_id)
        status, sent = http.call(
            "POST", f"/v1/widget/agents/{agent_id}/conversation/messages", token, {"content": question}
        )
        assert status == 200, (status, sent)
    return time.perf_counter() - started


def copilot_openings(
    http: Http, agent_id: uuid.UUID, token: str, questions: list[str]
) -> tuple[list[float], list[float]]:
    """Per conversation handed to a person: (opening with the copilot's suggestion, opening alone), ms."""
    with_copilot, alone = [], []
    for question in questions:
        visitor, conversation_id, _ = http.conversation(agent_id)
        base = f"/v1/widget/agents/{agent_id}/conversation"
        assert http.call("POST", f"{base}/messages", visitor, {"content": question})[0] == 200
        assert http.call("POST", f"{base}/handover", visitor, {})[0] == 200
        started = time.perf_counter()
        status, detail = http.call("GET", f"/v1/inbox/conversations/{conversation_id}", token)
        assert status == 200, detail
        opened = time.perf_counter()
        status, suggestion = http.call(
            "POST", f"/v1/inbox/conversations/{conversation_id}/suggestions", token
        )
        assert status == 201 and not suggestion["offline"], suggestion
        done = time.perf_counter()
        with_copilot.append((done - started) * 1000)
        alone.append((opened - started) * 1000)
    return with_copilot, alone


def main() -> None:
    parser = argparse.ArgumentParser(description="Buzzi agent quality benchmark")
    parser.add_argument("--companies", type=int, default=100)
    parser.add_argument("--chunks", type=int, default=50)
    parser.add_argument("--questions", type=int, default=50)
    parser.add_argument("--suggestions", type=int, default=50)
    args = parser.parse_args()
    print(f"» test runs: {args.companies} companies x {args.chunks} chunks", file=sys.stderr, flush=True)
    _phase_environment(f"buzzi_bench_quality_{args.companies}", tempfile.mkdtemp(prefix="buzzi-bench-"))
    import boto3

    os.environ["AGENT_PACKAGES_BUCKET"] = "bench-agent-packages"
    boto3.client("s3").create_bucket(Bucket="bench-agent-packages")
    fake = _fake_claude(_grader)
    port, _ = _start_platform()
    from devtools.seed import seed

    seed(with_packages=True)
    rng = random.Random(19)
    principals = _load_scale(args.companies, args.chunks, rng)
    agents = _agents_for([(p.company_id, category) for p, category in principals])
    http = Http(port)
    company_id, agent_id = principals[0][0].company_id, agents[0]
    token = _admin_token(company_id)
    questions = [_question(rng) for _ in range(args.questions)]

    plain_turns(http, agent_id, questions[:5])  # warm the functions
    baseline = plain_turns(http, agent_id, questions)
    elapsed, run = test_run(http, agent_id, token, questions)
    latencies = [r["latency_ms"] for r in run["results"] if r["latency_ms"] is not None]
    print(f"test run of {len(questions)} questions (answered in sandboxes, graded by {run['grader_model']}):")
    print(f"  {elapsed:.1f} s from the POST to `finished`   (target 60 s)   status {run['status']}")
    print(f"  per question in the worker: p50 {statistics.median(latencies):.0f} ms, max {max(latencies)} ms")
    print(
        f"  baseline: the same {len(questions)} questions as plain widget turns, one after another: "
        f"{baseline:.1f} s"
    )
    print(f"  ratio: {elapsed / baseline:.2f} x the baseline (the run also grades each answer)")
    print(f"  grades: {run['summary']['grades']}")

    copilot_openings(http, agent_id, token, questions[:3])  # warm the copilot function
    suggested, alone = copilot_openings(http, agent_id, token, (questions * 2)[: args.suggestions])
    print(
        f"copilot: opening a conversation handed to a person until its suggestion is there "
        f"({len(suggested)} times):"
    )
    print(
        f"  p50 {percentile(suggested, 0.5):.0f} ms, p99 {percentile(suggested, 0.99):.0f} ms"
        "   (target 1,500 ms)"
    )
    print(
        f"  baseline: opening it without the copilot: p50 {percentile(alone, 0.5):.0f} ms, "
        f"p99 {percentile(alone, 0.99):.0f} ms"
    )
    fake.stop()
    os._exit(0)


if __name__ == "__main__":
    main()
