// Agents: the list, creating one, and one agent's settings (profile and style, escalation rules,
// business hours, knowledge categories, widget appearance with a live preview and the embed snippet).

import { useEffect, useState } from "preact/hooks";
import { ApiError, api } from "../api";
import { navigate } from "../router";
import type { Agent, AgentStatus, Category, WhoAmI, WidgetConfig } from "../types";
import {
  ActionMessages,
  Badge,
  CopyButton,
  DataTable,
  Empty,
  ErrorMessage,
  Field,
  Link,
  LoadState,
  Loading,
  Page,
  TabPanel,
  Tabs,
  checkedOf,
  formatDay,
  optionalNumber,
  useAction,
  useLoad,
  valueOf,
} from "../ui";
import { TestRuns } from "./test_runs";
import { WidgetPreview } from "./widget_preview";

const STATUSES: AgentStatus[] = ["draft", "active", "paused", "archived"];
const WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];

export function Agents({ me }: { me: WhoAmI }) {
  const agents = useLoad(() => api.get<Agent[]>("/v1/agents"), []);
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const create = useAction();
  const isAdmin = me.role === "company_admin";

  const submit = (event: Event) => {
    event.preventDefault();
    void create.run(async () => {
      const agent = await api.post<Agent>("/v1/agents", {
        name: name.trim(),
        ...(description.trim() ? { description: description.trim() } : {}),
      });
      navigate(`/agents/${agent.id}`);
    });
  };

  return (
    <Page title="Agents">
      {isAdmin && (
        <form class="card inline-form" onSubmit={submit} aria-label="Create an agent">
          <h2>New agent</h2>
          <Field label="Name">
            <input name="name" required maxLength={255} value={name} onInput={(e) => setName(valueOf(e))} />
          </Field>
          <Field label="Description">
            <input name="description" value={description} onInput={(e) => setDescription(valueOf(e))} />
          </Field>
          <button type="submit" disabled={create.busy}>
            Create agent
          </button>
          <ActionMessages action={create} />
        </form>
      )}
      <LoadState
        load={agents}
        loading={agents.loading && <Loading />}
        empty={<Empty>No agents yet: create your first one above.</Empty>}
      >
        {(list) => (
          <DataTable
            caption="Your agents"
            columns={["Name", "Status", "Conversations", "Messages", "Created"]}
            rows={list}
            row={(agent) => (
              <tr>
                <td>
                  <Link to={`/agents/${agent.id}`}>{agent.name}</Link>
                  {agent.description && <div class="muted small">{agent.description}</div>}
                </td>
                <td>
                  <Badge value={agent.status} />
                </td>
                <td>{agent.total_conversations}</td>
                <td>{agent.total_messages}</td>
                <td>{formatDay(agent.created_at)}</td>
              </tr>
            )}
          />
        )}
      </LoadState>
    </Page>
  );
}

type Tab = "profile" | "escalation" | "hours" | "knowledge" | "widget" | "tests";

export function AgentEditor({ id, me }: { id: string; me: WhoAmI }) {
  const agent = useLoad(() => api.get<Agent>(`/v1/agents/${id}`), [id]);
  const [tab, setTab] = useState<Tab>("profile");
  if (agent.error) return <ErrorMessage error={agent.error} />;
  if (!agent.data) return <Loading />;
  const readOnly = me.role !== "company_admin";
  const save = async (patch: Record<string, unknown>) => {
    agent.set(await api.patch<Agent>(`/v1/agents/${id}`, patch));
    return "Saved.";
  };
  return (
    <Page title={agent.data.name} actions={<Link to="/agents">← All agents</Link>}>
      <Tabs
        label="Agent settings"
        current={tab}
        onChange={setTab}
        tabs={[
          { id: "profile", label: "Profile & style" },
          { id: "escalation", label: "Escalation" },
          { id: "hours", label: "Business hours" },
          { id: "knowledge", label: "Knowledge" },
          { id: "widget", label: "Widget" },
          { id: "tests", label: "Test runs" },
        ]}
      />
      <TabPanel id={tab}>
        {tab === "profile" && <ProfileForm agent={agent.data} save={save} readOnly={readOnly} />}
        {tab === "escalation" && <EscalationForm agent={agent.data} save={save} readOnly={readOnly} />}
        {tab === "hours" && <HoursForm agent={agent.data} save={save} readOnly={readOnly} />}
        {tab === "knowledge" && <AgentKnowledge agentId={id} readOnly={readOnly} />}
        {tab === "widget" && <WidgetForm agentId={id} agentName={agent.data.name} readOnly={readOnly} />}
        {tab === "tests" && <TestRuns agentId={id} readOnly={readOnly} />}
      </TabPanel>
    </Page>
  );
}

