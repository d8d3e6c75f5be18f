// Analytics: the range's totals, and charts over time of conversations, resolution and escalation
// rates, response times, and tokens and cost, from the daily rollups (/v1/analytics/...).

import { useMemo, useState } from "preact/hooks";
import { api, download } from "../api";
import { LineChart } from "../chart";
import type { ChartSeries } from "../chart";
import type { Agent, BusiestHours, CopilotReport, Summary, Timeseries, TimeseriesPoint } from "../types";
import {
  ActionMessages,
  ErrorMessage,
  Field,
  Loading,
  Page,
  formatMoney,
  formatPercent,
  formatSeconds,
  useAction,
  useLoad,
  valueOf,
} from "../ui";

type GroupBy = "day" | "week" | "month";

function isoDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

export function Analytics() {
  const today = new Date();
  const [from, setFrom] = useState(isoDay(new Date(today.getTime() - 29 * 86_400_000)));
  const [to, setTo] = useState(isoDay(today));
  const [agentId, setAgentId] = useState("");
  const [groupBy, setGroupBy] = useState<GroupBy>("day");
  const agents = useLoad(() => api.get<Agent[]>("/v1/agents"), []);
  const query = { from, to, agent_id: agentId || undefined };
  const summary = useLoad(() => api.get<Summary>("/v1/analytics/summary", query), [from, to, agentId]);
  const series = useLoad(
    () => api.get<Timeseries>("/v1/analytics/timeseries", { ...query, group_by: groupBy }),
    [from, to, agentId, groupBy],
  );
  const hours = useLoad(() => api.get<BusiestHours>("/v1/analytics/busiest-hours", query), [from, to, agentId]);
  const copilot = useLoad(() => api.get<CopilotReport>("/v1/analytics/copilot", { from, to }), [from, to]);
  const exporting = useAction();

  const exportCsv = () =>
    exporting.run(async () => {
      const blob = await download("/v1/analytics/export.csv", query);
      const link = document.createElement("a");
      link.href = URL.createObjectURL(blob);
      link.download = `buzzi-analytics-${from}-${to}.csv`;
      link.click();
      URL.revokeObjectURL(link.href);
    });

  const totals = summary.data?.totals;
  return (
    <Page
      title="Analytics"
      actions={
        <button type="button" class="secondary" onClick={exportCsv} disabled={exporting.busy}>
          Export CSV
        </button>
      }
    >
      <form class="row wrap filters" onSubmit={(e) => e.preventDefault()} aria-label="Filters">
        <Field label="From">
          <input type="date" value={from} max={to} onChange={(e) => setFrom(valueOf(e))} />
        </Field>
        <Field label="To">
          <input type="date" value={to} min={from} onChange={(e) => setTo(valueOf(e))} />
        </Field>
        <Field label="Agent">
          <select value={agentId} onChange={(e) => setAgentId(valueOf(e))}>
            <option value="">All agents</option>
            {(agents.data ?? []).map((a) => (
              <option value={a.id}>{a.name}</option>
            ))}
          </select>
        </Field>
        <Field label="Group by">
          <select value={groupBy} onChange={(e) => setGroupBy(valueOf(e) as GroupBy)}>
            <option value="day">Day</option>
            <option value="week">Week</option>
            <option value="month">Month</option>
          </select>
        </Field>
      </form>
      <ActionMessages action={exporting} />
      <ErrorMessage error={summary.error ?? series.error} />
      {totals ? (
        <div class="stats" role="list" aria-label="Totals">
          <Stat label="Conversations" value={String(totals.total_conversations)} />
          <Stat label="Resolution rate" value={formatPercent(totals.resolution_rate)} />
          <Stat label="Escalation rate" value={formatPercent(totals.escalation_rate)} />
          <Stat label="First response" value={formatSeconds(totals.avg_first_response_time)} />
          <Stat label="Tokens" value={totals.total_tokens_used.toLocaleString()} />
          <Stat label="Estimated cost" value={formatMoney(totals.estimated_cost)} />
        </div>
      ) : (
        !summary.error && <Loading />
      )}
      {summary.data && (
        <p class="muted small">Days are in the company's time zone ({summary.data.filter.timezone}).</p>
      )}
      {copilot.data && copilot.data.suggested > 0 && (
        <div class="stats" role="list" aria-label="Copilot">
          <Stat label="Copilot suggestions" value={String(copilot.data.suggested)} />
          <Stat label="Sent as suggested" value={String(copilot.data.sent_as_is)} />
          <Stat label="Edited, then sent" value={String(copilot.data.edited)} />
          <Stat label="Acceptance rate" value={formatPercent(copilot.data.acceptance_rate)} />
        </div>
      )}
      {series.data && <Charts data={series.data} />}
      {hours.data && <Hours data={hours.data} />}
    </Page>
  );
}

