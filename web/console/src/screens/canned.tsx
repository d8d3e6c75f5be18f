// Canned responses: the team's saved replies. Company admins write them (a title, the text with
// {{placeholders}}, a shortcut such as "/refund", for all agents or only some); support agents see
// them, use them from the inbox's reply box, and everyone sees how often each one is used.

import { useEffect, useRef, useState } from "preact/hooks";
import { api } from "../api";
import type { Agent, CannedResponse, WhoAmI } from "../types";
import {
  ACTIONS,
  ActionMessages,
  ActiveBadge,
  DataTable,
  Empty,
  Field,
  LoadState,
  Loading,
  Page,
  SmallButton,
  SubmitRow,
  checkedOf,
  formatDate,
  useAction,
  useLoad,
  valueOf,
} from "../ui";

/** The placeholders a reply fills in (shared/chatapp/services/inbox.py, `reply`); others stay blank. */
export const PLACEHOLDERS: Record<string, string> = {
  customer_name: "the customer's name",
  agent_name: "the name of the person replying",
};

// SHORTCUT_PATTERN of shared/chatapp/schemas/team.py, escaped for the `v` flag of HTML patterns.
const SHORTCUT_PATTERN = "[\\/#][a-z0-9][a-z0-9_\\-]{0,48}";

export function placeholdersIn(content: string): string[] {
  return [...new Set([...content.matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((found) => found[1]))];
}

/** The text with the placeholders we know filled in; unknown or empty ones become blank, as on send. */
export function fillPlaceholders(content: string, values: Record<string, string | null | undefined>): string {
  return content.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, name: string) => values[name] ?? "");
}

