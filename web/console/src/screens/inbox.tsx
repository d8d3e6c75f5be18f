// The human inbox: the escalation queue, conversations by state, and one conversation with takeover,
// transfer to a teammate, replies (with canned responses), internal notes, resolve, return to AI and
// the customer panel.

import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, api } from "../api";
import { sendTyping, useLive } from "../live";
import { navigate } from "../router";
import type {
  CannedResponse,
  ConversationDetail,
  ConversationSummary,
  CustomerProfile,
  Escalation,
  InboxMessage,
  Member,
  Presence,
  Suggestion,
  WhoAmI,
} from "../types";
import {
  ActionMessages,
  Badge,
  Empty,
  ErrorMessage,
  Field,
  Link,
  LoadState,
  Loading,
  Page,
  formatDate,
  useAction,
  useInterval,
  useLoad,
  valueOf,
} from "../ui";
import { expandShortcuts, fillPlaceholders } from "./canned";

const REFRESH_MS = 4000;
// Frames after which the queue and the conversation list are read again (`live.open`: after a
// reconnect, whatever happened while the socket was down).
const LIST_EVENTS = new Set([
  "live.open",
  "escalation.created",
  "escalation.assigned",
  "escalation.closed",
  "conversation.gone",
  "message.created",
]);
const TYPING_SHOWN_MS = 4000;
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

