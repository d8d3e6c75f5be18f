"""Analytics rollup benchmark: how long the rollup of one busy day takes.

    ./run bench-analytics [--companies 1000] [--messages 100000]

In its own database on the embedded PostgreSQL, generates (set-based SQL, generate_series) N
companies in five time zones, two agents each, and conversations on two channels with M messages
on the measured day (10 per conversation: customer and AI turns with model, tokens, confidence,
relevance and searches; some escalated, answered by a person, resolved or abandoned), plus as many
on the day before, so the rollup has to pick its day out of a bigger table. Then times the rollup
of that day for every company (each in its own zone), and a second, idempotent run. Target
(issue #7): under 60 s on this machine.
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


def main() -> None:
    parser = argparse.ArgumentParser(description="Buzzi analytics rollup benchmark")
    parser.add_argument("--companies", type=int, default=1000)
    parser.add_argument("--messages", type=int, default=100_000)
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


if __name__ == "__main__":
    main()
