// Master admin screens: companies (create, suspend, reactivate, delete, restore) with the platform's
// figures, the plan catalogue, and the agent package catalogue.

import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import { api } from "../api";
import type { AdminCompany, AdminCompanyPage, AgentPackage, Plan, PlatformOverview } from "../types";
import {
  ACTIONS,
  type Action,
  ActionMessages,
  ActiveBadge,
  Badge,
  DataTable,
  Empty,
  Field,
  LoadState,
  NameCell,
  Page,
  SmallButton,
  SubmitRow,
  checkedOf,
  formatBytes,
  formatDate,
  formatMoney,
  optionalNumber,
  useAction,
  useLoad,
  valueOf,
} from "../ui";

export function AdminCompanies() {
  const [status, setStatus] = useState("");
  const [search, setSearch] = useState("");
  const [applied, setApplied] = useState("");
  const companies = useLoad(
    () => api.get<AdminCompanyPage>("/v1/admin/companies", { status, search: applied, limit: 100 }),
    [status, applied],
  );
  const overview = useLoad(() => api.get<PlatformOverview>("/v1/admin/analytics"), []);
  const action = useAction();

  const act = (company: AdminCompany, work: () => Promise<unknown>, done: string) =>
    action.run(async () => {
      await work();
      companies.reload();
      return `${company.name}: ${done}`;
    });
  const step = (company: AdminCompany, path: string, done: string) =>
    act(company, () => api.post(`/v1/admin/companies/${company.id}/${path}`), done);
  const suspend = (company: AdminCompany) => {
    const reason = prompt(`Why is ${company.name} suspended? Its admins will see this.`);
    if (reason?.trim()) {
      void act(company, () => api.post(`/v1/admin/companies/${company.id}/suspend`, { reason: reason.trim() }), "suspended.");
    }
  };
  const remove = (company: AdminCompany) => {
    if (confirm(`Delete ${company.name}? Its data is purged after the retention period unless restored.`)) {
      void act(company, () => api.del(`/v1/admin/companies/${company.id}`), "deleted.");
    }
  };

  return (
    <Page title="Companies">
      {overview.data && (
        <div class="stats" role="list" aria-label="Platform">
          <div class="stat" role="listitem">
            <span class="stat-value">{overview.data.companies_total}</span>
            <span class="stat-label">Companies</span>
          </div>
          <div class="stat" role="listitem">
            <span class="stat-value">{overview.data.active_companies}</span>
            <span class="stat-label">With conversations</span>
          </div>
          <div class="stat" role="listitem">
            <span class="stat-value">{overview.data.trial_subscriptions}</span>
            <span class="stat-label">On trial</span>
          </div>
          {overview.data.mrr.map((m) => (
            <div class="stat" role="listitem">
              <span class="stat-value">{formatMoney(m.mrr, m.currency)}</span>
              <span class="stat-label">MRR ({m.subscriptions} paying)</span>
            </div>
          ))}
        </div>
      )}
      <NewCompany onCreated={companies.reload} />
      <section class="card" aria-labelledby="companies-title">
        <h2 id="companies-title">All companies {companies.data && <span class="muted">({companies.data.total})</span>}</h2>
        <form
          class="row wrap"
          onSubmit={(e) => {
            e.preventDefault();
            setApplied(search.trim());
          }}
        >
          <Field label="Search name or slug">
            <input type="search" value={search} onInput={(e) => setSearch(valueOf(e))} />
          </Field>
          <Field label="Status">
            <select value={status} onChange={(e) => setStatus(valueOf(e))}>
              <option value="">Not deleted</option>
              <option value="active">Active</option>
              <option value="suspended">Suspended</option>
              <option value="pending">Pending</option>
              <option value="deleted">Deleted</option>
            </select>
          </Field>
          <button type="submit" class="secondary">
            Search
          </button>
        </form>
        <LoadState
          load={companies}
          action={action}
          empty={<Empty>No companies match.</Empty>}
          isEmpty={(page) => !page.items.length}
        >
          {(page) => (
            <DataTable
              columns={["Company", "Status", "Created", ACTIONS]}
              rows={page.items}
              row={(company) => (
                <tr>
                  <NameCell name={company.name} detail={company.slug} />
                  <td>
                    <Badge value={company.status} />
                    {company.status_reason && <div class="muted small">{company.status_reason}</div>}
                  </td>
                  <td>{formatDate(company.created_at)}</td>
                  <td class="row wrap">
                    {company.status === "active" && (
                      <SmallButton onClick={() => suspend(company)}>Suspend</SmallButton>
                    )}
                    {company.status === "suspended" && (
                      <SmallButton onClick={() => step(company, "reactivate", "reactivated.")}>Reactivate</SmallButton>
                    )}
                    {company.status === "deleted" ? (
                      <SmallButton onClick={() => step(company, "restore", "restored.")}>Restore</SmallButton>
                    ) : (
                      <SmallButton danger onClick={() => remove(company)}>Delete</SmallButton>
                    )}
                  </td>
                </tr>
              )}
            />
          )}
        </LoadState>
      </section>
    </Page>
  );
}