interface FormProps {
  agent: Agent;
  save: (patch: Record<string, unknown>) => Promise<string>;
  readOnly: boolean;
}

function SaveBar({ busy, readOnly }: { busy: boolean; readOnly: boolean }) {
  if (readOnly) return <p class="muted">Only company admins can change agents.</p>;
  return (
    <div class="row">
      <button type="submit" disabled={busy}>
        {busy ? "Saving…" : "Save"}
      </button>
    </div>
  );
}

function ProfileForm({ agent, save, readOnly }: FormProps) {
  const [form, setForm] = useState({
    name: agent.name,
    description: agent.description ?? "",
    personality: agent.personality ?? "",
    status: agent.status,
    rag_enabled: agent.rag_enabled,
    tone: agent.response_style.tone ?? "",
    formality: agent.response_style.formality ?? "",
    verbosity: agent.response_style.verbosity ?? "",
    language: agent.response_style.language ?? "",
  });
  const action = useAction();
  const set = (key: keyof typeof form) => (event: Event) => setForm({ ...form, [key]: valueOf(event) });
  const submit = (event: Event) => {
    event.preventDefault();
    const style: Record<string, string> = {};
    for (const key of ["tone", "formality", "verbosity", "language"] as const) {
      if (form[key]) style[key] = form[key];
    }
    void action.run(() =>
      save({
        name: form.name.trim(),
        description: form.description.trim() || null,
        personality: form.personality.trim() || null,
        status: form.status,
        rag_enabled: form.rag_enabled,
        response_style: style,
      }),
    );
  };
  return (
    <form class="card form-grid" onSubmit={submit}>
      <fieldset disabled={readOnly}>
        <Field label="Name">
          <input required maxLength={255} value={form.name} onInput={set("name")} />
        </Field>
        <Field label="Status">
          <select value={form.status} onChange={set("status")}>
            {STATUSES.map((status) => (
              <option value={status}>{status}</option>
            ))}
          </select>
        </Field>
        <Field label="Description" wide>
          <input value={form.description} onInput={set("description")} />
        </Field>
        <Field label="Personality" hint="How the agent should come across, in your words." wide>
          <textarea rows={4} maxLength={5000} value={form.personality} onInput={set("personality")} />
        </Field>
        <Field label="Tone">
          <select value={form.tone} onChange={set("tone")}>
            <option value="">Default</option>
            {["friendly", "professional", "neutral", "playful", "empathetic"].map((v) => (
              <option value={v}>{v}</option>
            ))}
          </select>
        </Field>
        <Field label="Formality">
          <select value={form.formality} onChange={set("formality")}>
            <option value="">Default</option>
            {["casual", "neutral", "formal"].map((v) => (
              <option value={v}>{v}</option>
            ))}
          </select>
        </Field>
        <Field label="Length of answers">
          <select value={form.verbosity} onChange={set("verbosity")}>
            <option value="">Default</option>
            {["concise", "balanced", "detailed"].map((v) => (
              <option value={v}>{v}</option>
            ))}
          </select>
        </Field>
        <Field label="Language" hint="e.g. en or pt-BR; empty follows the customer.">
          <input value={form.language} pattern="[a-z]{2}(-[A-Z]{2})?" onInput={set("language")} />
        </Field>
        <label class="check wide">
          <input
            type="checkbox"
            checked={form.rag_enabled}
            onChange={(e) => setForm({ ...form, rag_enabled: checkedOf(e) })}
          />
          Answer from the knowledge base
        </label>
      </fieldset>
      <ActionMessages action={action} />
      <SaveBar busy={action.busy} readOnly={readOnly} />
    </form>
  );
}

