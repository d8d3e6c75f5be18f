// The human inbox: the escalation queue, conversations by state, and one conversation with takeover,
// replies (with canned responses), internal notes, resolve, return to AI and the customer panel.

import { useEffect, useRef, useState } from "preact/hooks";
import { api } from "../api";
import { navigate } from "../router";
import type { CannedResponse, ConversationDetail, ConversationSummary, CustomerProfile, Escalation, Presence } from "../types";
import {
  ActionMessages,
  Badge,
  Empty,
  ErrorMessage,
  Field,
  Link,
  Loading,
  Page,
  formatDate,
  useAction,
  useInterval,
  useLoad,
  valueOf,
} from "../ui";

const REFRESH_MS = 4000;
type Filter = "waiting_human" | "mine" | "active" | "resolved";
const FILTERS: { id: Filter; label: string }[] = [
  { id: "waiting_human", label: "Waiting" },
  { id: "mine", label: "Mine" },
  { id: "active", label: "With AI" },
  { id: "resolved", label: "Resolved" },
];

function filterQuery(filter: Filter) {
  return filter === "mine" ? { assigned: "me", status: "with_human" } : { status: filter };
}

export function Inbox({ conversationId }: { conversationId?: string }) {
  const [filter, setFilter] = useState<Filter>("waiting_human");
  const queue = useLoad(() => api.get<Escalation[]>("/v1/inbox/escalations"), []);
  const list = useLoad(
    () => api.get<ConversationSummary[]>("/v1/inbox/conversations", { ...filterQuery(filter), limit: 100 }),
    [filter],
  );
  useInterval(() => {
    queue.reload();
    list.reload();
  }, REFRESH_MS * 2);
  const claim = useAction();
  const takeOver = (escalation: Escalation) =>
    claim.run(async () => {
      await api.post(`/v1/inbox/escalations/${escalation.id}/claim`);
      queue.reload();
      list.reload();
      navigate(`/inbox/${escalation.conversation_id}`);
    });
  const pending = (queue.data ?? []).filter((e) => e.status === "pending");

  return (
    <Page title="Inbox" actions={<PresencePicker />}>
      <div class="inbox">
        <aside class="inbox-side">
          <section class="card" aria-labelledby="queue-title">
            <h2 id="queue-title">Queue ({pending.length})</h2>
            <ErrorMessage error={queue.error} />
            <ActionMessages action={claim} />
            {pending.length ? (
              <ul class="list">
                {pending.map((escalation) => (
                  <li class="list-item">
                    <div>
                      <Badge value={escalation.priority} />{" "}
                      <Link to={`/inbox/${escalation.conversation_id}`}>{escalation.reason}</Link>
                      <div class="muted small">{formatDate(escalation.created_at)}</div>
                    </div>
                    <button type="button" class="small" onClick={() => takeOver(escalation)} disabled={claim.busy}>
                      Take over
                    </button>
                  </li>
                ))}
              </ul>
            ) : (
              queue.data && <Empty>Nobody is waiting.</Empty>
            )}
          </section>
          <section class="card" aria-labelledby="conversations-title">
            <h2 id="conversations-title">Conversations</h2>
            <div class="segmented" role="group" aria-label="Show conversations">
              {FILTERS.map((f) => (
                <button
                  type="button"
                  class={f.id === filter ? "selected" : ""}
                  aria-pressed={f.id === filter}
                  onClick={() => setFilter(f.id)}
                >
                  {f.label}
                </button>
              ))}
            </div>
            <ErrorMessage error={list.error} />
            {list.data?.length ? (
              <ul class="list">
                {list.data.map((conversation) => (
                  <li class={conversation.id === conversationId ? "list-item selected" : "list-item"}>
                    <Link to={`/inbox/${conversation.id}`} current={conversation.id === conversationId}>
                      {conversation.customer_name || conversation.customer_email || "Visitor"}
                    </Link>
                    <span class="muted small">
                      {conversation.channel} · {conversation.message_count ?? 0} messages ·{" "}
                      {formatDate(conversation.last_message_at)}
                    </span>
                  </li>
                ))}
              </ul>
            ) : list.data ? (
              <Empty>No conversations here.</Empty>
            ) : (
              <Loading />
            )}
          </section>
        </aside>
        <div class="inbox-main">
          {conversationId ? (
            <Conversation
              key={conversationId}
              id={conversationId}
              queue={queue.data ?? []}
              onChanged={() => {
                queue.reload();
                list.reload();
              }}
            />
          ) : (
            <Empty>Choose a conversation, or take over one from the queue.</Empty>
          )}
        </div>
      </div>
    </Page>
  );
}

