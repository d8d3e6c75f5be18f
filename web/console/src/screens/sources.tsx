// Web sources (docs/knowledge-sources.md): websites and Zendesk help centres kept in sync as
// knowledge files of a category, with each sync's progress and what it found.

import { useState } from "preact/hooks";
import { api } from "../api";
import type { Category, KnowledgeSource, SourceSync, SyncItem, SyncSchedule } from "../types";
import {
  ActionMessages,
  Badge,
  Empty,
  Field,
  LoadState,
  Page,
  SubmitRow,
  checkedOf,
  formatDate,
  useAction,
  useInterval,
  useLoad,
  valueOf,
} from "../ui";

const SCHEDULES: Record<SyncSchedule, string> = { daily: "Daily", weekly: "Weekly", manual: "Manual only" };

function lines(text: string): string[] {
  return text
    .split(/[\n,]/)
    .map((line) => line.trim())
    .filter(Boolean);
}

export function Sources() {
  const sources = useLoad(() => api.get<KnowledgeSource[]>("/v1/knowledge/sources"), []);
  const categories = useLoad(() => api.get<Category[]>("/v1/knowledge/categories"), []);
  const running = (sources.data ?? []).some((source) => source.last_sync?.status === "running");
  // While a sync runs its counts move: read them again every 1.5 s, and stop when all are done.
  useInterval(() => sources.reload(), 1500, running);
  const replace = (saved: KnowledgeSource) =>
    sources.set((sources.data ?? []).map((source) => (source.id === saved.id ? saved : source)));
  return (
    <Page title="Web sources">
      <p class="muted">
        Import a website, a sitemap or a Zendesk help centre into a knowledge category and keep it in sync. Re-syncs fetch
        only what changed, and pages that disappear are removed after two syncs that miss them.
      </p>
      <NewSource
        categories={categories.data ?? []}
        onCreated={(source) => sources.set([source, ...(sources.data ?? [])])}
      />
      <LoadState load={sources} empty={<Empty>No sources yet: add a website or a help centre above.</Empty>}>
        {(list) =>
          list.length ? (
            <ol class="stack" aria-label="Sources">
              {list.map((source) => (
                <SourceCard
                  key={source.id}
                  source={source}
                  category={(categories.data ?? []).find((c) => c.id === source.category_id)?.name}
                  onChanged={replace}
                  onDeleted={() => sources.set((sources.data ?? []).filter((s) => s.id !== source.id))}
                />
              ))}
            </ol>
          ) : (
            <Empty>No sources yet: add a website or a help centre above.</Empty>
          )
        }
      </LoadState>
    </Page>
  );
}