function EscalationForm({ agent, save, readOnly }: FormProps) {
  const rules = agent.escalation_rules;
  const [keywords, setKeywords] = useState((rules.keywords ?? []).join(", "));
  const [sentiment, setSentiment] = useState(rules.sentimentThreshold?.toString() ?? "");
  const [confidence, setConfidence] = useState(rules.confidenceThreshold?.toString() ?? "");
  const [after, setAfter] = useState(rules.autoEscalateAfter?.toString() ?? "");
  const action = useAction();
  const submit = (event: Event) => {
    event.preventDefault();
    void action.run(() =>
      save({
        escalation_rules: {
          keywords: keywords
            .split(",")
            .map((k) => k.trim())
            .filter(Boolean),
          sentimentThreshold: optionalNumber(sentiment),
          confidenceThreshold: optionalNumber(confidence),
          autoEscalateAfter: optionalNumber(after),
        },
      }),
    );
  };
  return (
    <form class="card form-grid" onSubmit={submit}>
      <p class="wide muted">When any rule matches, the conversation is handed to your team in the inbox.</p>
      <fieldset disabled={readOnly}>
        <Field label="Keywords" hint="Comma-separated, e.g. refund, complaint, speak to a human" wide>
          <input value={keywords} onInput={(e) => setKeywords(valueOf(e))} />
        </Field>
        <Field label="Sentiment below" hint="-1 (angry) to 1 (happy)">
          <input type="number" min={-1} max={1} step={0.05} value={sentiment} onInput={(e) => setSentiment(valueOf(e))} />
        </Field>
        <Field label="Confidence below" hint="0 to 1">
          <input type="number" min={0} max={1} step={0.05} value={confidence} onInput={(e) => setConfidence(valueOf(e))} />
        </Field>
        <Field label="Escalate after this many customer messages">
          <input type="number" min={1} max={100} value={after} onInput={(e) => setAfter(valueOf(e))} />
        </Field>
      </fieldset>
      <ActionMessages action={action} />
      <SaveBar busy={action.busy} readOnly={readOnly} />
    </form>
  );
}

function HoursForm({ agent, save, readOnly }: FormProps) {
  const hours = agent.business_hours;
  const [timezone, setTimezone] = useState(hours.timezone ?? "UTC");
  const [message, setMessage] = useState(hours.outsideHoursMessage ?? "");
  const [schedule, setSchedule] = useState<Record<string, { open: boolean; start: string; end: string }>>(() =>
    Object.fromEntries(
      WEEKDAYS.map((day) => {
        const slot = hours.schedule?.[day];
        return [day, { open: Boolean(slot), start: slot?.start ?? "09:00", end: slot?.end ?? "17:00" }];
      }),
    ),
  );
  const action = useAction();
  const update = (day: string, change: Partial<{ open: boolean; start: string; end: string }>) =>
    setSchedule({ ...schedule, [day]: { ...schedule[day], ...change } });
  const submit = (event: Event) => {
    event.preventDefault();
    const open = WEEKDAYS.filter((day) => schedule[day].open).map((day) => [
      day,
      { start: schedule[day].start, end: schedule[day].end },
    ]);
    void action.run(() =>
      save({
        business_hours: {
          timezone: timezone.trim() || "UTC",
          schedule: Object.fromEntries(open),
          ...(message.trim() ? { outsideHoursMessage: message.trim() } : {}),
        },
      }),
    );
  };
  return (
    <form class="card" onSubmit={submit}>
      <p class="muted">With no open days the agent answers around the clock.</p>
      <fieldset disabled={readOnly}>
        <Field label="Time zone" hint="An IANA name such as Europe/Lisbon">
          <input value={timezone} onInput={(e) => setTimezone(valueOf(e))} />
        </Field>
        <DataTable
          class="compact"
          caption="Opening hours"
          columns={["Day", "Open", "From", "To"]}
          rows={WEEKDAYS}
          row={(day) => (
            <tr>
              <th scope="row">{day[0].toUpperCase() + day.slice(1)}</th>
              <td>
                <input
                  type="checkbox"
                  aria-label={`Open on ${day}`}
                  checked={schedule[day].open}
                  onChange={(e) => update(day, { open: checkedOf(e) })}
                />
              </td>
              <td>
                <input
                  type="time"
                  aria-label={`${day} opens at`}
                  disabled={!schedule[day].open}
                  value={schedule[day].start}
                  onInput={(e) => update(day, { start: valueOf(e) })}
                />
              </td>
              <td>
                <input
                  type="time"
                  aria-label={`${day} closes at`}
                  disabled={!schedule[day].open}
                  value={schedule[day].end}
                  onInput={(e) => update(day, { end: valueOf(e) })}
                />
              </td>
            </tr>
          )}
        />
        <Field label="Message outside business hours" wide>
          <textarea rows={2} maxLength={2000} value={message} onInput={(e) => setMessage(valueOf(e))} />
        </Field>
      </fieldset>
      <ActionMessages action={action} />
      <SaveBar busy={action.busy} readOnly={readOnly} />
    </form>
  );
}

