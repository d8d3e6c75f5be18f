// API keys and webhooks: create (their secrets are shown once), test, rotate, pause and remove.

import { useState } from "preact/hooks";
import { api } from "../api";
import type { ApiKey, ApiKeyCreated, Webhook } from "../types";
import {
  ACTIONS,
  ActionMessages,
  ActiveBadge,
  Badge,
  DataTable,
  Empty,
  Field,
  LoadState,
  OneTimeSecret,
  Page,
  SmallButton,
  SubmitRow,
  checkedOf,
  formatDate,
  useAction,
  useLoad,
  valueOf,
} from "../ui";

const SCOPES = ["read:conversations", "write:messages", "read:analytics", "read:company"];
const EVENTS = ["conversation.created", "message.received", "escalation.created", "conversation.resolved"];

function toggled(list: string[], value: string, on: boolean): string[] {
  return on ? [...new Set([...list, value])] : list.filter((item) => item !== value);
}

/** A wide fieldset of checkboxes, one per option, for choosing several of them. */
function Choices(props: { legend: string; options: string[]; chosen: string[]; onChange: (chosen: string[]) => void }) {
  return (
    <fieldset class="wide">
      <legend>{props.legend}</legend>
      {props.options.map((option) => (
        <label class="check">
          <input
            type="checkbox"
            checked={props.chosen.includes(option)}
            onChange={(e) => props.onChange(toggled(props.chosen, option, checkedOf(e)))}
          />
          {option}
        </label>
      ))}
    </fieldset>
  );
}

export function Developers() {
  return (
    <Page title="API keys & webhooks">
      <ApiKeys />
      <Webhooks />
    </Page>
  );
}

function ApiKeys() {
  const keys = useLoad(() => api.get<ApiKey[]>("/v1/api-keys"), []);
  const [name, setName] = useState("");
  const [scopes, setScopes] = useState<string[]>(["read:conversations"]);
  const [rate, setRate] = useState("100");
  const [created, setCreated] = useState<ApiKeyCreated | null>(null);
  const action = useAction();
  const submit = (event: Event) => {
    event.preventDefault();
    void action.run(async () => {
      setCreated(await api.post<ApiKeyCreated>("/v1/api-keys", { name: name.trim(), scopes, rate_limit: Number(rate) }));
      setName("");
      keys.reload();
    });
  };
  const revoke = (key: ApiKey) =>
    action.run(async () => {
      if (!confirm(`Revoke the key ${key.name}? Programs using it stop working at once.`)) return;
      await api.del(`/v1/api-keys/${key.id}`);
      keys.reload();
      return `${key.name} revoked.`;
    });
  return (
    <section class="card" aria-labelledby="keys-title">
      <h2 id="keys-title">API keys</h2>
      <form class="form-grid" onSubmit={submit} aria-label="Create an API key">
        <Field label="Name">
          <input required maxLength={255} value={name} onInput={(e) => setName(valueOf(e))} />
        </Field>
        <Field label="Requests per minute">
          <input type="number" min={1} max={10000} value={rate} onInput={(e) => setRate(valueOf(e))} />
        </Field>
        <Choices legend="Scopes" options={SCOPES} chosen={scopes} onChange={setScopes} />
        <SubmitRow label="Create key" disabled={action.busy || !scopes.length} />
      </form>
      <ActionMessages action={action} />
      {created && <OneTimeSecret title={`API key ${created.name}`} value={created.key} onDone={() => setCreated(null)} />}
      <LoadState load={keys} empty={<Empty>No API keys.</Empty>}>
        {(list) => (
          <DataTable
            columns={["Name", "Key", "Scopes", "Last used", "Status", ACTIONS]}
            rows={list}
            row={(key) => (
              <tr>
                <td>{key.name}</td>
                <td>
                  <code>{key.key_prefix}…</code>
                </td>
                <td class="small">{key.scopes.join(", ")}</td>
                <td>{formatDate(key.last_used_at)}</td>
                <td>
                  <ActiveBadge active={key.is_active} inactive="revoked" />
                </td>
                <td>
                  {key.is_active && (
                    <SmallButton danger onClick={() => revoke(key)}>Revoke</SmallButton>
                  )}
                </td>
              </tr>
            )}
          />
        )}
      </LoadState>
    </section>
  );
}

