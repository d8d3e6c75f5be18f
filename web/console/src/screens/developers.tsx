// API keys and webhooks: create (their secrets are shown once), test, rotate, pause and remove.

import { useState } from "preact/hooks";
import { api } from "../api";
import type { ApiKey, ApiKeyCreated, Webhook } from "../types";
import {
  ActionMessages,
  Badge,
  Empty,
  ErrorMessage,
  Field,
  Loading,
  OneTimeSecret,
  Page,
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
        <fieldset class="wide">
          <legend>Scopes</legend>
          {SCOPES.map((scope) => (
            <label class="check">
              <input
                type="checkbox"
                checked={scopes.includes(scope)}
                onChange={(e) => setScopes(toggled(scopes, scope, checkedOf(e)))}
              />
              {scope}
            </label>
          ))}
        </fieldset>
        <div class="wide">
          <button type="submit" disabled={action.busy || !scopes.length}>
            Create key
          </button>
        </div>
      </form>
      <ActionMessages action={action} />
      {created && <OneTimeSecret title={`API key ${created.name}`} value={created.key} onDone={() => setCreated(null)} />}
      <ErrorMessage error={keys.error} />
      {!keys.data ? (
        <Loading />
      ) : keys.data.length ? (
        <table class="table">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Key</th>
              <th scope="col">Scopes</th>
              <th scope="col">Last used</th>
              <th scope="col">Status</th>
              <th scope="col">
                <span class="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {keys.data.map((key) => (
              <tr>
                <td>{key.name}</td>
                <td>
                  <code>{key.key_prefix}…</code>
                </td>
                <td class="small">{key.scopes.join(", ")}</td>
                <td>{formatDate(key.last_used_at)}</td>
                <td>
                  <Badge value={key.is_active ? "active" : "revoked"} />
                </td>
                <td>
                  {key.is_active && (
                    <button type="button" class="secondary danger small" onClick={() => revoke(key)}>
                      Revoke
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <Empty>No API keys.</Empty>
      )}
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
        <fieldset class="wide">
          <legend>Events</legend>
          {EVENTS.map((name) => (
            <label class="check">
              <input type="checkbox" checked={events.includes(name)} onChange={(e) => setEvents(toggled(events, name, checkedOf(e)))} />
              {name}
            </label>
          ))}
        </fieldset>
        <div class="wide">
          <button type="submit" disabled={action.busy || !events.length}>
            Add webhook
          </button>
        </div>
      </form>
      <ActionMessages action={action} />
      {secret && <OneTimeSecret title={secret.title} value={secret.value} onDone={() => setSecret(null)} />}
      <ErrorMessage error={hooks.error} />
      {!hooks.data ? (
        <Loading />
      ) : hooks.data.length ? (
        <table class="table">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Events</th>
              <th scope="col">Deliveries</th>
              <th scope="col">Last error</th>
              <th scope="col">
                <span class="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {hooks.data.map((hook) => (
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
                  <button type="button" class="secondary small" onClick={() => act(async () => {
                    const sent = await api.post<{ event_id: string }>(`/v1/webhooks/${hook.id}/test`);
                    return `Test event ${sent.event_id} queued for ${hook.name}.`;
                  })}>
                    Send test
                  </button>
                  <button type="button" class="secondary small" onClick={() => act(async () => {
                    const rotated = await api.post<{ secret: string }>(`/v1/webhooks/${hook.id}/rotate-secret`);
                    setSecret({ title: `New signing secret of ${hook.name}`, value: rotated.secret });
                  })}>
                    Rotate secret
                  </button>
                  <button type="button" class="secondary small" onClick={() => act(async () => {
                    await api.patch(`/v1/webhooks/${hook.id}`, { is_active: !hook.is_active });
                    return hook.is_active ? `${hook.name} paused.` : `${hook.name} resumed.`;
                  })}>
                    {hook.is_active ? "Pause" : "Resume"}
                  </button>
                  <button type="button" class="secondary danger small" onClick={() => act(async () => {
                    if (!confirm(`Delete the webhook ${hook.name}?`)) return;
                    await api.del(`/v1/webhooks/${hook.id}`);
                    return `${hook.name} deleted.`;
                  })}>
                    Delete
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <Empty>No webhooks.</Empty>
      )}
    </section>
  );
}