function NewSource(props: { categories: Category[]; onCreated: (source: KnowledgeSource) => void }) {
  const [kind, setKind] = useState<"web" | "zendesk">("web");
  const [name, setName] = useState("");
  const [url, setUrl] = useState("");
  const [categoryId, setCategoryId] = useState("");
  const [include, setInclude] = useState("");
  const [exclude, setExclude] = useState("");
  const [pageLimit, setPageLimit] = useState("500");
  const [schedule, setSchedule] = useState<SyncSchedule>("weekly");
  const [allowHttp, setAllowHttp] = useState(false);
  const [email, setEmail] = useState("");
  const [token, setToken] = useState("");
  const action = useAction();
  const submit = (event: Event) => {
    event.preventDefault();
    void action.run(async () => {
      const source = await api.post<KnowledgeSource>("/v1/knowledge/sources", {
        kind,
        name,
        url,
        category_id: categoryId,
        include_patterns: lines(include),
        exclude_patterns: lines(exclude),
        page_limit: Number(pageLimit),
        schedule,
        allow_http: allowHttp,
        ...(kind === "zendesk" && email ? { zendesk_email: email, zendesk_api_token: token } : {}),
      });
      props.onCreated(source);
      setName("");
      setUrl("");
      setToken("");
      return `“${source.name}” added: its first sync has started.`;
    });
  };
  return (
    <form class="card form-grid" aria-labelledby="new-source" onSubmit={submit}>
      <h2 id="new-source" class="wide">
        Add a source
      </h2>
      <Field label="Kind">
        <select value={kind} onChange={(e) => setKind(valueOf(e) as "web" | "zendesk")}>
          <option value="web">Website or sitemap</option>
          <option value="zendesk">Zendesk help centre</option>
        </select>
      </Field>
      <Field label="Name">
        <input required maxLength={200} value={name} onInput={(e) => setName(valueOf(e))} />
      </Field>
      <Field
        label={kind === "web" ? "Start page or sitemap URL" : "Help centre address"}
        hint={kind === "web" ? "https://example.com/help/ or https://example.com/sitemap.xml" : "https://acme.zendesk.com"}
        wide
      >
        <input required type="url" value={url} onInput={(e) => setUrl(valueOf(e))} />
      </Field>
      <Field label="Category">
        <select required value={categoryId} onChange={(e) => setCategoryId(valueOf(e))}>
          <option value="">Choose…</option>
          {props.categories.map((category) => (
            <option value={category.id}>{category.name}</option>
          ))}
        </select>
      </Field>
      <Field label="Re-sync">
        <select value={schedule} onChange={(e) => setSchedule(valueOf(e) as SyncSchedule)}>
          {(Object.keys(SCHEDULES) as SyncSchedule[]).map((key) => (
            <option value={key}>{SCHEDULES[key]}</option>
          ))}
        </select>
      </Field>
      {kind === "web" && (
        <>
          <Field label="Only paths matching" hint="One pattern a line, such as /help/*">
            <textarea rows={2} value={include} onInput={(e) => setInclude(valueOf(e))} />
          </Field>
          <Field label="Never paths matching" hint="One pattern a line, such as /blog/*">
            <textarea rows={2} value={exclude} onInput={(e) => setExclude(valueOf(e))} />
          </Field>
        </>
      )}
      <Field label="Page limit">
        <input type="number" min={1} max={20000} value={pageLimit} onInput={(e) => setPageLimit(valueOf(e))} />
      </Field>
      <label class="check">
        <input type="checkbox" checked={allowHttp} onChange={(e) => setAllowHttp(checkedOf(e))} /> Also fetch plain
        http:// pages
      </label>
      {kind === "zendesk" && (
        <>
          <Field label="Agent e-mail" hint="Only for a restricted help centre">
            <input type="email" value={email} onInput={(e) => setEmail(valueOf(e))} />
          </Field>
          <Field label="API token">
            <input type="password" autocomplete="off" value={token} onInput={(e) => setToken(valueOf(e))} />
          </Field>
        </>
      )}
      <SubmitRow label="Add source" disabled={action.busy} class="wide">
        <ActionMessages action={action} />
      </SubmitRow>
    </form>
  );
}

function SourceCard(props: {
  source: KnowledgeSource;
  category: string | undefined;
  onChanged: (source: KnowledgeSource) => void;
  onDeleted: () => void;
}) {
  const { source } = props;
  const sync = source.last_sync;
  const [showing, setShowing] = useState(false);
  const action = useAction();
  const syncNow = () =>
    action.run(async () => {
      const started = await api.post<SourceSync>(`/v1/knowledge/sources/${source.id}/syncs`, {});
      props.onChanged({ ...source, last_sync: started });
      return "Sync started.";
    });
  const remove = () =>
    action.run(async () => {
      if (!window.confirm(`Remove “${source.name}” and the ${source.page_count} pages it brought in?`)) return;
      await api.del(`/v1/knowledge/sources/${source.id}`);
      props.onDeleted();
    });
  return (
    <li class="card" aria-label={source.name}>
      <h2>
        {source.name} <Badge value={source.kind === "web" ? "website" : "Zendesk"} />
      </h2>
      <p class="muted small">
        {source.url} → {props.category ?? "a category"} · {SCHEDULES[source.schedule]}
        {source.next_sync_at ? ` (next ${formatDate(source.next_sync_at)})` : ""} · {source.page_count} pages kept
      </p>
      {sync ? <SyncProgress sync={sync} /> : <p class="muted">Never synced.</p>}
      <div class="row">
        <button type="button" disabled={action.busy || sync?.status === "running"} onClick={() => void syncNow()}>
          Sync now
        </button>
        {sync && (sync.failed > 0 || sync.skipped > 0) && (
          <button type="button" class="secondary" onClick={() => setShowing(!showing)} aria-expanded={showing}>
            {showing ? "Hide" : "Show"} failed and skipped pages
          </button>
        )}
        <button type="button" class="secondary danger" disabled={action.busy} onClick={() => void remove()}>
          Remove
        </button>
        <ActionMessages action={action} />
      </div>
      {showing && sync && <SyncProblems source={source} sync={sync} />}
    </li>
  );
}