function Webhooks() {
  const hooks = useLoad(() => api.get<Webhook[]>("/v1/webhooks"), []);
  const [name, setName] = useState("");
  const [url, setUrl] = useState("");
  const [events, setEvents] = useState<string[]>(["conversation.created"]);
  const [secret, setSecret] = useState<{ title: string; value: string } | null>(null);
  const action = useAction();
  const submit = (event: Event) => {
    event.preventDefault();
    void action.run(async () => {
      const created = await api.post<Webhook & { secret: string }>("/v1/webhooks", { name: name.trim(), url: url.trim(), events });
      setSecret({ title: `Signing secret of ${created.name}`, value: created.secret });
      setName("");
      setUrl("");
      hooks.reload();
    });
  };
  const act = (work: () => Promise<string | void>) => action.run(async () => {
    const message = await work();
    hooks.reload();
    return message;
  });
  return (
    <section class="card" aria-labelledby="hooks-title">
      <h2 id="hooks-title">Webhooks</h2>
      <form class="form-grid" onSubmit={submit} aria-label="Add a webhook">
        <Field label="Name">
          <input required maxLength={255} value={name} onInput={(e) => setName(valueOf(e))} />
        </Field>
        <Field label="URL" hint="https:// address that receives signed POSTs">
          <input type="url" required maxLength={500} value={url} onInput={(e) => setUrl(valueOf(e))} />
        </Field>
        <Choices legend="Events" options={EVENTS} chosen={events} onChange={setEvents} />
        <SubmitRow label="Add webhook" disabled={action.busy || !events.length} />
      </form>
      <ActionMessages action={action} />
      {secret && <OneTimeSecret title={secret.title} value={secret.value} onDone={() => setSecret(null)} />}
      <LoadState load={hooks} empty={<Empty>No webhooks.</Empty>}>
        {(list) => (
          <DataTable
            columns={["Name", "Events", "Deliveries", "Last error", ACTIONS]}
            rows={list}
            row={(hook) => (
              <tr>
                <td>
                  {hook.name} {!hook.is_active && <Badge value="paused" />}
                  <div class="muted small break">{hook.url}</div>
                </td>
                <td class="small">{hook.events.join(", ")}</td>
                <td>
                  {hook.success_count ?? 0} ok · {hook.failure_count ?? 0} failed
                </td>
                <td>{hook.last_error ? <span class="error small">{hook.last_error}</span> : "—"}</td>
                <td class="row wrap">
                  <SmallButton onClick={() => act(async () => {
                    const sent = await api.post<{ event_id: string }>(`/v1/webhooks/${hook.id}/test`);
                    return `Test event ${sent.event_id} queued for ${hook.name}.`;
                  })}>
                    Send test
                  </SmallButton>
                  <SmallButton onClick={() => act(async () => {
                    const rotated = await api.post<{ secret: string }>(`/v1/webhooks/${hook.id}/rotate-secret`);
                    setSecret({ title: `New signing secret of ${hook.name}`, value: rotated.secret });
                  })}>
                    Rotate secret
                  </SmallButton>
                  <SmallButton onClick={() => act(async () => {
                    await api.patch(`/v1/webhooks/${hook.id}`, { is_active: !hook.is_active });
                    return hook.is_active ? `${hook.name} paused.` : `${hook.name} resumed.`;
                  })}>
                    {hook.is_active ? "Pause" : "Resume"}
                  </SmallButton>
                  <SmallButton danger onClick={() => act(async () => {
                    if (!confirm(`Delete the webhook ${hook.name}?`)) return;
                    await api.del(`/v1/webhooks/${hook.id}`);
                    return `${hook.name} deleted.`;
                  })}>
                    Delete
                  </SmallButton>
                </td>
              </tr>
            )}
          />
        )}
      </LoadState>
    </section>
  );
}
