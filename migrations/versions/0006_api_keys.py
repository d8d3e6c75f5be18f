"""API keys: `chatapp_meter_usage` also counts API calls (`usage_records.api_calls`).

The function is dropped and created again with the new signature (an added parameter would
otherwise create an overload); `api_calls` defaults to 0, so existing callers are unchanged.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from chatapp.config import get_settings
from chatapp.db import counters

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PREVIOUS_SIGNATURE = (
    "chatapp_meter_usage(uuid, uuid, timestamptz, timestamptz, integer, integer, integer, numeric)"
)
# The function as migration 0004 first created it, restored by the downgrade.
_PREVIOUS_METER_USAGE_SQL = """
CREATE OR REPLACE FUNCTION chatapp_meter_usage(
    for_company uuid, for_agent uuid, starts timestamptz, ends timestamptz,
    messages integer, ai_responses integer, tokens integer, cost numeric
) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE previous text := coalesce(current_setting('app.user_role', true), '');
BEGIN
  IF NOT chatapp_is_platform() AND for_company IS DISTINCT FROM chatapp_current_company_id() THEN
    RAISE EXCEPTION 'usage is metered for the current company only' USING ERRCODE = '42501';
  END IF;
  IF least(messages, ai_responses, tokens) < 0 OR cost < 0 THEN
    RAISE EXCEPTION 'usage only grows' USING ERRCODE = '22023';
  END IF;
  PERFORM set_config('app.user_role', 'system', true);
  INSERT INTO chatapp_usage_records AS u
    (company_id, agent_id, period_start, period_end, message_count, ai_response_count, token_count,
     estimated_cost)
  VALUES (for_company, for_agent, starts, ends, messages, ai_responses, tokens, cost)
  ON CONFLICT (company_id, agent_id, period_start) DO UPDATE SET
    message_count = coalesce(u.message_count, 0) + excluded.message_count,
    ai_response_count = coalesce(u.ai_response_count, 0) + excluded.ai_response_count,
    token_count = coalesce(u.token_count, 0) + excluded.token_count,
    estimated_cost = coalesce(u.estimated_cost, 0) + excluded.estimated_cost,
    updated_at = now();
  PERFORM set_config('app.user_role', previous, true);
END $$;
"""


def upgrade() -> None:
    op.execute(f"DROP FUNCTION IF EXISTS {_PREVIOUS_SIGNATURE}")
    op.execute(counters.COUNTER_FUNCTIONS_SQL)  # CREATE OR REPLACE: the rate-limit function is unchanged
    for statement in counters.grant_statements(get_settings().app_db_role, (counters.METER_USAGE,)):
        op.execute(statement)


def downgrade() -> None:
    op.execute(f"DROP FUNCTION IF EXISTS {counters.METER_USAGE}")
    op.execute(_PREVIOUS_METER_USAGE_SQL)
    for statement in counters.grant_statements(get_settings().app_db_role, (_PREVIOUS_SIGNATURE,)):
        op.execute(statement)