function NewCompany({ onCreated }: { onCreated: () => void }) {
  const [form, setForm] = useState({ name: "", slug: "", admin_email: "", admin_name: "" });
  const action = useAction();
  const set = (key: keyof typeof form) => (e: Event) => setForm({ ...form, [key]: valueOf(e) });
  const submit = (event: Event) => {
    event.preventDefault();
    void action.run(async () => {
      const body = Object.fromEntries(Object.entries(form).filter(([, v]) => v.trim()).map(([k, v]) => [k, v.trim()]));
      const created = await api.post<{ company: AdminCompany; plan_slug: string }>("/v1/admin/companies", body);
      setForm({ name: "", slug: "", admin_email: "", admin_name: "" });
      onCreated();
      return `${created.company.name} created on the ${created.plan_slug} plan.`;
    });
  };
  return (
    <NewItem summary="New company" submit="Create company" onSubmit={submit} action={action} disabled={action.busy}>
      <Field label="Name">
        <input required value={form.name} onInput={set("name")} />
      </Field>
      <Field label="Slug" hint="Lower case letters, digits and hyphens">
        <input required value={form.slug} onInput={set("slug")} />
      </Field>
      <Field label="First admin's e-mail" hint="Receives a sign-in link">
        <input type="email" value={form.admin_email} onInput={set("admin_email")} />
      </Field>
      <Field label="First admin's name">
        <input value={form.admin_name} onInput={set("admin_name")} />
      </Field>
    </NewItem>
  );
}

/** A folded card with a form that creates something: its fields, a submit row, then the messages. */
function NewItem(props: {
  summary: string;
  submit: string;
  onSubmit: (event: Event) => void;
  action: Action;
  disabled: boolean;
  children: ComponentChildren;
}) {
  return (
    <details class="card">
      <summary>{props.summary}</summary>
      <form class="form-grid" onSubmit={props.onSubmit}>
        {props.children}
        <SubmitRow label={props.submit} disabled={props.disabled} />
      </form>
      <ActionMessages action={props.action} />
    </details>
  );
}

const PLAN_LIMITS = [
  ["messagesPerMonth", "Messages a month"],
  ["agentCount", "Agents"],
  ["supportSeats", "Support seats"],
  ["storageGb", "Knowledge storage (GB)"],
  ["attachmentStorageGb", "Conversation files (GB)"],
  ["maxFileSize", "Largest file (bytes)"],
  ["apiRateLimit", "API requests a minute"],
  ["knowledgeCategories", "Knowledge categories"],
  ["webSourcePages", "Pages from web sources"],
] as const;