function SyncProgress({ sync }: { sync: SourceSync }) {
  const done = sync.pages_found - sync.pending;
  const tone = sync.status === "failed" ? "failed" : sync.status === "running" ? "processing" : "indexed";
  return (
    <div aria-label="Last sync" class="stack">
      <p>
        <Badge value={sync.status} tone={tone} /> {sync.trigger === "schedule" ? "Scheduled sync" : "Sync"} started{" "}
        {formatDate(sync.started_at)}
        {sync.finished_at ? `, finished ${formatDate(sync.finished_at)}` : ""}
      </p>
      {sync.status === "running" && (
        <progress max={Math.max(sync.pages_found, 1)} value={done} aria-label="Pages read">
          {done} of {sync.pages_found}
        </progress>
      )}
      <dl class="stats" aria-label="Pages">
        <div class="stat">
          <dt class="stat-label">found</dt>
          <dd class="stat-value">{sync.pages_found}</dd>
        </div>
        <div class="stat">
          <dt class="stat-label">new</dt>
          <dd class="stat-value">{sync.new}</dd>
        </div>
        <div class="stat">
          <dt class="stat-label">changed</dt>
          <dd class="stat-value">{sync.changed}</dd>
        </div>
        <div class="stat">
          <dt class="stat-label">unchanged</dt>
          <dd class="stat-value">{sync.unchanged}</dd>
        </div>
        <div class="stat">
          <dt class="stat-label">failed</dt>
          <dd class="stat-value">{sync.failed}</dd>
        </div>
        <div class="stat">
          <dt class="stat-label">skipped</dt>
          <dd class="stat-value">{sync.skipped}</dd>
        </div>
        <div class="stat">
          <dt class="stat-label">removed</dt>
          <dd class="stat-value">{sync.removed}</dd>
        </div>
      </dl>
      {sync.error && <p class="muted small">{sync.error}</p>}
    </div>
  );
}

function SyncProblems({ source, sync }: { source: KnowledgeSource; sync: SourceSync }) {
  const base = `/v1/knowledge/sources/${source.id}/syncs/${sync.id}/items`;
  const failed = useLoad(() => api.get<{ items: SyncItem[] }>(base, { outcome: "failed", limit: "200" }), [sync.id]);
  const skipped = useLoad(() => api.get<{ items: SyncItem[] }>(base, { outcome: "skipped", limit: "200" }), [sync.id]);
  const rows = [...(failed.data?.items ?? []), ...(skipped.data?.items ?? [])];
  return (
    <table class="table" aria-label="Failed and skipped pages">
      <thead>
        <tr>
          <th scope="col">Page</th>
          <th scope="col">Outcome</th>
          <th scope="col">Why</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((item) => (
          <tr>
            <td class="break">{item.key}</td>
            <td>
              <Badge value={item.outcome} tone={item.outcome === "failed" ? "failed" : "paused"} />
            </td>
            <td>{item.reason}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