function PresencePicker() {
  const [status, setStatus] = useState<Presence["status"] | "">("");
  const action = useAction();
  useEffect(() => {
    api.post<Presence>("/v1/inbox/presence/heartbeat").then((p) => setStatus(p.status), () => undefined);
  }, []);
  useInterval(() => void api.post("/v1/inbox/presence/heartbeat").catch(() => undefined), 60_000);
  const change = (value: Presence["status"]) =>
    action.run(async () => {
      const presence = await api.put<Presence>("/v1/inbox/presence", { status: value });
      setStatus(presence.status);
    });
  return (
    <label class="inline-field">
      <span>My status</span>
      <select value={status} onChange={(e) => change(valueOf(e) as Presence["status"])}>
        {status === "" && <option value="">…</option>}
        <option value="online">Online</option>
        <option value="busy">Busy</option>
        <option value="away">Away</option>
        <option value="offline">Offline</option>
      </select>
      {action.error && (
        <span class="error small" role="alert">
          {action.error}
        </span>
      )}
    </label>
  );
}

const ROLE_LABEL: Record<string, string> = {
  user: "Customer",
  assistant: "AI",
  human_agent: "Agent",
  system: "System",
};

function Conversation(props: { id: string; queue: Escalation[]; onChanged: () => void }) {
  const detail = useLoad(() => api.get<ConversationDetail>(`/v1/inbox/conversations/${props.id}`), [props.id]);
  useInterval(() => detail.reload(), REFRESH_MS);
  const action = useAction();
  const messagesEnd = useRef<HTMLDivElement>(null);
  const count = detail.data?.messages.length ?? 0;
  useEffect(() => messagesEnd.current?.scrollIntoView({ block: "end" }), [count]);

  if (detail.error && !detail.data) return <ErrorMessage error={detail.error} />;
  if (!detail.data) return <Loading />;
  const conversation = detail.data;
  const open = conversation.status !== "resolved" && conversation.status !== "abandoned";
  const pending = props.queue.find((e) => e.conversation_id === conversation.id && e.status === "pending");

  const act = (work: () => Promise<unknown>, done: string) =>
    action.run(async () => {
      await work();
      detail.reload();
      props.onChanged();
      return done;
    });

  return (
    <div class="conversation">
      <section class="card thread" aria-labelledby="thread-title">
        <div class="row spread">
          <h2 id="thread-title">{conversation.customer_name || conversation.customer_email || "Visitor"}</h2>
          <Badge value={conversation.status} />
        </div>
        <div class="row wrap">
          {pending && (
            <button type="button" onClick={() => act(() => api.post(`/v1/inbox/escalations/${pending.id}/claim`), "You took over.")}>
              Take over
            </button>
          )}
          {open && conversation.status !== "active" && (
            <button
              type="button"
              class="secondary"
              onClick={() => act(() => api.post(`/v1/inbox/conversations/${conversation.id}/return-to-ai`), "Returned to the AI.")}
            >
              Return to AI
            </button>
          )}
          {open && <ResolveButton onResolve={(notes) => act(() => api.post(`/v1/inbox/conversations/${conversation.id}/resolve`, notes ? { notes } : {}), "Resolved.")} />}
        </div>
        <ActionMessages action={action} />
        {conversation.summary && <p class="muted">Summary: {conversation.summary}</p>}
        <ol class="messages" aria-label="Messages" aria-live="polite">
          {conversation.messages.map((message) => (
            <li class={`message-row role-${message.role}`}>
              <span class="message-meta">
                {ROLE_LABEL[message.role] ?? message.role} · {formatDate(message.created_at)}
              </span>
              <p class="message-body">{message.content}</p>
            </li>
          ))}
        </ol>
        <div ref={messagesEnd} />
        {open && <ReplyBox conversationId={conversation.id} agentId={conversation.agent_id} onSent={() => { detail.reload(); props.onChanged(); }} />}
      </section>
      <aside class="stack">
        {conversation.customer_id && <CustomerPanel customerId={conversation.customer_id} />}
        <Notes conversation={conversation} onAdded={detail.reload} />
      </aside>
    </div>
  );
}

function ResolveButton({ onResolve }: { onResolve: (notes: string) => void }) {
  const [asking, setAsking] = useState(false);
  const [notes, setNotes] = useState("");
  if (!asking) {
    return (
      <button type="button" class="secondary" onClick={() => setAsking(true)}>
        Resolve…
      </button>
    );
  }
  return (
    <form
      class="row wrap"
      onSubmit={(event) => {
        event.preventDefault();
        onResolve(notes.trim());
        setAsking(false);
      }}
    >
      <Field label="Resolution notes (optional)">
        <input value={notes} maxLength={5000} onInput={(e) => setNotes(valueOf(e))} />
      </Field>
      <button type="submit">Resolve</button>
      <button type="button" class="secondary" onClick={() => setAsking(false)}>
        Cancel
      </button>
    </form>
  );
}

