"""Analytics rollup benchmark: how long the rollup of one busy day takes, and the nightly
content-gap clustering.

    ./run bench-analytics [--companies 1000] [--messages 100000] [--question-vectors 100000]

In its own database on the embedded PostgreSQL, generates (set-based SQL, generate_series) N
companies in five time zones, two agents each, and conversations on two channels with M messages
on the measured day (10 per conversation: customer and AI turns with model, tokens, confidence,
relevance and searches; some escalated, answered by a person, resolved or abandoned), plus as many
on the day before, so the rollup has to pick its day out of a bigger table. Then times the rollup
of that day for every company (each in its own zone), and a second, idempotent run. Target
(issue #7): under 60 s on this machine.

Content gaps (issue #19): Q stored question vectors (384 floats, as the turn stores them) on the
customer messages of both days, each company's drawn around five topics of its own, every one
answered with low confidence (the worst case: all of them are clustered). Then the nightly job
(`analytics_schedule.run("yesterday")`: sweep, rollup, content gaps) is timed, and beside it a
baseline from the same run: reading the same vectors with one plain SELECT. Target: clustering
100,000 vectors of 1,000 companies in at most 60 s.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "shared"), str(ROOT)]

DAY = date(2026, 6, 10)
ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo", "Australia/Sydney"]
MESSAGES_PER_CONVERSATION = 10


def _environment() -> None:
    os.environ["POWERTOOLS_LOG_LEVEL"] = "ERROR"
    from devtools.embedded_db import ensure_database, server_url

    url = server_url("dev", "postgres")
    ensure_database(url, "buzzi_bench_analytics", recreate=True)
    os.environ["DATABASE_URL"] = url.set(database="buzzi_bench_analytics").render_as_string(
        hide_password=False
    )
    from devtools.local_env import configure

    configure("dev")
    from chatapp.db.migrate import upgrade_to_head

    upgrade_to_head()


GENERATE = [
    """
    INSERT INTO chatapp_companies (name, slug, timezone)
    SELECT 'Bench ' || g, 'bench-' || g, (CAST(:zones AS text[]))[1 + g % cardinality(CAST(:zones AS text[]))]
    FROM generate_series(1, :companies) g
    """,
    """
    INSERT INTO chatapp_agents (company_id, name, status)
    SELECT c.id, 'Agent ' || n, 'active' FROM chatapp_companies c, generate_series(1, 2) n
    """,
    # Conversations spread over each company's local day (and the day before), on two channels.
    """
    INSERT INTO chatapp_conversations
        (company_id, agent_id, session_token, channel, status, started_at, created_at, last_message_at)
    SELECT a.company_id, a.id, 'bench-' || d.offset_days || '-' || g || '-' || a.id,
           (ARRAY['web', 'whatsapp'])[1 + g % 2]::channel_type,
           'active',
           start.at, start.at, start.at + interval '180 seconds'
    FROM chatapp_agents a
    JOIN chatapp_companies c ON c.id = a.company_id
    CROSS JOIN (VALUES (0), (1)) d (offset_days)
    CROSS JOIN generate_series(1, :per_agent) g
    CROSS JOIN LATERAL (
        SELECT ((CAST(:day AS date) - d.offset_days)::timestamp AT TIME ZONE c.timezone)
               + (random() * interval '23 hours') AS at
    ) start
    """,
    # Ten messages each: customer and AI turns, 20 s apart; one in ten ends with a person's reply.
    """
    INSERT INTO chatapp_messages (conversation_id, role, content, created_at, sentiment, metadata)
    SELECT c.id,
           CASE WHEN i % 2 = 1 THEN 'user'
                WHEN i = 10 AND hashtext(c.id::text) % 10 = 0 THEN 'human_agent'
                ELSE 'assistant' END::message_role,
           'Bench message ' || i,
           c.started_at + i * interval '18 seconds',
           CASE WHEN i % 2 = 1 THEN round((random() * 2 - 1)::numeric, 2) END,
           CASE WHEN i % 2 = 0 THEN jsonb_build_object(
               'model', (ARRAY['claude-sonnet-5', 'claude-haiku-4-5', 'claude-opus-4-1'])[1 + i % 3],
               'tokens', jsonb_build_object('input', 600 + i * 20, 'output', 80 + i),
               'confidence', round(random()::numeric, 2),
               'ragRelevance', round(random()::numeric, 3),
               'searches', '[{"query": "q", "results": 4, "ms": 3.1}]'::jsonb,
               'citations', '[]'::jsonb)
           ELSE '{}'::jsonb END
    FROM chatapp_conversations c, generate_series(1, :per_conversation) i
    """,
    # Outcomes: a fifth resolved, a tenth escalated (with a person), a tenth abandoned.
    """
    UPDATE chatapp_conversations SET status = 'resolved', resolved_at = last_message_at + interval '1 minute'
    WHERE hashtext(id::text) % 5 = 1
    """,
    """
    INSERT INTO chatapp_escalations (conversation_id, company_id, agent_id, reason, trigger_type, created_at)
    SELECT id, company_id, agent_id, 'asked', 'explicit_request', started_at + interval '30 seconds'
    FROM chatapp_conversations WHERE hashtext(id::text) % 10 = 0
    """,
    "UPDATE chatapp_conversations SET status = 'with_human' WHERE hashtext(id::text) % 10 = 0",
    "UPDATE chatapp_conversations SET status = 'abandoned' WHERE hashtext(id::text) % 10 = 3",
    "ANALYZE",
]


def _generate(companies: int, messages: int) -> int:
    from sqlalchemy import text

    from chatapp.db.engine import owner_engine

    conversations = max(1, messages // MESSAGES_PER_CONVERSATION)
    per_agent = max(1, conversations // (companies * 2))
    parameters = {
        "zones": ZONES,
        "companies": companies,
        "per_agent": per_agent,
        "per_conversation": MESSAGES_PER_CONVERSATION,
        "day": DAY,
    }
    with owner_engine().connect() as connection:
        connection.execute(text("SELECT setseed(0.7)"))
        for statement in GENERATE:
            connection.execute(text(statement), parameters)
        connection.commit()
        return int(
            connection.execute(
                text(
                    "SELECT count(*) FROM chatapp_messages m"
                    " JOIN chatapp_conversations c ON c.id = m.conversation_id"
                    " JOIN chatapp_companies co ON co.id = c.company_id"
                    " WHERE (m.created_at AT TIME ZONE co.timezone)::date = :day"
                ),
                {"day": DAY},
            ).scalar_one()
        )


TOPICS_PER_COMPANY = 5
DIMENSIONS = 384


def _question_vectors(count: int) -> int:
    """`count` vectors on the customer messages (each company's around its own topics), stored as
    the turn stores them, with their replies made unsure so every one is a gap."""
    import numpy as np
    from sqlalchemy import text

    from chatapp.db.engine import owner_engine
    from chatapp.db.models.content_gaps import pack_embedding
    from chatapp.integrations.embeddings import get_embedder

    model_id = get_embedder().model_id
    rng = np.random.default_rng(7)
    with owner_engine().connect() as connection:
        rows = connection.execute(
            text(
                "SELECT q.id, c.company_id, c.agent_id, q.conversation_id, r.id AS reply_id, q.created_at"
                " FROM chatapp_messages q JOIN chatapp_conversations c ON c.id = q.conversation_id"
                " JOIN LATERAL (SELECT id FROM chatapp_messages r WHERE r.conversation_id = q.conversation_id"
                "   AND r.role <> 'user' AND r.created_at > q.created_at ORDER BY r.created_at LIMIT 1) r"
                " ON true WHERE q.role = 'user' ORDER BY c.company_id, q.created_at LIMIT :n"
            ),
            {"n": count},
        ).all()
        centres: dict[object, np.ndarray] = {}
        raw = connection.connection.driver_connection
        with (
            raw.cursor() as cursor,
            cursor.copy(
                "COPY chatapp_question_vectors (message_id, company_id, agent_id, conversation_id,"
                " reply_message_id, model_id, embedding, created_at) FROM STDIN"
            ) as copy,
        ):
            for row in rows:
                topics = centres.get(row.company_id)
                if topics is None:
                    topics = centres[row.company_id] = rng.standard_normal((TOPICS_PER_COMPANY, DIMENSIONS))
                vector = topics[rng.integers(TOPICS_PER_COMPANY)] + rng.standard_normal(DIMENSIONS) * 0.6
                copy.write_row(
                    (
                        row.id,
                        row.company_id,
                        row.agent_id,
                        row.conversation_id,
                        row.reply_id,
                        model_id,
                        pack_embedding(vector.astype(np.float32).tolist()),
                        row.created_at,
                    )
                )
        raw.commit()
        connection.execute(
            text(
                "UPDATE chatapp_messages SET metadata = metadata || '{\"confidence\": 0.1}'::jsonb"
                " WHERE id IN (SELECT reply_message_id FROM chatapp_question_vectors)"
            )
        )
        connection.execute(
            text(
                "INSERT INTO chatapp_knowledge_categories (company_id, name, slug)"
                " SELECT id, 'Help', 'help' FROM chatapp_companies"
            )
        )
        connection.execute(text("ANALYZE"))
        connection.commit()
    return len(rows)


def _content_gaps(count: int) -> None:
    from datetime import UTC, datetime, time

    from sqlalchemy import text

    from chatapp.db.engine import owner_engine
    from chatapp.system import analytics_schedule

    started = time_now()
    stored = _question_vectors(count)
    print(f"» {stored:,} question vectors stored in {time_now() - started:.1f} s", flush=True)

    began = time_now()
    with owner_engine().connect() as connection:
        read = connection.execute(text("SELECT company_id, embedding FROM chatapp_question_vectors")).all()
    baseline = time_now() - began
    print(f"  baseline: reading the {len(read):,} vectors (one plain SELECT) {baseline:6.2f} s", flush=True)
    del read

    nightly = datetime.combine(DAY + timedelta(days=1), time(0, 15), tzinfo=UTC)
    began = time_now()
    summary = analytics_schedule.run("yesterday", now=nightly)
    whole = time_now() - began
    gaps = summary["content_gaps"]
    print(
        f"» content gaps       {gaps['seconds']:6.2f} s   {gaps['questions']:,} questions of "
        f"{gaps['companies']:,} companies -> {gaps['topics']:,} topics   (target <= 60 s; "
        f"{gaps['seconds'] / baseline:.1f}x the plain read)",
        flush=True,
    )
    print(f"  the whole nightly job (sweep, rollup of yesterday, content gaps): {whole:.2f} s")


def time_now() -> float:
    return time.perf_counter()


def main() -> None:
    parser = argparse.ArgumentParser(description="Buzzi analytics rollup benchmark")
    parser.add_argument("--companies", type=int, default=1000)
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--question-vectors", type=int, default=100_000)
    args = parser.parse_args()

    print(
        f"» generating {args.companies:,} companies and {args.messages:,} messages a day (2 days)", flush=True
    )
    _environment()
    began = time.perf_counter()
    on_day = _generate(args.companies, args.messages)
    print(f"  {on_day:,} messages on {DAY} (local days), generated in {time.perf_counter() - began:.1f} s")

    from chatapp.analytics.rollup import rollup_date

    for label in ("rollup", "re-run (idempotent)"):
        started = time.perf_counter()
        result = rollup_date(DAY)
        seconds = time.perf_counter() - started
        print(
            f"» {label:<20} {seconds:6.2f} s   {result.companies:,} companies   "
            f"{result.rows_written:,} rows written   {result.rows_removed:,} removed   (target < 60 s)",
            flush=True,
        )
    from sqlalchemy import text

    from chatapp.db.engine import owner_engine

    with owner_engine().connect() as connection:
        rows, total = connection.execute(
            text("SELECT count(*), sum(total_messages) FROM chatapp_daily_analytics WHERE date = :day"),
            {"day": DAY},
        ).one()
    print(
        f"  {rows:,} daily rows holding {total:,} messages for {DAY}; day before: {DAY - timedelta(days=1)}"
    )
    if args.question_vectors:
        _content_gaps(args.question_vectors)


if __name__ == "__main__":
    main()