function AgentKnowledge({ agentId, readOnly }: { agentId: string; readOnly: boolean }) {
  const categories = useLoad(() => api.get<Category[]>("/v1/knowledge/categories"), []);
  const assigned = useLoad(
    () => api.get<{ category_ids: string[] }>(`/v1/agents/${agentId}/knowledge-categories`),
    [agentId],
  );
  const [chosen, setChosen] = useState<Set<string>>(new Set());
  useEffect(() => setChosen(new Set(assigned.data?.category_ids ?? [])), [assigned.data]);
  const action = useAction();
  const submit = (event: Event) => {
    event.preventDefault();
    void action.run(async () => {
      assigned.set(
        await api.put<{ category_ids: string[] }>(`/v1/agents/${agentId}/knowledge-categories`, {
          category_ids: [...chosen],
        }),
      );
      return "Saved.";
    });
  };
  if (categories.error || assigned.error) return <ErrorMessage error={categories.error ?? assigned.error} />;
  if (!categories.data || !assigned.data) return <Loading />;
  return (
    <form class="card" onSubmit={submit}>
      <fieldset disabled={readOnly}>
        <legend>Categories this agent answers from</legend>
        {categories.data.length === 0 && (
          <Empty>
            No categories yet: create them under <Link to="/knowledge">Knowledge</Link>.
          </Empty>
        )}
        {categories.data.map((category) => (
          <label class="check">
            <input
              type="checkbox"
              checked={chosen.has(category.id)}
              onChange={(e) => {
                const next = new Set(chosen);
                if (checkedOf(e)) next.add(category.id);
                else next.delete(category.id);
                setChosen(next);
              }}
            />
            {category.name}
          </label>
        ))}
      </fieldset>
      <ActionMessages action={action} />
      <SaveBar busy={action.busy} readOnly={readOnly} />
    </form>
  );
}

const NEW_WIDGET: WidgetConfig = {
  theme: "light",
  position: "bottom-right",
  primary_color: "#4f46e5",
  title: null,
  subtitle: null,
  avatar_url: null,
  logo_url: null,
  show_branding: true,
  auto_open: false,
  auto_open_delay: 0,
  welcome_message: null,
  placeholder_text: null,
  enable_file_upload: false,
  enable_emoji: true,
  custom_css: null,
  allowed_domains: [],
};

type WidgetForm = Omit<WidgetConfig, "allowed_domains"> & { allowed_domains: string };