function ReplyBox(props: { conversationId: string; agentId: string; onSent: () => void }) {
  const canned = useLoad(
    () => api.get<CannedResponse[]>("/v1/inbox/canned-responses", { agent_id: props.agentId }),
    [props.agentId],
  );
  const [text, setText] = useState("");
  const action = useAction();
  const box = useRef<HTMLTextAreaElement>(null);
  const insert = (id: string) => {
    const chosen = canned.data?.find((c) => c.id === id);
    if (!chosen) return;
    setText((current) => (current ? `${current}\n${chosen.content}` : chosen.content));
    box.current?.focus();
  };
  // Typing a shortcut such as "/refund" followed by a space expands it.
  const onInput = (event: Event) => {
    const value = valueOf(event);
    const found = value.match(/(^|\s)([/#][a-z0-9_-]+) $/);
    const expansion = found && canned.data?.find((c) => c.shortcut === found[2]);
    setText(expansion ? value.slice(0, value.length - found[2].length - 1) + expansion.content : value);
  };
  const submit = (event: Event) => {
    event.preventDefault();
    void action.run(async () => {
      await api.post(`/v1/inbox/conversations/${props.conversationId}/messages`, { content: text.trim() });
      setText("");
      props.onSent();
    });
  };
  return (
    <form class="reply" onSubmit={submit} aria-label="Reply">
      <Field label="Reply to the customer" wide>
        <textarea
          ref={box}
          rows={3}
          required
          maxLength={4000}
          value={text}
          onInput={onInput}
          onKeyDown={(event) => {
            if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) (event.currentTarget.form as HTMLFormElement).requestSubmit();
          }}
        />
      </Field>
      <div class="row wrap">
        <label class="inline-field">
          <span>Canned response</span>
          <select value="" onChange={(e) => insert(valueOf(e))} disabled={!canned.data?.length}>
            <option value="">{canned.data?.length ? "Insert…" : "None yet"}</option>
            {(canned.data ?? []).map((c) => (
              <option value={c.id}>
                {c.title}
                {c.shortcut ? ` (${c.shortcut})` : ""}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" disabled={action.busy || !text.trim()}>
          Send
        </button>
        <span class="muted small">Ctrl+Enter sends. Replying takes over the conversation.</span>
      </div>
      <ActionMessages action={action} />
    </form>
  );
}

function Notes({ conversation, onAdded }: { conversation: ConversationDetail; onAdded: () => void }) {
  const [text, setText] = useState("");
  const action = useAction();
  const submit = (event: Event) => {
    event.preventDefault();
    void action.run(async () => {
      await api.post(`/v1/inbox/conversations/${conversation.id}/notes`, { content: text.trim() });
      setText("");
      onAdded();
    });
  };
  return (
    <section class="card" aria-labelledby="notes-title">
      <h2 id="notes-title">Internal notes</h2>
      {conversation.notes.length ? (
        <ul class="list">
          {conversation.notes.map((note) => (
            <li class="note">
              <p>{note.content}</p>
              <span class="muted small">{formatDate(note.created_at)}</span>
            </li>
          ))}
        </ul>
      ) : (
        <Empty>No notes. Customers never see them.</Empty>
      )}
      <form onSubmit={submit}>
        <Field label="Add a note" wide>
          <textarea rows={2} required maxLength={5000} value={text} onInput={(e) => setText(valueOf(e))} />
        </Field>
        <button type="submit" class="secondary" disabled={action.busy}>
          Add note
        </button>
        <ActionMessages action={action} />
      </form>
    </section>
  );
}

function CustomerPanel({ customerId }: { customerId: string }) {
  const customer = useLoad(() => api.get<CustomerProfile>(`/v1/inbox/customers/${customerId}`), [customerId]);
  const [tags, setTags] = useState("");
  const [notes, setNotes] = useState("");
  const action = useAction();
  useEffect(() => {
    if (customer.data) {
      setTags(customer.data.tags.join(", "));
      setNotes(customer.data.notes ?? "");
    }
  }, [customer.data]);
  if (customer.error) return <ErrorMessage error={customer.error} />;
  if (!customer.data) return <Loading what="Loading the customer" />;
  const profile = customer.data;
  const save = (event: Event) => {
    event.preventDefault();
    void action.run(async () => {
      customer.set(
        await api.patch<CustomerProfile>(`/v1/inbox/customers/${customerId}`, {
          tags: tags.split(",").map((t) => t.trim()).filter(Boolean),
          notes: notes.trim() || null,
        }),
      );
      return "Saved.";
    });
  };
  return (
    <section class="card" aria-labelledby="customer-title">
      <h2 id="customer-title">Customer</h2>
      <dl class="facts">
        <dt>Name</dt>
        <dd>{profile.name ?? "—"}</dd>
        <dt>E-mail</dt>
        <dd>{profile.email ?? "—"}</dd>
        <dt>Phone</dt>
        <dd>{profile.phone ?? "—"}</dd>
        <dt>Conversations</dt>
        <dd>{profile.total_conversations ?? profile.conversations.length}</dd>
      </dl>
      <form onSubmit={save}>
        <Field label="Tags" hint="Comma-separated" wide>
          <input value={tags} onInput={(e) => setTags(valueOf(e))} />
        </Field>
        <Field label="Notes about this customer" wide>
          <textarea rows={2} value={notes} onInput={(e) => setNotes(valueOf(e))} />
        </Field>
        <button type="submit" class="secondary" disabled={action.busy}>
          Save customer
        </button>
        <ActionMessages action={action} />
      </form>
      {profile.conversations.length > 1 && (
        <>
          <h3>Earlier conversations</h3>
          <ul class="list">
            {profile.conversations.map((c) => (
              <li>
                <Link to={`/inbox/${c.id}`}>{formatDate(c.started_at)}</Link> <Badge value={c.status} />
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
