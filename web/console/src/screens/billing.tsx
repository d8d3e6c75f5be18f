// Billing: the company's plan and subscription status, usage this month against each limit, and the plans.

import { api } from "../api";
import type { CatalogPlan, LimitUsage, Subscription, Usage } from "../types";
import { Badge, DataTable, LoadState, Loading, Page, formatBytes, formatDay, formatMoney, useLoad } from "../ui";

const LIMIT_LABELS: Record<string, string> = {
  messagesPerMonth: "Messages this month",
  agentCount: "Agents",
  supportSeats: "Support seats",
  storageGb: "Knowledge storage",
  attachmentStorageGb: "Conversation files",
  maxFileSize: "Largest file",
  apiRateLimit: "API requests a minute",
  knowledgeCategories: "Knowledge categories",
};

function amount(value: number | null, unit: string): string {
  if (value === null) return "∞";
  if (unit.startsWith("bytes")) return formatBytes(value);
  if (unit.startsWith("GB")) return `${Number(value.toFixed(3))} GB`;
  return value.toLocaleString();
}

export function Billing() {
  const subscription = useLoad(() => api.get<Subscription>("/v1/billing/subscription"), []);
  const usage = useLoad(() => api.get<Usage>("/v1/billing/usage"), []);
  const plans = useLoad(() => api.get<CatalogPlan[]>("/v1/billing/plans"), []);
  return (
    <Page title="Billing">
      <LoadState load={subscription} loading={!subscription.error && <Loading />}>
        {(sub) => <SubscriptionCard sub={sub} />}
      </LoadState>
      <LoadState load={usage} loading={null}>
        {(data) => <UsageCard usage={data} />}
      </LoadState>
      <LoadState load={plans} loading={null}>
        {(list) => <Plans plans={list} />}
      </LoadState>
    </Page>
  );
}

function SubscriptionCard({ sub }: { sub: Subscription }) {
  return (
    <section class="card" aria-labelledby="plan-title">
      <div class="row spread">
        <h2 id="plan-title">Plan: {sub.plan_name}</h2>
        <Badge value={sub.status} />
      </div>
      <dl class="facts">
        <dt>Price</dt>
        <dd>
          {formatMoney(sub.price, sub.currency)} / {sub.billing_cycle.replace("_", "-")}
        </dd>
        {sub.trial_ends_at && (
          <>
            <dt>Trial ends</dt>
            <dd>{formatDay(sub.trial_ends_at)}</dd>
          </>
        )}
        <dt>{sub.auto_renew ? "Renews" : "Ends"}</dt>
        <dd>{formatDay(sub.expires_at)}</dd>
        {sub.grace_period_ends_at && (
          <>
            <dt>Grace period ends</dt>
            <dd>{formatDay(sub.grace_period_ends_at)}</dd>
          </>
        )}
        <dt>Company</dt>
        <dd>
          <Badge value={sub.company_status} />
          {sub.company_status_reason && <span> {sub.company_status_reason}</span>}
        </dd>
      </dl>
    </section>
  );
}

function UsageRow({ item }: { item: LimitUsage }) {
  const name = LIMIT_LABELS[item.limit] ?? item.limit;
  const percent = item.percent_used === null ? null : Math.min(100, item.percent_used);
  return (
    <tr class={item.reached ? "reached" : undefined}>
      <th scope="row">{name}</th>
      <td>{item.used === null ? "—" : amount(item.used, item.unit)}</td>
      <td>{amount(item.allowed, item.unit)}</td>
      <td>
        {percent === null ? (
          <span class="muted small">{item.used === null ? "a ceiling" : "unlimited"}</span>
        ) : (
          <>
            <meter min={0} max={100} low={75} high={90} optimum={0} value={percent} aria-label={`${name}: ${percent.toFixed(0)}% used`} />
            <span class="small"> {percent.toFixed(0)}%</span>
          </>
        )}
        {item.reached && <span class="error small"> limit reached</span>}
      </td>
    </tr>
  );
}

function UsageCard({ usage }: { usage: Usage }) {
  return (
    <section class="card" aria-labelledby="usage-title">
      <h2 id="usage-title">Usage this month</h2>
      <p class="muted small">
        {formatDay(usage.period_start)} – {formatDay(usage.period_end)} · {usage.tokens.toLocaleString()} tokens ·
        estimated cost {formatMoney(usage.estimated_cost)}
      </p>
      <DataTable columns={["Limit", "Used", "Allowed", "Share"]} rows={usage.limits} row={(item) => <UsageRow item={item} />} />
      {usage.features.length > 0 && <p class="small">Included: {usage.features.join(", ")}</p>}
    </section>
  );
}

function Plans({ plans }: { plans: CatalogPlan[] }) {
  return (
    <section aria-labelledby="plans-title">
      <h2 id="plans-title">Plans</h2>
      <div class="plans">
        {plans.map((plan) => (
          <article class={plan.current ? "card plan current" : "card plan"} aria-label={`${plan.name} plan`}>
            <h3>
              {plan.name} {plan.current && <Badge value="current" tone="active" />}
            </h3>
            <p class="price">
              {formatMoney(plan.base_price, plan.currency)} <span class="muted small">/ {plan.billing_cycle}</span>
            </p>
            {plan.description && <p class="muted small">{plan.description}</p>}
            <ul class="small">
              {Object.entries(plan.limits).map(([key, value]) => (
                <li>
                  {LIMIT_LABELS[key] ?? key}:{" "}
                  {value === null ? "unlimited" : key === "maxFileSize" ? formatBytes(value) : key.endsWith("StorageGb") || key === "storageGb" ? `${value} GB` : value.toLocaleString()}
                </li>
              ))}
            </ul>
          </article>
        ))}
      </div>
      <p class="muted small">To change plans, contact Buzzi: plan changes are made by the platform team.</p>
    </section>
  );
}