function WidgetForm({ agentId, agentName, readOnly }: { agentId: string; agentName: string; readOnly: boolean }) {
  const loaded = useLoad(
    () =>
      api.get<WidgetConfig>(`/v1/agents/${agentId}/widget`).catch((error: unknown) => {
        // A new agent has no widget until its settings are saved once: start from the defaults.
        if (error instanceof ApiError && error.code === "widget_not_found") return NEW_WIDGET;
        throw error;
      }),
    [agentId],
  );
  const [form, setForm] = useState<WidgetForm | null>(null);
  const action = useAction();
  useEffect(() => {
    if (loaded.data) setForm({ ...loaded.data, allowed_domains: loaded.data.allowed_domains.join("\n") });
  }, [loaded.data]);
  if (loaded.error && !form) return <ErrorMessage error={loaded.error} />;
  if (!form) return <Loading />;

  const text = (key: keyof WidgetForm) => (event: Event) => setForm({ ...form, [key]: valueOf(event) });
  const flag = (key: keyof WidgetForm) => (event: Event) => setForm({ ...form, [key]: checkedOf(event) });
  const submit = (event: Event) => {
    event.preventDefault();
    const nullable = (value: string | null) => (value && value.trim() ? value.trim() : null);
    void action.run(async () => {
      const saved = await api.put<WidgetConfig>(`/v1/agents/${agentId}/widget`, {
        theme: form.theme ?? "light",
        position: form.position ?? "bottom-right",
        primary_color: form.primary_color,
        title: nullable(form.title),
        subtitle: nullable(form.subtitle),
        avatar_url: nullable(form.avatar_url),
        logo_url: nullable(form.logo_url),
        welcome_message: nullable(form.welcome_message),
        placeholder_text: nullable(form.placeholder_text),
        show_branding: Boolean(form.show_branding),
        auto_open: Boolean(form.auto_open),
        auto_open_delay: Number(form.auto_open_delay ?? 0),
        enable_file_upload: Boolean(form.enable_file_upload),
        enable_emoji: Boolean(form.enable_emoji),
        custom_css: nullable(form.custom_css),
        allowed_domains: form.allowed_domains
          .split(/[\s,]+/)
          .map((d) => d.trim())
          .filter(Boolean),
      });
      loaded.set(saved);
      return "Widget saved. Pages with the snippet pick it up on their next load.";
    });
  };
  const snippet = `<script src="${location.origin}/widget.js" data-agent-id="${agentId}" async></script>`;

  return (
    <div class="widget-layout">
      <form class="card form-grid" onSubmit={submit} aria-label="Widget appearance">
        <fieldset disabled={readOnly}>
          <Field label="Title">
            <input maxLength={100} value={form.title ?? ""} onInput={text("title")} />
          </Field>
          <Field label="Subtitle">
            <input maxLength={200} value={form.subtitle ?? ""} onInput={text("subtitle")} />
          </Field>
          <Field label="Primary colour">
            <input type="color" value={form.primary_color ?? "#4f46e5"} onInput={text("primary_color")} />
          </Field>
          <Field label="Theme">
            <select value={form.theme ?? "light"} onChange={text("theme")}>
              <option value="light">Light</option>
              <option value="dark">Dark</option>
              <option value="auto">Follow the visitor's system</option>
            </select>
          </Field>
          <Field label="Position">
            <select value={form.position ?? "bottom-right"} onChange={text("position")}>
              {["bottom-right", "bottom-left", "top-right", "top-left"].map((p) => (
                <option value={p}>{p.replace("-", " ")}</option>
              ))}
            </select>
          </Field>
          <Field label="Input placeholder">
            <input maxLength={200} value={form.placeholder_text ?? ""} onInput={text("placeholder_text")} />
          </Field>
          <Field label="Welcome message" wide>
            <textarea rows={2} maxLength={2000} value={form.welcome_message ?? ""} onInput={text("welcome_message")} />
          </Field>
          <Field label="Avatar URL" hint="https:// only">
            <input type="url" pattern="https://.*" value={form.avatar_url ?? ""} onInput={text("avatar_url")} />
          </Field>
          <Field label="Logo URL" hint="https:// only">
            <input type="url" pattern="https://.*" value={form.logo_url ?? ""} onInput={text("logo_url")} />
          </Field>
          <label class="check">
            <input type="checkbox" checked={Boolean(form.auto_open)} onChange={flag("auto_open")} /> Open
            automatically
          </label>
          <Field label="Auto-open delay (ms)">
            <input
              type="number"
              min={0}
              max={600000}
              value={form.auto_open_delay ?? 0}
              onInput={(e) => setForm({ ...form, auto_open_delay: Number(valueOf(e)) })}
            />
          </Field>
          <label class="check">
            <input type="checkbox" checked={Boolean(form.show_branding)} onChange={flag("show_branding")} /> Show
            "Powered by Buzzi"
          </label>
          <label class="check">
            <input type="checkbox" checked={Boolean(form.enable_emoji)} onChange={flag("enable_emoji")} /> Emoji
            picker
          </label>
          <label class="check">
            <input
              type="checkbox"
              checked={Boolean(form.enable_file_upload)}
              onChange={flag("enable_file_upload")}
            />{" "}
            Visitors can attach files
          </label>
          <Field label="Allowed sites" hint="One per line: example.com, *.example.com or https://shop.example.com" wide>
            <textarea rows={3} value={form.allowed_domains} onInput={text("allowed_domains")} />
          </Field>
          <Field label="Custom CSS" hint="Applied inside the widget only." wide>
            <textarea rows={3} class="mono" value={form.custom_css ?? ""} onInput={text("custom_css")} />
          </Field>
        </fieldset>
        <ActionMessages action={action} />
        <SaveBar busy={action.busy} readOnly={readOnly} />
      </form>
      <div class="widget-side">
        <section class="card" aria-labelledby="preview-title">
          <h2 id="preview-title">Live preview</h2>
          <WidgetPreview config={{ ...form, allowed_domains: [] }} agentName={agentName} />
        </section>
        <section class="card" aria-labelledby="embed-title">
          <h2 id="embed-title">Embed on your site</h2>
          <p class="muted small">Paste before the closing &lt;/body&gt; tag of every page that shows the chat.</p>
          <pre class="snippet" aria-label="Embed snippet">
            <code>{snippet}</code>
          </pre>
          <CopyButton text={snippet} label="Copy snippet" />
        </section>
      </div>
    </div>
  );
}
