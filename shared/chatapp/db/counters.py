"""Platform counters that tenant transactions may bump, but never read or rewrite.

Rate-limit windows and usage rows are platform bookkeeping (system-only and read-only to tenants
under row-level security). A chat turn still has to count against them, and doing that in a
separate system transaction costs a round trip and can drift from what it counts. These
SECURITY DEFINER functions are the narrow door: they only add, they meter only the caller's own
company, and they raise the transaction's role to `system` for their one statement and restore it.

`COUNTER_FUNCTIONS_SQL` is always the current definition (migration 0004 runs it, so a fresh
database gets it at once; 0006 replaced the first `chatapp_meter_usage` by one that also counts
`api_calls`, with a default so earlier callers keep working).
"""

from __future__ import annotations

COUNTER_FUNCTIONS_SQL = """
CREATE OR REPLACE FUNCTION chatapp_count_rate_limit_hits(
    hit_keys text[], hit_limits integer[], starts timestamptz, ends timestamptz
) RETURNS TABLE(hit_key varchar, hits integer)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE previous text := coalesce(current_setting('app.user_role', true), '');
BEGIN
  PERFORM set_config('app.user_role', 'system', true);
  RETURN QUERY
    INSERT INTO chatapp_rate_limit_records AS r (key, window_start, window_end, request_count, limit_value)
    SELECT left(k, 255), starts, ends, 1, l FROM unnest(hit_keys, hit_limits) AS t(k, l)
    ON CONFLICT (key, window_start)
      DO UPDATE SET request_count = r.request_count + 1, updated_at = now()
    RETURNING r.key, r.request_count;
  PERFORM set_config('app.user_role', previous, true);
END $$;

CREATE OR REPLACE FUNCTION chatapp_meter_usage(
    for_company uuid, for_agent uuid, starts timestamptz, ends timestamptz,
    messages integer, ai_responses integer, tokens integer, cost numeric, api_calls integer DEFAULT 0
) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE previous text := coalesce(current_setting('app.user_role', true), '');
BEGIN
  IF NOT chatapp_is_platform() AND for_company IS DISTINCT FROM chatapp_current_company_id() THEN
    RAISE EXCEPTION 'usage is metered for the current company only' USING ERRCODE = '42501';
  END IF;
  IF least(messages, ai_responses, tokens, api_calls) < 0 OR cost < 0 THEN
    RAISE EXCEPTION 'usage only grows' USING ERRCODE = '22023';
  END IF;
  PERFORM set_config('app.user_role', 'system', true);
  INSERT INTO chatapp_usage_records AS u
    (company_id, agent_id, period_start, period_end, message_count, ai_response_count, token_count,
     estimated_cost, api_calls)
  VALUES (for_company, for_agent, starts, ends, messages, ai_responses, tokens, cost, api_calls)
  ON CONFLICT (company_id, agent_id, period_start) DO UPDATE SET
    message_count = coalesce(u.message_count, 0) + excluded.message_count,
    ai_response_count = coalesce(u.ai_response_count, 0) + excluded.ai_response_count,
    token_count = coalesce(u.token_count, 0) + excluded.token_count,
    estimated_cost = coalesce(u.estimated_cost, 0) + excluded.estimated_cost,
    api_calls = coalesce(u.api_calls, 0) + excluded.api_calls,
    updated_at = now();
  PERFORM set_config('app.user_role', previous, true);
END $$;
"""

METER_USAGE = (
    "chatapp_meter_usage(uuid, uuid, timestamptz, timestamptz, integer, integer, integer, numeric, integer)"
)
# Signatures that earlier migrations created and later ones replaced (0006 added `api_calls`).
SUPERSEDED_COUNTER_FUNCTIONS = (
    "chatapp_meter_usage(uuid, uuid, timestamptz, timestamptz, integer, integer, integer, numeric)",
)
COUNTER_FUNCTIONS = (
    "chatapp_count_rate_limit_hits(text[], integer[], timestamptz, timestamptz)",
    METER_USAGE,
)


def grant_statements(role: str, functions: tuple[str, ...] = COUNTER_FUNCTIONS) -> list[str]:
    return [
        statement
        for function in functions
        for statement in (
            f"REVOKE ALL ON FUNCTION {function} FROM PUBLIC",
            f"GRANT EXECUTE ON FUNCTION {function} TO {role}",
        )
    ]


DROP_COUNTER_FUNCTIONS_SQL = "".join(
    f"DROP FUNCTION IF EXISTS {f};\n" for f in (*COUNTER_FUNCTIONS, *SUPERSEDED_COUNTER_FUNCTIONS)
)
