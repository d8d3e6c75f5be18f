"""The daily analytics rollup and the abandonment sweep: set-based SQL, safe to run any number of times.

One row of `chatapp_daily_analytics` per company x agent x channel x date, where the date is the
company's local calendar day in `chatapp_companies.timezone` (an unknown zone name counts as UTC),
i.e. the instants [day 00:00, next day 00:00) in that zone (23 or 25 hours on DST changes). Agent
and channel are the conversation's. Soft-deleted conversations and deleted companies are not
counted anywhere. "Messages" below are user, assistant and human_agent rows (system and tool
rows are not conversation traffic).

Conversations (on day D)
  total       touched on D: started, sent or received a message, was resolved, escalated or
              abandoned on D. Every other conversation count of the row is a subset of it.
  new         started_at on D.
  resolved    currently resolved, with resolved_at on D (a reopened conversation is not resolved).
  ai_resolved resolved on D with no human_agent message and no escalation ever: resolved without
              a person (the deflection numerator).
  escalated   an escalation was created on D (a conversation escalated twice that day counts once).
  abandoned   currently abandoned, and became so on D: last_message_at + abandon_after_hours on D.
Messages: total, user, ai (role assistant, including welcome and handover messages) and
  human_agent messages created on D.
Response times (seconds; counted on the day of the reply)
  A customer turn is the run of customer messages between two replies (assistant or human_agent).
  response time = from the turn's first customer message to the reply that ends the turn.
  first response time = the response time of the conversation's first customer turn.
  avg_response_time = response_time_total / response_count, and likewise for the first response.
avg_conversation_duration  seconds from started_at to resolved_at (resolved on D) or to
  last_message_at (abandoned on D), over conversations that ended on D:
  conversation_duration_total / (resolved + abandoned).
avg_messages_per_conversation  total_messages / total_conversations (messages on D per
  conversation touched on D; capped at the column's 999.99).
avg_confidence_score  mean of metadata.confidence over assistant messages on D that have one
  (confidence_total / confidence_count).
avg_sentiment_score   mean of messages.sentiment over customer messages on D that have one.
total_tokens_used     sum of metadata.tokens.input + output over assistant messages on D.
rag_queries_count     knowledge searches the agent ran for replies on D (length of metadata.searches).
avg_rag_relevance     mean of metadata.ragRelevance (the best dense relevance among the passages a
  reply used) over assistant messages on D that have one.
estimated_cost        sum over assistant messages on D of `usage.estimate_cost` (same price table,
  same model-family matching, computed in SQL per model), rounded to 4 places.
hourly_user_messages  24 counts: customer messages on D by local hour (busiest hours).

Abandonment (`sweep_abandoned`, run before each scheduled rollup): a conversation still `active`
(the AI handling it; not waiting for or with a person) whose last message is older than
`abandon_after_hours` (setting, default 24) becomes `abandoned`. A customer writing again reopens it.

Re-running a day rewrites its rows in one statement: rows whose numbers changed are updated
(same id), unchanged rows are left alone, and rows of that company and day with no activity any
more are deleted. So a run is idempotent and a day can be recomputed at any time.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import text

from chatapp.billing.usage import PRICE_PER_MILLION
from chatapp.config import get_settings
from chatapp.db.models.analytics import DailyAnalytics
from chatapp.db.tenancy import system_session
from chatapp.errors import InvalidInput
from chatapp.observability import logger

FALLBACK_FAMILY = "sonnet"  # as `usage.estimate_cost`: unknown models are priced as sonnet
JOBS = {"today": 0, "yesterday": 1}  # scheduled job -> days before each company's local today


@dataclass(frozen=True)
class RollupResult:
    companies: int
    rows_written: int  # inserted or changed
    rows_removed: int  # stale rows of a rolled-up day that no longer has activity


def _prices_sql() -> str:
    """The price table as VALUES, from `usage.PRICE_PER_MILLION` (matched in its order, as Python does)."""
    rows = [
        f"({rank}, '{family}', {price_in}::numeric, {price_out}::numeric)"
        for rank, (family, (price_in, price_out)) in enumerate(PRICE_PER_MILLION.items())
    ]
    fallback_in, fallback_out = PRICE_PER_MILLION[FALLBACK_FAMILY]
    rows.append(f"({len(rows)}, '', {fallback_in}::numeric, {fallback_out}::numeric)")  # '' matches all
    return ", ".join(rows)


_DIMENSIONS = "company_id, agent_id, channel, day"
_HOURS = ", ".join(f"count(*) FILTER (WHERE role = 'user' AND hour = {h})" for h in range(24))
# Every metric column of the table, in the model's order: a column added to the model is written by
# the upsert (and the statement fails loudly until `fresh` computes it), never silently left stale.
_KEYS = {"id", "company_id", "agent_id", "channel", "date", "created_at", "updated_at"}
_METRICS = tuple(c.name for c in DailyAnalytics.__table__.columns if c.name not in _KEYS)

_ROLLUP = text(
    f"""