export function AdminPlans() {
  const plans = useLoad(() => api.get<Plan[]>("/v1/admin/plans"), []);
  const action = useAction();
  const act = (work: () => Promise<string>) =>
    action.run(async () => {
      const done = await work();
      plans.reload();
      return done;
    });
  return (
    <Page title="Plans">
      <NewPlan onCreated={plans.reload} />
      <LoadState load={plans} action={action}>
        {(list) => (
          <DataTable
            columns={["Plan", "Price", "Limits", "Subscriptions", "Visibility", ACTIONS]}
            rows={list}
            row={(plan) => (
              <tr>
                <NameCell name={plan.name} detail={plan.slug} />
                <td>
                  {formatMoney(plan.base_price, plan.currency)} / {plan.billing_cycle}
                </td>
                <td class="small">
                  {PLAN_LIMITS.map(([key, label]) => `${label}: ${plan.limits[key] ?? "∞"}`).join(" · ")}
                </td>
                <td>{plan.live_subscriptions}</td>
                <td>
                  <ActiveBadge active={plan.is_active} /> {plan.is_public ? "" : <Badge value="private" tone="pending" />}
                </td>
                <td class="row wrap">
                  <SmallButton
                    onClick={() =>
                      act(async () => {
                        await api.patch(`/v1/admin/plans/${plan.id}`, { is_active: !plan.is_active });
                        return `${plan.name} ${plan.is_active ? "deactivated" : "activated"}.`;
                      })
                    }
                  >
                    {plan.is_active ? "Deactivate" : "Activate"}
                  </SmallButton>
                  <SmallButton
                    danger
                    onClick={() =>
                      act(async () => {
                        if (!confirm(`Remove the plan ${plan.name}?`)) return "";
                        const removed = await api.del<{ outcome: string }>(`/v1/admin/plans/${plan.id}`);
                        return `${plan.name} ${removed.outcome} (plans in use are only deactivated).`;
                      })
                    }
                  >
                    Remove
                  </SmallButton>
                </td>
              </tr>
            )}
          />
        )}
      </LoadState>
    </Page>
  );
}

function NewPlan({ onCreated }: { onCreated: () => void }) {
  const [form, setForm] = useState({ name: "", slug: "", base_price: "0", currency: "USD", billing_cycle: "monthly" });
  const [limits, setLimits] = useState<Record<string, string>>({});
  const [isPublic, setPublic] = useState(true);
  const action = useAction();
  const set = (key: keyof typeof form) => (e: Event) => setForm({ ...form, [key]: valueOf(e) });
  const submit = (event: Event) => {
    event.preventDefault();
    void action.run(async () => {
      const chosen = Object.fromEntries(
        PLAN_LIMITS.map(([key]) => [key, optionalNumber(limits[key] ?? "")]).filter(([, v]) => v !== undefined),
      );
      const plan = await api.post<Plan>("/v1/admin/plans", {
        ...form,
        base_price: form.base_price || "0",
        limits: chosen,
        features: ["web"],
        is_public: isPublic,
      });
      onCreated();
      return `${plan.name} created.`;
    });
  };
  return (
    <NewItem summary="New plan" submit="Create plan" onSubmit={submit} action={action} disabled={action.busy}>
      <Field label="Name">
        <input required value={form.name} onInput={set("name")} />
      </Field>
      <Field label="Slug">
        <input required pattern="[a-z0-9]+(-[a-z0-9]+)*" value={form.slug} onInput={set("slug")} />
      </Field>
      <Field label="Price">
        <input type="number" min={0} step={0.01} value={form.base_price} onInput={set("base_price")} />
      </Field>
      <Field label="Currency">
        <input pattern="[A-Z]{3}" value={form.currency} onInput={set("currency")} />
      </Field>
      <Field label="Billing cycle">
        <select value={form.billing_cycle} onChange={set("billing_cycle")}>
          <option value="monthly">Monthly</option>
          <option value="quarterly">Quarterly</option>
          <option value="semi_annual">Semi-annual</option>
          <option value="annual">Annual</option>
        </select>
      </Field>
      {PLAN_LIMITS.map(([key, label]) => (
        <Field label={label} hint="Empty is unlimited">
          <input type="number" min={0} value={limits[key] ?? ""} onInput={(e) => setLimits({ ...limits, [key]: valueOf(e) })} />
        </Field>
      ))}
      <label class="check">
        <input type="checkbox" checked={isPublic} onChange={(e) => setPublic(checkedOf(e))} /> Offered publicly
      </label>
    </NewItem>
  );
}