// The same shortcut rule as the server's (services/canned_responses.py): a preview only, since the
// server does the real expansion when the reply is sent.
const SHORTCUT = /(^|[^\w/#])([/#][a-z0-9][a-z0-9_-]{0,48})(?![\w-])/g;

export function expandShortcuts(
  text: string,
  responses: { shortcut?: string | null; content: string }[],
  values: Record<string, string | null | undefined>,
): string {
  return text.replace(SHORTCUT, (whole, before: string, shortcut: string) => {
    const found = responses.find((r) => r.shortcut === shortcut);
    return found ? before + fillPlaceholders(found.content, values) : whole;
  });
}

interface Draft {
  title: string;
  shortcut: string;
  content: string;
  category: string;
  everyAgent: boolean;
  agentIds: string[];
  active: boolean;
}

const EMPTY: Draft = { title: "", shortcut: "", content: "", category: "", everyAgent: true, agentIds: [], active: true };

function draftOf(response: CannedResponse): Draft {
  return {
    title: response.title,
    shortcut: response.shortcut ?? "",
    content: response.content,
    category: response.category ?? "",
    everyAgent: response.is_global !== false,
    agentIds: response.agent_ids.map(String),
    active: response.is_active !== false,
  };
}

function bodyOf(draft: Draft) {
  return {
    title: draft.title.trim(),
    content: draft.content.trim(),
    shortcut: draft.shortcut.trim() || null,
    category: draft.category.trim() || null,
    is_global: draft.everyAgent,
    agent_ids: draft.everyAgent ? [] : draft.agentIds,
    is_active: draft.active,
  };
}

export function CannedResponses({ me }: { me: WhoAmI }) {
  const isAdmin = me.role === "company_admin";
  const responses = useLoad(() => api.get<CannedResponse[]>("/v1/inbox/canned-responses"), []);
  const agents = useLoad(() => api.get<Agent[]>("/v1/agents"), []);
  const [editing, setEditing] = useState<CannedResponse | null>(null);
  const [search, setSearch] = useState("");
  const action = useAction();
  const agentName = (id: string) => agents.data?.find((a) => a.id === id)?.name ?? id.slice(0, 8);

  const remove = (response: CannedResponse) =>
    action.run(async () => {
      if (!confirm(`Delete the canned response "${response.title}"?`)) return;
      await api.del(`/v1/inbox/canned-responses/${response.id}`);
      if (editing?.id === response.id) setEditing(null);
      responses.reload();
      return `"${response.title}" deleted.`;
    });

  const wanted = search.trim().toLowerCase();
  const shown = (responses.data ?? []).filter(
    (r) => !wanted || [r.title, r.content, r.shortcut ?? "", r.category ?? ""].some((t) => t.toLowerCase().includes(wanted)),
  );

  return (
    <Page title="Canned responses">
      {isAdmin ? (
        <Editor
          editing={editing}
          agents={agents.data ?? []}
          onSaved={() => {
            setEditing(null);
            responses.reload();
          }}
          onCancel={() => setEditing(null)}
        />
      ) : (
        <p class="muted">
          Company admins write canned responses. In the inbox, type a shortcut followed by a space in a reply, or
          insert a response from the list under the reply box.
        </p>
      )}
      <section class="card" aria-labelledby="canned-title">
        <div class="row spread">
          <h2 id="canned-title">Saved replies</h2>
          <label class="inline-field">
            <span>Search</span>
            <input type="search" value={search} onInput={(e) => setSearch(valueOf(e))} />
          </label>
        </div>
        <LoadState
          load={responses}
          action={action}
          loading={!responses.error && <Loading />}
          empty={<Empty>{wanted ? "No canned response matches." : "No canned responses yet."}</Empty>}
          isEmpty={() => !shown.length}
        >
          {() => (
            <DataTable
              columns={["Response", "Shortcut", "Available to", "Used", "Status", isAdmin && ACTIONS]}
              rows={shown}
              row={(response) => {
                const placeholders = placeholdersIn(response.content);
                return (
                  <tr data-canned-id={response.id}>
                    <td>
                      <strong>{response.title}</strong>
                      {response.category && <span class="muted small"> · {response.category}</span>}
                      <div class="small pre-wrap">{response.content}</div>
                      {placeholders.length > 0 && (
                        <div class="muted small">Fills in: {placeholders.map((p) => `{{${p}}}`).join(", ")}</div>
                      )}
                    </td>
                    <td>{response.shortcut ? <code>{response.shortcut}</code> : "—"}</td>
                    <td>{response.is_global !== false ? "All agents" : response.agent_ids.map((id) => agentName(String(id))).join(", ") || "No agent"}</td>
                    <td>
                      {response.usage_count ? `${response.usage_count} ${response.usage_count === 1 ? "time" : "times"}` : "Never"}
                      {response.last_used_at && <div class="muted small">Last {formatDate(response.last_used_at)}</div>}
                    </td>
                    <td>
                      <ActiveBadge active={response.is_active !== false} />
                    </td>
                    {isAdmin && (
                      <td class="row">
                        <SmallButton
                          label={`Edit ${response.title}`}
                          onClick={() => {
                            action.clear();
                            setEditing(response);
                          }}
                        >
                          Edit
                        </SmallButton>
                        <SmallButton
                          danger
                          label={`Delete ${response.title}`}
                          disabled={action.busy}
                          onClick={() => remove(response)}
                        >
                          Delete
                        </SmallButton>
                      </td>
                    )}
                  </tr>
                );
              }}
            />
          )}
        </LoadState>
      </section>
    </Page>
  );
}

function Editor(props: { editing: CannedResponse | null; agents: Agent[]; onSaved: () => void; onCancel: () => void }) {
  const { editing } = props;
  const [draft, setDraft] = useState<Draft>(EMPTY);
  const action = useAction();
  const title = useRef<HTMLInputElement>(null);
  useEffect(() => {
    setDraft(editing ? draftOf(editing) : EMPTY);
    if (editing) title.current?.focus(); // the editor sits above the list: bring it into view
  }, [editing]);
  const change = (patch: Partial<Draft>) => setDraft((current) => ({ ...current, ...patch }));
  const used = placeholdersIn(draft.content);
  const unknown = used.filter((name) => !(name in PLACEHOLDERS));
  const noAgent = !draft.everyAgent && !draft.agentIds.length;

  const submit = (event: Event) => {
    event.preventDefault();
    void action.run(async () => {
      const body = bodyOf(draft);
      if (editing) {
        await api.patch<CannedResponse>(`/v1/inbox/canned-responses/${editing.id}`, body);
      } else {
        await api.post<CannedResponse>("/v1/inbox/canned-responses", body);
        setDraft(EMPTY);
      }
      props.onSaved();
      return editing ? `"${body.title}" saved.` : `"${body.title}" added.`;
    });
  };

  return (
    <section class="card" aria-labelledby="canned-editor-title">
      <h2 id="canned-editor-title">{editing ? `Edit "${editing.title}"` : "New canned response"}</h2>
      <form class="form-grid" onSubmit={submit} aria-label={editing ? "Edit canned response" : "New canned response"}>
        <Field label="Title">
          <input ref={title} required maxLength={255} value={draft.title} onInput={(e) => change({ title: valueOf(e) })} />
        </Field>
        <Field label="Shortcut" hint='Optional. "/" or "#", then lowercase letters, digits, "-" or "_", e.g. /refund.'>
          <input
            value={draft.shortcut}
            pattern={SHORTCUT_PATTERN}
            maxLength={50}
            placeholder="/refund"
            onInput={(e) => change({ shortcut: valueOf(e) })}
          />
        </Field>
        <Field label="Category" hint="Optional.">
          <input maxLength={100} value={draft.category} onInput={(e) => change({ category: valueOf(e) })} />
        </Field>
        <Field
          label="Text"
          wide
          hint={`Placeholders: ${Object.entries(PLACEHOLDERS)
            .map(([name, meaning]) => `{{${name}}} (${meaning})`)
            .join(", ")}; filled in when the reply is sent.`}
        >
          <textarea required rows={4} maxLength={5000} value={draft.content} onInput={(e) => change({ content: valueOf(e) })} />
        </Field>
        <div class="wide row wrap">
          <span class="muted small">Insert a placeholder:</span>
          {Object.keys(PLACEHOLDERS).map((name) => (
            <SmallButton onClick={() => change({ content: `${draft.content}{{${name}}}` })}>{`{{${name}}}`}</SmallButton>
          ))}
        </div>
        {unknown.length > 0 && (
          <p class="muted small" role="status">
            Not a known placeholder, left blank when sent: {unknown.map((name) => `{{${name}}}`).join(", ")}.
          </p>
        )}
        <fieldset class="wide">
          <legend>Available to</legend>
          <label class="check">
            <input type="radio" name="canned-scope" checked={draft.everyAgent} onChange={() => change({ everyAgent: true })} />
            All agents
          </label>
          <label class="check">
            <input type="radio" name="canned-scope" checked={!draft.everyAgent} onChange={() => change({ everyAgent: false })} />
            Only these agents
          </label>
        </fieldset>
        {!draft.everyAgent && (
          <fieldset class="wide">
            <legend>Agents</legend>
            {props.agents.length ? (
              props.agents.map((agent) => (
                <label class="check">
                  <input
                    type="checkbox"
                    checked={draft.agentIds.includes(agent.id)}
                    onChange={(e) =>
                      change({
                        agentIds: checkedOf(e)
                          ? [...new Set([...draft.agentIds, agent.id])]
                          : draft.agentIds.filter((id) => id !== agent.id),
                      })
                    }
                  />
                  {agent.name}
                </label>
              ))
            ) : (
              <Empty>No agents yet.</Empty>
            )}
          </fieldset>
        )}
        <label class="check wide">
          <input type="checkbox" checked={draft.active} onChange={(e) => change({ active: checkedOf(e) })} />
          Active (offered in the inbox's reply box)
        </label>
        <SubmitRow class="wide row" label={editing ? "Save changes" : "Add canned response"} disabled={action.busy || noAgent}>
          {editing && (
            <button type="button" class="secondary" onClick={props.onCancel}>
              Cancel
            </button>
          )}
          {noAgent && <span class="muted small">Choose at least one agent.</span>}
        </SubmitRow>
      </form>
      <ActionMessages action={action} />
    </section>
  );
}