WITH
prices (rank, family, input_price, output_price) AS (VALUES {_prices_sql()}),
zone_names AS MATERIALIZED (SELECT name FROM pg_timezone_names),
targets AS MATERIALIZED (
    SELECT c.id AS company_id, z.tz, d.day,
           d.day::timestamp AT TIME ZONE z.tz AS starts,
           (d.day + 1)::timestamp AT TIME ZONE z.tz AS ends
    FROM chatapp_companies c
    LEFT JOIN zone_names n ON n.name = c.timezone
    CROSS JOIN LATERAL (SELECT coalesce(n.name, 'UTC') AS tz) z
    CROSS JOIN LATERAL (
        SELECT coalesce(
            CAST(:day AS date), (CAST(:now AS timestamptz) AT TIME ZONE z.tz)::date - CAST(:days_ago AS int)
        ) AS day
    ) d
    WHERE c.deleted_at IS NULL AND (CAST(:company AS uuid) IS NULL OR c.id = CAST(:company AS uuid))
),
bounds AS MATERIALIZED (SELECT min(starts) AS starts, max(ends) AS ends FROM targets),
day_messages AS MATERIALIZED (
    SELECT m.conversation_id, m.role, m.sentiment,
           c.company_id, c.agent_id, c.channel, t.day, t.starts, t.ends,
           extract(hour FROM m.created_at AT TIME ZONE t.tz)::int AS hour,
           CASE WHEN m.role = 'assistant' THEN nullif(m.metadata->>'model', '') END AS model,
           CASE WHEN m.role = 'assistant' AND jsonb_typeof(m.metadata->'confidence') = 'number'
                THEN (m.metadata->>'confidence')::numeric END AS confidence,
           CASE WHEN m.role = 'assistant' AND jsonb_typeof(m.metadata->'ragRelevance') = 'number'
                THEN (m.metadata->>'ragRelevance')::numeric END AS relevance,
           CASE WHEN m.role = 'assistant' AND jsonb_typeof(m.metadata->'searches') = 'array'
                THEN jsonb_array_length(m.metadata->'searches') ELSE 0 END AS searches,
           CASE WHEN m.role = 'assistant' AND jsonb_typeof(m.metadata->'tokens'->'input') = 'number'
                THEN (m.metadata->'tokens'->>'input')::numeric::bigint ELSE 0 END AS input_tokens,
           CASE WHEN m.role = 'assistant' AND jsonb_typeof(m.metadata->'tokens'->'output') = 'number'
                THEN (m.metadata->'tokens'->>'output')::numeric::bigint ELSE 0 END AS output_tokens
    FROM chatapp_messages m
    JOIN chatapp_conversations c ON c.id = m.conversation_id AND c.deleted_at IS NULL AND NOT c.is_sandbox
    JOIN targets t ON t.company_id = c.company_id
    WHERE m.created_at >= (SELECT starts FROM bounds) AND m.created_at < (SELECT ends FROM bounds)
      AND m.created_at >= t.starts AND m.created_at < t.ends
      AND m.role IN ('user', 'assistant', 'human_agent')
),
day_escalations AS MATERIALIZED (
    SELECT DISTINCT e.conversation_id
    FROM chatapp_escalations e
    JOIN targets t ON t.company_id = e.company_id
    WHERE e.created_at >= t.starts AND e.created_at < t.ends
),
candidates AS MATERIALIZED (
    SELECT c.id, c.company_id, c.agent_id, c.channel, t.day, c.started_at,
           c.status = 'resolved' AND c.resolved_at >= t.starts AND c.resolved_at < t.ends AS is_resolved,
           c.status = 'abandoned' AND c.last_message_at + CAST(:abandon_after AS interval) >= t.starts
               AND c.last_message_at + CAST(:abandon_after AS interval) < t.ends AS is_abandoned,
           c.started_at >= t.starts AND c.started_at < t.ends AS is_new,
           c.id IN (SELECT conversation_id FROM day_escalations) AS is_escalated,
           c.id IN (SELECT conversation_id FROM day_messages) AS has_messages,
           CASE WHEN c.status = 'resolved' THEN c.resolved_at ELSE c.last_message_at END AS ended_at
    FROM chatapp_conversations c
    JOIN targets t ON t.company_id = c.company_id
    WHERE c.deleted_at IS NULL AND NOT c.is_sandbox
      AND (c.last_message_at >= (SELECT starts FROM bounds) - CAST(:abandon_after AS interval)
           OR c.started_at >= (SELECT starts FROM bounds)
           OR c.resolved_at >= (SELECT starts FROM bounds)
           OR c.id IN (SELECT conversation_id FROM day_escalations)
           OR c.id IN (SELECT conversation_id FROM day_messages))
),
touched AS (
    SELECT cc.*,
           cc.is_resolved AND NOT EXISTS (
               SELECT 1 FROM chatapp_messages hm WHERE hm.conversation_id = cc.id AND hm.role = 'human_agent'
           ) AND NOT EXISTS (SELECT 1 FROM chatapp_escalations e WHERE e.conversation_id = cc.id)
           AS is_ai_resolved
    FROM candidates cc
    WHERE cc.is_new OR cc.is_resolved OR cc.is_abandoned OR cc.is_escalated OR cc.has_messages
),
conversation_stats AS (
    SELECT {_DIMENSIONS},
           count(*) AS total_conversations,
           count(*) FILTER (WHERE is_new) AS new_conversations,
           count(*) FILTER (WHERE is_resolved) AS resolved_conversations,
           count(*) FILTER (WHERE is_ai_resolved) AS ai_resolved_conversations,
           count(*) FILTER (WHERE is_escalated) AS escalated_conversations,
           count(*) FILTER (WHERE is_abandoned) AS abandoned_conversations,
           coalesce(
               sum(extract(epoch FROM ended_at - started_at)) FILTER (WHERE is_resolved OR is_abandoned), 0
           ) AS conversation_duration_total
    FROM touched
    GROUP BY {_DIMENSIONS}
),
message_stats AS (
    SELECT {_DIMENSIONS},
           count(*) AS total_messages,
           count(*) FILTER (WHERE role = 'user') AS user_messages,
           count(*) FILTER (WHERE role = 'assistant') AS ai_messages,
           count(*) FILTER (WHERE role = 'human_agent') AS human_agent_messages,
           coalesce(sum(sentiment) FILTER (WHERE role = 'user'), 0) AS sentiment_total,
           count(sentiment) FILTER (WHERE role = 'user') AS sentiment_count,
           coalesce(sum(confidence), 0) AS confidence_total,
           count(confidence) AS confidence_count,
           coalesce(sum(relevance), 0) AS rag_relevance_total,
           count(relevance) AS rag_relevance_count,
           sum(searches) AS rag_queries_count,
           sum(input_tokens + output_tokens) AS total_tokens_used,
           ARRAY[{_HOURS}]::int[] AS hourly_user_messages
    FROM day_messages
    GROUP BY {_DIMENSIONS}
),
model_usage AS (
    SELECT {_DIMENSIONS}, model, sum(input_tokens) AS input_tokens, sum(output_tokens) AS output_tokens
    FROM day_messages
    WHERE model IS NOT NULL
    GROUP BY {_DIMENSIONS}, model
),
cost_stats AS (
    SELECT u.company_id, u.agent_id, u.channel, u.day,
           sum((p.input_price * u.input_tokens + p.output_price * u.output_tokens) / 1000000)
               AS estimated_cost
    FROM model_usage u
    CROSS JOIN LATERAL (
        SELECT input_price, output_price FROM prices WHERE strpos(u.model, family) > 0 ORDER BY rank LIMIT 1
    ) p
    GROUP BY u.company_id, u.agent_id, u.channel, u.day
),
-- Response times, with window functions only (no self-join, whatever the planner estimates): a
-- message's turn is the number of replies before it, so a turn's customer messages and the reply
-- that ends it share (conversation, turn); a second reply in a row has no customer message in its turn.
replied AS MATERIALIZED (
    SELECT DISTINCT conversation_id, company_id, agent_id, channel, day, starts, ends
    FROM day_messages
    WHERE role <> 'user'
),
numbered AS (
    SELECT r.company_id, r.agent_id, r.channel, r.day, r.starts, r.ends,
           m.conversation_id, m.role, m.created_at,
           count(*) FILTER (WHERE m.role <> 'user') OVER (
               PARTITION BY m.conversation_id ORDER BY m.created_at, m.id
               ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
           ) AS turn
    FROM replied r
    JOIN chatapp_messages m ON m.conversation_id = r.conversation_id
    WHERE m.role IN ('user', 'assistant', 'human_agent') AND m.created_at < r.ends
),
answers AS (
    SELECT n.*,
           min(created_at) FILTER (WHERE role = 'user') OVER (PARTITION BY conversation_id, turn) AS asked_at,
           min(created_at) FILTER (WHERE role = 'user') OVER (PARTITION BY conversation_id) AS first_asked_at
    FROM numbered n
),
response_stats AS (
    SELECT {_DIMENSIONS},
           sum(extract(epoch FROM created_at - asked_at)) AS response_time_total,
           count(*) AS response_count,
           coalesce(
               sum(extract(epoch FROM created_at - asked_at)) FILTER (WHERE asked_at = first_asked_at), 0
           ) AS first_response_time_total,
           count(*) FILTER (WHERE asked_at = first_asked_at) AS first_response_count
    FROM answers
    WHERE role <> 'user' AND asked_at IS NOT NULL AND created_at >= starts AND created_at < ends
    GROUP BY {_DIMENSIONS}
),
sums AS (
    SELECT cs.*,
           coalesce(ms.total_messages, 0) AS total_messages,
           coalesce(ms.user_messages, 0) AS user_messages,
           coalesce(ms.ai_messages, 0) AS ai_messages,
           coalesce(ms.human_agent_messages, 0) AS human_agent_messages,
           coalesce(ms.sentiment_total, 0) AS sentiment_total,
           coalesce(ms.sentiment_count, 0) AS sentiment_count,
           coalesce(ms.confidence_total, 0) AS confidence_total,
           coalesce(ms.confidence_count, 0) AS confidence_count,
           coalesce(ms.rag_relevance_total, 0) AS rag_relevance_total,
           coalesce(ms.rag_relevance_count, 0) AS rag_relevance_count,
           coalesce(ms.rag_queries_count, 0) AS rag_queries_count,
           coalesce(ms.total_tokens_used, 0) AS total_tokens_used,
           coalesce(ms.hourly_user_messages, array_fill(0, ARRAY[24])) AS hourly_user_messages,
           coalesce(rs.response_time_total, 0) AS response_time_total,
           coalesce(rs.response_count, 0) AS response_count,
           coalesce(rs.first_response_time_total, 0) AS first_response_time_total,
           coalesce(rs.first_response_count, 0) AS first_response_count,
           round(coalesce(co.estimated_cost, 0), 4) AS estimated_cost
    FROM conversation_stats cs
    LEFT JOIN message_stats ms USING (company_id, agent_id, channel, day)
    LEFT JOIN response_stats rs USING (company_id, agent_id, channel, day)
    LEFT JOIN cost_stats co USING (company_id, agent_id, channel, day)
),
fresh AS (
    SELECT s.*,
           round(response_time_total / nullif(response_count, 0), 2) AS avg_response_time,
           round(first_response_time_total / nullif(first_response_count, 0), 2) AS avg_first_response_time,
           round(conversation_duration_total / nullif(resolved_conversations + abandoned_conversations, 0), 2)
               AS avg_conversation_duration,
           least(round(total_messages::numeric / nullif(total_conversations, 0), 2), 999.99)
               AS avg_messages_per_conversation,
           round(confidence_total / nullif(confidence_count, 0), 2) AS avg_confidence_score,
           round(sentiment_total / nullif(sentiment_count, 0), 2) AS avg_sentiment_score,
           round(rag_relevance_total / nullif(rag_relevance_count, 0), 2) AS avg_rag_relevance
    FROM sums s
),
written AS (
    INSERT INTO chatapp_daily_analytics AS d (company_id, agent_id, channel, date, {", ".join(_METRICS)})
    SELECT company_id, agent_id, channel, day, {", ".join(_METRICS)} FROM fresh
    ON CONFLICT (company_id, agent_id, channel, date) DO UPDATE
    SET {", ".join(f"{m} = EXCLUDED.{m}" for m in _METRICS)}, updated_at = now()
    WHERE ({", ".join(f"d.{m}" for m in _METRICS)})
          IS DISTINCT FROM ({", ".join(f"EXCLUDED.{m}" for m in _METRICS)})
    RETURNING 1
),
removed AS (
    DELETE FROM chatapp_daily_analytics d
    USING targets t
    WHERE d.company_id = t.company_id AND d.date = t.day
      AND NOT EXISTS (
          SELECT 1 FROM fresh f
          WHERE f.company_id = d.company_id AND f.day = d.date
            AND f.agent_id IS NOT DISTINCT FROM d.agent_id AND f.channel IS NOT DISTINCT FROM d.channel
      )
    RETURNING 1
)
SELECT (SELECT count(*) FROM targets) AS companies,
       (SELECT count(*) FROM written) AS rows_written,
       (SELECT count(*) FROM removed) AS rows_removed