export function AdminPackages() {
  const packages = useLoad(() => api.get<(AgentPackage & { package_size: number | null })[]>("/v1/admin/agent-packages"), []);
  const action = useAction();
  const act = (work: () => Promise<unknown>, done: string) =>
    action.run(async () => {
      await work();
      packages.reload();
      return done;
    });
  return (
    <Page title="Agent packages">
      <PublishPackage onPublished={packages.reload} />
      <LoadState load={packages} action={action} empty={<Empty>No packages published.</Empty>}>
        {(list) => (
          <DataTable
            columns={["Package", "Version", "Size", "Agents using it", "State", ACTIONS]}
            rows={list}
            row={(pkg) => (
              <tr>
                <NameCell name={pkg.name} detail={pkg.slug} />
                <td>{pkg.version}</td>
                <td>{formatBytes(pkg.package_size)}</td>
                <td>{pkg.usage_count}</td>
                <td>
                  <ActiveBadge active={pkg.is_active} /> {pkg.is_default && <Badge value="default" tone="active" />}
                </td>
                <td class="row wrap">
                  <SmallButton
                    onClick={() =>
                      act(
                        () => api.post(`/v1/admin/agent-packages/${pkg.id}/${pkg.is_active ? "deactivate" : "activate"}`),
                        `${pkg.name} ${pkg.is_active ? "deactivated" : "activated"}.`,
                      )
                    }
                  >
                    {pkg.is_active ? "Deactivate" : "Activate"}
                  </SmallButton>
                  {!pkg.is_default && pkg.is_active && (
                    <SmallButton
                      onClick={() => act(() => api.post(`/v1/admin/agent-packages/${pkg.id}/default`), `${pkg.name} is now the default.`)}
                    >
                      Make default
                    </SmallButton>
                  )}
                </td>
              </tr>
            )}
          />
        )}
      </LoadState>
    </Page>
  );
}

function readBase64(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).split(",", 2)[1] ?? "");
    reader.onerror = () => reject(new Error("Cannot read the file."));
    reader.readAsDataURL(file);
  });
}

function PublishPackage({ onPublished }: { onPublished: () => void }) {
  const [form, setForm] = useState({ name: "", slug: "", version: "1.0.0", description: "" });
  const [file, setFile] = useState<File | null>(null);
  const action = useAction();
  const set = (key: keyof typeof form) => (e: Event) => setForm({ ...form, [key]: valueOf(e) });
  const submit = (event: Event) => {
    event.preventDefault();
    if (!file) return;
    void action.run(async () => {
      const published = await api.post<AgentPackage>("/v1/admin/agent-packages", {
        name: form.name.trim(),
        slug: form.slug.trim(),
        version: form.version.trim(),
        ...(form.description.trim() ? { description: form.description.trim() } : {}),
        zip_base64: await readBase64(file),
      });
      onPublished();
      return `${published.name} ${published.version} published.`;
    });
  };
  return (
    <NewItem summary="Publish a package" submit="Publish" onSubmit={submit} action={action} disabled={action.busy || !file}>
      <Field label="Name">
        <input required value={form.name} onInput={set("name")} />
      </Field>
      <Field label="Slug">
        <input required pattern="[a-z0-9]+(-[a-z0-9]+)*" value={form.slug} onInput={set("slug")} />
      </Field>
      <Field label="Version">
        <input required value={form.version} onInput={set("version")} />
      </Field>
      <Field label="Description">
        <input value={form.description} onInput={set("description")} />
      </Field>
      <Field label="Package (.zip)" wide>
        <input type="file" accept=".zip,application/zip" required onChange={(e) => setFile((e.currentTarget as HTMLInputElement).files?.[0] ?? null)} />
      </Field>
    </NewItem>
  );
}