/** Money with enough decimals for cents' fractions (a day's model cost is often below one cent). */
function smallMoney(value: number): string {
  return value !== 0 && Math.abs(value) < 1 ? `$${value.toFixed(Math.abs(value) < 0.01 ? 4 : 3)}` : formatMoney(value);
}

function Stat({ label, value }: { label: string; value: string }) {
  return (
    <div class="stat" role="listitem">
      <span class="stat-value">{value}</span>
      <span class="stat-label">{label}</span>
    </div>
  );
}

/** One series per metric: the company-wide series (no split) is the first and only one. */
function Charts({ data }: { data: Timeseries }) {
  const charts = useMemo(() => {
    const points: TimeseriesPoint[] = data.series[0]?.points ?? [];
    const days = points.map((p) => p.date);
    const pick = (label: string, color: string, value: (p: TimeseriesPoint) => number | null): ChartSeries => ({
      label,
      color,
      values: points.map(value),
    });
    return {
      days,
      conversations: [
        pick("Conversations", "#4f46e5", (p) => p.total_conversations),
        pick("Resolved", "#059669", (p) => p.resolved_conversations),
        pick("Escalated", "#d97706", (p) => p.escalated_conversations),
      ],
      rates: [
        pick("Resolution rate", "#059669", (p) => (p.resolution_rate === null ? null : p.resolution_rate * 100)),
        pick("Escalation rate", "#d97706", (p) => (p.escalation_rate === null ? null : p.escalation_rate * 100)),
      ],
      response: [
        pick("First response (s)", "#4f46e5", (p) => p.avg_first_response_time),
        pick("Response (s)", "#0891b2", (p) => p.avg_response_time),
      ],
      tokens: [pick("Tokens", "#7c3aed", (p) => p.total_tokens_used)],
      cost: [pick("Estimated cost", "#be123c", (p) => Number(p.estimated_cost))],
    };
  }, [data]);
  return (
    <div class="charts">
      <LineChart title="Conversations" days={charts.days} series={charts.conversations} />
      <LineChart title="Resolution and escalation rate (%)" days={charts.days} series={charts.rates} format={(v) => `${v.toFixed(0)}%`} fixedMax={100} />
      <LineChart title="Response time" days={charts.days} series={charts.response} format={(v) => formatSeconds(v)} emptyMax={60} />
      <LineChart title="Tokens used" days={charts.days} series={charts.tokens} format={(v) => Math.round(v).toLocaleString()} />
      <LineChart title="Estimated cost" days={charts.days} series={charts.cost} format={smallMoney} emptyMax={1} />
    </div>
  );
}

function Hours({ data }: { data: BusiestHours }) {
  const max = Math.max(1, ...data.hours.map((h) => h.customer_messages));
  return (
    <section class="card" aria-labelledby="hours-title">
      <h2 id="hours-title">Busiest hours (customer messages)</h2>
      <ol class="hours">
        {data.hours.map((h) => (
          <li title={`${h.hour}:00 — ${h.customer_messages} messages`}>
            <span class="hour-bar" style={{ height: `${(h.customer_messages / max) * 100}%` }} />
            <span class="hour-label">{h.hour}</span>
            <span class="sr-only">
              {h.hour}:00, {h.customer_messages} messages
            </span>
          </li>
        ))}
      </ol>
    </section>
  );
}