export function Inbox({ conversationId, me }: { conversationId?: string; me: WhoAmI }) {
  const [filter, setFilter] = useState<Filter>("waiting_human");
  const queue = useLoad(() => api.get<Escalation[]>("/v1/inbox/escalations"), []);
  const list = useLoad(
    () => api.get<ConversationSummary[]>("/v1/inbox/conversations", { ...filterQuery(filter), limit: 100 }),
    [filter],
  );
  const [notice, setNotice] = useState<string | null>(null);
  // Frames say what changed; polling is only the fallback while the socket is down.
  const live = useLive((frame) => {
    if (frame.type === "conversation.gone" && frame.conversation_id === conversationId) {
      setNotice("That conversation was transferred to a teammate.");
      navigate("/inbox");
    }
    if (LIST_EVENTS.has(frame.type)) {
      queue.reload();
      list.reload();
    }
  });
  useInterval(
    () => {
      queue.reload();
      list.reload();
    },
    REFRESH_MS * 2,
    !live,
  );
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
    <Page
      title="Inbox"
      actions={
        <>
          <span class={live ? "badge badge-online" : "badge"} title={live ? "Updates arrive as they happen" : "Checking every few seconds"}>
            {live ? "Live" : "Polling"}
          </span>
          <PresencePicker me={me} />
        </>
      }
    >
      {notice && (
        <p class="message" role="status">
          {notice}
        </p>
      )}
      <div class="inbox">
        <aside class="inbox-side">
          <section class="card" aria-labelledby="queue-title">
            <h2 id="queue-title">Queue ({pending.length})</h2>
            <LoadState
              load={queue}
              action={claim}
              loading={null}
              empty={<Empty>Nobody is waiting.</Empty>}
              isEmpty={() => !pending.length}
            >
              {() => (
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
              )}
            </LoadState>
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
            <LoadState load={list} empty={<Empty>No conversations here.</Empty>}>
              {(conversations) => (
                <ul class="list">
                  {conversations.map((conversation) => (
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
              )}
            </LoadState>
          </section>
        </aside>
        <div class="inbox-main">
          {conversationId ? (
            <Conversation
              key={conversationId}
              id={conversationId}
              me={me}
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

function PresencePicker({ me }: { me: WhoAmI }) {
  const [status, setStatus] = useState<Presence["status"] | "">("");
  const action = useAction();
  useLive((frame) => {
    const changed = frame.presence as Presence | undefined;
    if (frame.type === "presence" && changed?.user_id === me.user.id) setStatus(changed.status); // e.g. idle: away
  });
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

const OPEN_ESCALATION = ["pending", "assigned", "in_progress"];

function Conversation(props: { id: string; me: WhoAmI; queue: Escalation[]; onChanged: () => void }) {
  const detail = useLoad(() => api.get<ConversationDetail>(`/v1/inbox/conversations/${props.id}`), [props.id]);
  const [typingUntil, setTypingUntil] = useState(0);
  const live = useLive((frame) => {
    if (frame.type === "live.open") detail.reload();
    if (frame.conversation_id !== props.id) return;
    if (frame.type === "typing") setTypingUntil(Date.now() + TYPING_SHOWN_MS);
    else if (frame.type !== "conversation.gone") {
      if (frame.type === "message.created") setTypingUntil(0);
      detail.reload();
    }
  });
  useInterval(() => detail.reload(), REFRESH_MS, !live);
  useInterval(() => setTypingUntil((until) => (until && until < Date.now() ? 0 : until)), 1000, typingUntil > 0);
  const action = useAction();
  // Older pages the agent asked for; the polled latest page is merged in below them by id.
  const [earlier, setEarlier] = useState<{ messages: InboxMessage[]; cursor: string | null } | null>(null);
  useEffect(() => setEarlier(null), [props.id]);
  const messagesEnd = useRef<HTMLDivElement>(null);
  const newest = detail.data?.messages.at(-1)?.id;
  useEffect(() => messagesEnd.current?.scrollIntoView({ block: "end" }), [newest]);

  if (detail.error && !detail.data) return <ErrorMessage error={detail.error} />;
  if (!detail.data) return <Loading />;
  const conversation = detail.data;
  const open = conversation.status !== "resolved" && conversation.status !== "abandoned";
  const pending = props.queue.find((e) => e.conversation_id === conversation.id && e.status === "pending");
  const escalation = conversation.escalations.find((e) => OPEN_ESCALATION.includes(e.status));
  // The API lets an admin transfer any open escalation, and a support agent the ones assigned to them.
  const canTransfer =
    open && escalation && (props.me.role === "company_admin" || escalation.assigned_to === props.me.user.id);

  const olderCursor = earlier ? earlier.cursor : conversation.messages_cursor;
  const latestIds = new Set(conversation.messages.map((message) => message.id));
  const shown = [...(earlier?.messages.filter((message) => !latestIds.has(message.id)) ?? []), ...conversation.messages];
  const showEarlier = (cursor: string) =>
    action.run(async () => {
      const page = await api.get<ConversationDetail>(
        `/v1/inbox/conversations/${conversation.id}?before=${encodeURIComponent(cursor)}`,
      );
      setEarlier({ messages: [...page.messages, ...(earlier?.messages ?? [])], cursor: page.messages_cursor });
    });

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
          <span>
            <Badge value={conversation.status} />{" "}
            {conversation.language && (
              <span class="muted small" title="The customer's language">
                {conversation.language}
              </span>
            )}
          </span>
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
          {canTransfer && (
            <Transfer
              escalation={escalation}
              me={props.me}
              busy={action.busy}
              onTransfer={(target) =>
                act(
                  () => api.post(`/v1/inbox/escalations/${escalation.id}/transfer`, { user_id: target.id }),
                  `Transferred to ${target.name}.`,
                )
              }
            />
          )}
          {conversation.language && conversation.language !== "en" && (
            <button
              type="button"
              class="secondary"
              disabled={action.busy}
              onClick={() =>
                act(() => api.post(`/v1/inbox/conversations/${conversation.id}/translation`), "Translated into English.")
              }
            >
              Translate into English
            </button>
          )}
          {open && <ResolveButton onResolve={(notes) => act(() => api.post(`/v1/inbox/conversations/${conversation.id}/resolve`, notes ? { notes } : {}), "Resolved.")} />}
        </div>
        <ActionMessages action={action} />
        {conversation.summary && <p class="muted">Summary: {conversation.summary}</p>}
        {olderCursor && (
          <button type="button" class="secondary" disabled={action.busy} onClick={() => showEarlier(olderCursor)}>
            Show earlier messages
          </button>
        )}
        <ol class="messages" aria-label="Messages" aria-live="polite">
          {shown.map((message) => (
            <li class={`message-row role-${message.role}`}>
              <span class="message-meta">
                {ROLE_LABEL[message.role] ?? message.role} · {formatDate(message.created_at)}
              </span>
              <p class="message-body">{message.content}</p>
              {message.metadata?.translations?.en && (
                <p class="muted small translation" lang="en">
                  Translation: {message.metadata.translations.en}
                </p>
              )}
            </li>
          ))}
        </ol>
        {typingUntil > 0 && (
          <p class="muted typing" role="status">
            The customer is typing…
          </p>
        )}
        <div ref={messagesEnd} />
        {open && (
          <ReplyBox
            conversationId={conversation.id}
            agentId={conversation.agent_id}
            withPerson={conversation.status === "waiting_human" || conversation.status === "with_human"}
            placeholders={{ customer_name: conversation.customer_name, agent_name: props.me.user.name }}
            onSent={() => {
              detail.reload();
              props.onChanged();
            }}
          />
        )}
      </section>
      <aside class="stack">
        {conversation.customer_id && <CustomerPanel customerId={conversation.customer_id} />}
        <Notes conversation={conversation} onAdded={detail.reload} />
      </aside>
    </div>
  );
}

/** The copilot's suggested reply, asked for when the conversation opens; used only if the person
 * chooses it, and then only after they send. */
function Copilot(props: {
  conversationId: string;
  onLoaded: (suggestion: Suggestion) => void;
  onUse: (suggestion: Suggestion) => void;
}) {
  const suggestion = useLoad(async () => {
    const made = await api.post<Suggestion>(`/v1/inbox/conversations/${props.conversationId}/suggestions`);
    props.onLoaded(made);
    return made;
  }, [props.conversationId]);
  return (
    <section class="copilot" aria-labelledby="copilot-title">
      <div class="row spread">
        <h3 id="copilot-title">Suggested reply</h3>
        <button type="button" class="small secondary" disabled={suggestion.loading} onClick={() => suggestion.reload()}>
          Suggest again
        </button>
      </div>
      {suggestion.loading && !suggestion.data ? (
        <p class="muted small">Drafting a reply from the knowledge base…</p>
      ) : suggestion.error ? (
        <p class="muted small">{suggestion.error}</p>
      ) : suggestion.data ? (
        <>
          <p class="message-body">{suggestion.data.content}</p>
          {suggestion.data.citations.map((citation) => (
            <details class="small">
              <summary>
                [{citation.number}] {citation.filename}
                {citation.section_title ? ` · ${citation.section_title}` : ""}
              </summary>
              <p class="message-body">{citation.text}</p>
            </details>
          ))}
          <p class="muted small">
            {suggestion.data.offline ? "Offline: the best passages, not a written reply." : `Drafted by ${suggestion.data.model}.`}{" "}
            The customer sees nothing until you send.
          </p>
          <button type="button" class="small" onClick={() => props.onUse(suggestion.data!)}>
            Use this reply
          </button>
        </>
      ) : null}
    </section>
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

interface TransferTarget {
  id: string;
  name: string;
  status: Presence["status"] | null;
}

const PRESENCE_ORDER = ["online", "busy", "away", "offline"];

/** Who can take a conversation: active admins and support agents with their presence. Support agents
 * may lack the team permission; they then choose among the teammates the presence list knows. */
async function transferTargets(): Promise<TransferTarget[]> {
  const [presence, members] = await Promise.all([
    api.get<Presence[]>("/v1/inbox/team"),
    api.get<Member[]>("/v1/team/members").catch((failure: unknown) => {
      if (failure instanceof ApiError && failure.status === 403) return null;
      throw failure;
    }),
  ]);
  const statusOf = (id: string) => presence.find((p) => p.user_id === id)?.status ?? null;
  const targets = members
    ? members
        .filter((m) => m.is_active && (m.role === "company_admin" || m.role === "support_agent"))
        .map((m) => ({ id: m.id, name: m.name ?? m.email, status: statusOf(m.id) }))
    : presence.map((p) => ({ id: p.user_id, name: `Teammate ${p.user_id.slice(0, 8)}`, status: p.status }));
  const rank = (t: TransferTarget) => PRESENCE_ORDER.indexOf(t.status ?? "offline");
  return targets.sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name));
}

function Transfer(props: {
  escalation: Escalation;
  me: WhoAmI;
  busy: boolean;
  onTransfer: (target: TransferTarget) => Promise<boolean>;
}) {
  const [asking, setAsking] = useState(false);
  if (!asking) {
    return (
      <button type="button" class="secondary" onClick={() => setAsking(true)}>
        Transfer…
      </button>
    );
  }
  return <TransferForm {...props} onClose={() => setAsking(false)} />;
}

function TransferForm(props: {
  escalation: Escalation;
  me: WhoAmI;
  busy: boolean;
  onTransfer: (target: TransferTarget) => Promise<boolean>;
  onClose: () => void;
}) {
  const team = useLoad(transferTargets, []);
  const [picked, setPicked] = useState("");
  const choices = (team.data ?? []).filter((t) => t.id !== props.escalation.assigned_to);
  // Derived, not synced by an effect: an effect running after the person already picked someone
  // would put the first teammate back.
  const chosen = choices.some((t) => t.id === picked) ? picked : (choices[0]?.id ?? "");
  const submit = async (event: Event) => {
    event.preventDefault();
    const target = choices.find((t) => t.id === chosen);
    if (target && (await props.onTransfer(target))) props.onClose();
  };
  return (
    <form class="row wrap" onSubmit={submit} aria-label="Transfer the conversation">
      <Field label="Transfer to">
        <select required value={chosen} onChange={(e) => setPicked(valueOf(e))} disabled={!choices.length}>
          {!team.data && <option value="">Loading…</option>}
          {team.data && !choices.length && <option value="">Nobody else on the team</option>}
          {choices.map((t) => (
            <option value={t.id}>
              {t.name}
              {t.id === props.me.user.id ? " (you)" : ""} · {t.status ?? "offline"}
            </option>
          ))}
        </select>
      </Field>
      <button type="submit" disabled={props.busy || !chosen}>
        Transfer
      </button>
      <button type="button" class="secondary" onClick={props.onClose}>
        Cancel
      </button>
      <ErrorMessage error={team.error} />
    </form>
  );
}

function ReplyBox(props: {
  conversationId: string;
  agentId: string;
  withPerson: boolean;
  placeholders: Record<string, string | null>;
  onSent: () => void;
}) {
  const canned = useLoad(
    () => api.get<CannedResponse[]>("/v1/inbox/canned-responses", { agent_id: props.agentId }),
    [props.agentId],
  );
  const usable = canned.data?.filter((c) => c.is_active !== false);
  const [text, setText] = useState("");
  // The copilot suggestion the text started from: the reply names it, so sent, edited and ignored differ.
  const [suggestionId, setSuggestionId] = useState<string | null>(null);
  const [offline, setOffline] = useState(false);
  const action = useAction();
  const rewriting = useAction();
  const box = useRef<HTMLTextAreaElement>(null);
  const rewrite = (style: "rephrase" | "shorten" | "formal") =>
    rewriting.run(async () => {
      const result = await api.post<{ text: string }>(`/v1/inbox/conversations/${props.conversationId}/rewrite`, {
        text,
        style,
      });
      setText(result.text);
    });
  // The server expands shortcuts (and counts each use), so a response with a shortcut goes in as
  // its shortcut; the preview below shows what the customer will read.
  const insert = (id: string) => {
    const chosen = usable?.find((c) => c.id === id);
    if (!chosen) return;
    const piece = chosen.shortcut ?? fillPlaceholders(chosen.content, props.placeholders);
    setText((current) => (current ? `${current}${current.endsWith(" ") ? "" : " "}${piece} ` : `${piece} `));
    box.current?.focus();
  };
  const preview = usable?.length ? expandShortcuts(text, usable, props.placeholders) : text;
  const submit = (event: Event) => {
    event.preventDefault();
    void action.run(async () => {
      await api.post(`/v1/inbox/conversations/${props.conversationId}/messages`, {
        content: text.trim(),
        ...(suggestionId ? { suggestion_id: suggestionId } : {}),
      });
      setText("");
      setSuggestionId(null);
      props.onSent();
    });
  };
  return (
    <form class="reply" onSubmit={submit} aria-label="Reply">
      {props.withPerson && (
        <Copilot
          conversationId={props.conversationId}
          onLoaded={(suggestion) => setOffline(suggestion.offline)}
          onUse={(suggestion) => {
            setText(suggestion.content);
            setSuggestionId(suggestion.id);
            box.current?.focus();
          }}
        />
      )}
      <Field label="Reply to the customer" wide>
        <textarea
          ref={box}
          rows={3}
          required
          maxLength={4000}
          value={text}
          onInput={(event) => {
            setText(valueOf(event));
            sendTyping(props.conversationId);
          }}
          onKeyDown={(event) => {
            if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) (event.currentTarget.form as HTMLFormElement).requestSubmit();
          }}
        />
      </Field>
      <div class="row wrap">
        <label class="inline-field">
          <span>Canned response</span>
          <select value="" onChange={(e) => insert(valueOf(e))} disabled={!usable?.length}>
            <option value="">{usable?.length ? "Insert…" : "None yet"}</option>
            {(usable ?? []).map((c) => (
              <option value={c.id}>
                {c.title}
                {c.shortcut ? ` (${c.shortcut})` : ""}
              </option>
            ))}
          </select>
        </label>
        <Link to="/canned-responses" class="small">
          All canned responses
        </Link>
        <button type="submit" disabled={action.busy || !text.trim()}>
          Send
        </button>
        <span class="muted small">Ctrl+Enter sends. Replying takes over the conversation.</span>
      </div>
      <div class="row wrap" role="group" aria-label="Rewrite the reply">
        {(["rephrase", "shorten", "formal"] as const).map((style) => (
          <button
            type="button"
            class="small secondary"
            disabled={rewriting.busy || !text.trim() || offline}
            title={offline ? "Rewriting needs a language model" : undefined}
            onClick={() => void rewrite(style)}
          >
            {style === "formal" ? "More formal" : style === "rephrase" ? "Rephrase" : "Shorten"}
          </button>
        ))}
        <ActionMessages action={rewriting} />
      </div>
      {preview !== text ? (
        <p class="muted small pre-wrap" aria-live="polite">
          Sends as: {preview}
        </p>
      ) : null}
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