"""
)

_SWEEP = text(
    """
UPDATE chatapp_conversations
SET status = 'abandoned', updated_at = now()
WHERE status = 'active' AND deleted_at IS NULL AND last_message_at < CAST(:cutoff AS timestamptz)
"""
)


def _abandon_after() -> timedelta:
    return timedelta(hours=get_settings().abandon_after_hours)


def _rollup(parameters: dict[str, Any]) -> RollupResult:
    with system_session("analytics rollup") as db:
        row = db.execute(_ROLLUP, {"abandon_after": _abandon_after(), **parameters}).one()
    return RollupResult(companies=row.companies, rows_written=row.rows_written, rows_removed=row.rows_removed)


def rollup_date(day: date, company_id: uuid.UUID | None = None) -> RollupResult:
    """Recompute `day` (the same calendar date, in each company's own zone): backfills and tests."""
    return _rollup({"day": day, "now": None, "days_ago": 0, "company": company_id})


def rollup_local_day(
    days_ago: int = 0, now: datetime | None = None, company_id: uuid.UUID | None = None
) -> RollupResult:
    """Recompute each company's local today (0) or yesterday (1) as of `now`."""
    now = now or datetime.now(UTC)
    return _rollup({"day": None, "now": now, "days_ago": days_ago, "company": company_id})


def sweep_abandoned(now: datetime | None = None) -> int:
    """Mark AI-handled conversations silent for `abandon_after_hours` abandoned; returns how many."""
    cutoff = (now or datetime.now(UTC)) - _abandon_after()
    with system_session("abandon idle conversations") as db:
        return db.execute(_SWEEP, {"cutoff": cutoff}).rowcount


def run_job(job: str, now: datetime | None = None) -> dict[str, Any]:
    """A scheduled run: the abandonment sweep first (so the rollup counts what it marked), then the
    rollup of each company's local today or yesterday."""
    if job not in JOBS:
        raise InvalidInput(f"Unknown analytics job {job!r}; use one of {sorted(JOBS)}.", code="unknown_job")
    now = now or datetime.now(UTC)
    abandoned = sweep_abandoned(now)
    result = rollup_local_day(JOBS[job], now)
    summary = {
        "job": job,
        "abandoned": abandoned,
        "companies": result.companies,
        "rows_written": result.rows_written,
        "rows_removed": result.rows_removed,
    }
    logger.info("analytics rollup done", extra=summary)
    return summary
