// Channels: connect an agent to a messaging platform, rotate a connection's secret credentials, and
// see each connection's verification state and its latest delivery error.

import { useEffect, useRef, useState } from "preact/hooks";
import { api } from "../api";
import type { Agent, Channel, ChannelConnected, ChannelRotated } from "../types";
import {
  ACTIONS,
  ActionMessages,
  Badge,
  CopyButton,
  DataTable,
  Empty,
  Field,
  LoadState,
  OneTimeSecret,
  Page,
  SmallButton,
  SubmitRow,
  formatDate,
  useAction,
  useLoad,
  valueOf,
} from "../ui";

// The credential fields each platform needs (shared/chatapp/channels/catalogue.py): public
// identifiers first, then secrets. The web widget needs none: it is configured per agent.
const CREDENTIALS: Record<string, { public: string[]; secret: string[] }> = {
  whatsapp: { public: ["phoneNumberId"], secret: ["accessToken", "appSecret", "verifyToken"] },
  messenger: { public: ["pageId"], secret: ["pageAccessToken", "appSecret", "verifyToken"] },
  instagram: { public: ["accountId"], secret: ["pageAccessToken", "appSecret", "verifyToken"] },
  telegram: { public: ["botUsername"], secret: ["botToken"] },
  slack: { public: ["teamId"], secret: ["botToken", "signingSecret"] },
  teams: { public: ["appId"], secret: ["appPassword"] },
  custom: { public: ["callbackUrl"], secret: [] },
};

function label(field: string): string {
  const words = field.replace(/([A-Z])/g, " $1").replace(/^./, (c) => c.toUpperCase());
  return words.replace(/\bUrl\b/, "URL").replace(/\bId\b/, "ID");
}

export function Channels() {
  const channels = useLoad(() => api.get<Channel[]>("/v1/channels"), []);
  const agents = useLoad(() => api.get<Agent[]>("/v1/agents"), []);
  const action = useAction();
  const [rotatingId, setRotatingId] = useState<string | null>(null);
  const rotating = channels.data?.find((c) => c.id === rotatingId);
  const agentName = (id: string) => agents.data?.find((a) => a.id === id)?.name ?? id.slice(0, 8);

  const toggle = (channel: Channel) =>
    action.run(async () => {
      await api.patch(`/v1/channels/${channel.id}`, { is_active: !channel.is_active });
      channels.reload();
      return channel.is_active ? "Channel paused." : "Channel resumed.";
    });
  const disconnect = (channel: Channel) =>
    action.run(async () => {
      if (!confirm(`Disconnect ${channel.channel} from ${agentName(channel.agent_id)}?`)) return;
      await api.del(`/v1/channels/${channel.id}`);
      if (rotatingId === channel.id) setRotatingId(null);
      channels.reload();
      return "Channel disconnected.";
    });

  return (
    <Page title="Channels">
      <Connect agents={agents.data ?? []} onConnected={channels.reload} />
      <section class="card" aria-labelledby="connected-title">
        <h2 id="connected-title">Connected channels</h2>
        <LoadState
          load={channels}
          action={action}
          empty={<Empty>No channels connected. Your agents answer on the web widget.</Empty>}
        >
          {(list) => (
            <DataTable
              columns={["Channel", "Agent", "Verification", "Last error", "Webhook URL", ACTIONS]}
              rows={list}
              row={(channel) => (
                <tr>
                  <td>
                    {label(channel.channel)} {!channel.is_active && <Badge value="paused" />}
                    <div class="muted small">
                      {Object.entries(channel.identifiers)
                        .map(([k, v]) => `${label(k)}: ${v}`)
                        .join(" · ")}
                    </div>
                  </td>
                  <td>{agentName(channel.agent_id)}</td>
                  <td>
                    <Badge value={channel.is_verified ? "verified" : "not verified"} tone={channel.is_verified ? "active" : "pending"} />
                    <div class="muted small">{channel.last_verified_at ? formatDate(channel.last_verified_at) : "Waiting for the platform"}</div>
                  </td>
                  <td>{channel.last_error ? <span class="error small">{channel.last_error}</span> : "—"}</td>
                  <td>
                    {channel.webhook_url ? (
                      <>
                        <code class="small break">{channel.webhook_url}</code> <CopyButton text={channel.webhook_url} />
                      </>
                    ) : (
                      "—"
                    )}
                  </td>
                  <td class="row">
                    {(CREDENTIALS[channel.channel]?.secret.length ?? 0) > 0 && (
                      <SmallButton
                        expanded={rotatingId === channel.id}
                        onClick={() => setRotatingId(rotatingId === channel.id ? null : channel.id)}
                      >
                        Rotate credentials
                      </SmallButton>
                    )}
                    <SmallButton onClick={() => toggle(channel)}>{channel.is_active ? "Pause" : "Resume"}</SmallButton>
                    <SmallButton danger onClick={() => disconnect(channel)}>Disconnect</SmallButton>
                  </td>
                </tr>
              )}
            />
          )}
        </LoadState>
      </section>
      {rotating && (
        <Rotate
          key={rotating.id}
          channel={rotating}
          agentName={agentName(rotating.agent_id)}
          onRotated={channels.reload}
          onClose={() => setRotatingId(null)}
        />
      )}
    </Page>
  );
}

function Connect({ agents, onConnected }: { agents: Agent[]; onConnected: () => void }) {
  const [agentId, setAgentId] = useState("");
  const [kind, setKind] = useState("telegram");
  const [values, setValues] = useState<Record<string, string>>({});
  const [generated, setGenerated] = useState<Record<string, string> | null>(null);
  const action = useAction();
  useEffect(() => {
    if (!agentId && agents.length) setAgentId(agents[0].id);
  }, [agents]);
  const fields = CREDENTIALS[kind];
  const submit = (event: Event) => {
    event.preventDefault();
    void action.run(async () => {
      const credentials = Object.fromEntries(
        [...fields.public, ...fields.secret].filter((f) => values[f]?.trim()).map((f) => [f, values[f].trim()]),
      );
      const connected = await api.post<ChannelConnected>("/v1/channels", { agent_id: agentId, channel: kind, credentials });
      setValues({});
      if (Object.keys(connected.generated_secrets).length) setGenerated(connected.generated_secrets);
      onConnected();
      return `${label(kind)} connected. Give the platform the webhook URL below to finish verification.`;
    });
  };
  return (
    <section class="card" aria-labelledby="connect-title">
      <h2 id="connect-title">Connect a channel</h2>
      <form class="form-grid" onSubmit={submit}>
        <Field label="Agent">
          <select required value={agentId} onChange={(e) => setAgentId(valueOf(e))}>
            {agents.map((a) => (
              <option value={a.id}>{a.name}</option>
            ))}
          </select>
        </Field>
        <Field label="Platform">
          <select value={kind} onChange={(e) => setKind(valueOf(e))}>
            {Object.keys(CREDENTIALS).map((k) => (
              <option value={k}>{label(k)}</option>
            ))}
          </select>
        </Field>
        {fields.public.map((f) => (
          <Field label={label(f)}>
            <input required value={values[f] ?? ""} onInput={(e) => setValues({ ...values, [f]: valueOf(e) })} />
          </Field>
        ))}
        {fields.secret.map((f) => (
          <Field label={label(f)} hint="Stored encrypted; never shown again.">
            <input
              type="password"
              autocomplete="off"
              required
              value={values[f] ?? ""}
              onInput={(e) => setValues({ ...values, [f]: valueOf(e) })}
            />
          </Field>
        ))}
        <SubmitRow class="wide row" label="Connect" disabled={action.busy || !agentId} />
      </form>
      <ActionMessages action={action} />
      <GeneratedSecrets secrets={generated} onDone={() => setGenerated(null)} />
    </section>
  );
}

/** The secrets a platform connection generated (such as a verify token), each shown once. */
function GeneratedSecrets({ secrets, onDone }: { secrets: Record<string, string> | null; onDone: () => void }) {
  if (!secrets) return null;
  return (
    <>
      {Object.entries(secrets).map(([name, value]) => (
        <OneTimeSecret title={label(name)} value={value} onDone={onDone} />
      ))}
    </>
  );
}

/** New values for a connection's secrets. Fields left empty keep their value; the connection counts as
 * unverified until the platform's next successful call, and its last error is cleared. */
function Rotate(props: { channel: Channel; agentName: string; onRotated: () => void; onClose: () => void }) {
  const { channel } = props;
  const secrets = CREDENTIALS[channel.channel]?.secret ?? [];
  const [values, setValues] = useState<Record<string, string>>({});
  const [generated, setGenerated] = useState<Record<string, string> | null>(null);
  const action = useAction();
  const first = useRef<HTMLInputElement>(null);
  useEffect(() => first.current?.focus(), []);
  const entered = secrets.filter((f) => values[f]?.trim());
  const submit = (event: Event) => {
    event.preventDefault();
    void action.run(async () => {
      const credentials = Object.fromEntries(entered.map((f) => [f, values[f].trim()]));
      const rotated = await api.put<ChannelRotated>(`/v1/channels/${channel.id}/credentials`, { credentials });
      setValues({});
      if (rotated.generated_secrets && Object.keys(rotated.generated_secrets).length) setGenerated(rotated.generated_secrets);
      props.onRotated();
      return `${entered.map(label).join(", ")} replaced. The platform's next successful call verifies the channel again.`;
    });
  };
  return (
    <section class="card" aria-labelledby="rotate-title">
      <div class="row spread">
        <h2 id="rotate-title">Rotate credentials</h2>
        <SmallButton onClick={props.onClose}>Close</SmallButton>
      </div>
      <p class="muted">
        {label(channel.channel)} for {props.agentName}
        {Object.keys(channel.identifiers).length > 0 &&
          ` · ${Object.entries(channel.identifiers)
            .map(([k, v]) => `${label(k)}: ${v}`)
            .join(" · ")}`}
      </p>
      <dl class="facts">
        <dt>Verification</dt>
        <dd>
          <Badge value={channel.is_verified ? "verified" : "not verified"} tone={channel.is_verified ? "active" : "pending"} />{" "}
          <span class="muted small">
            {channel.is_verified ? `since ${formatDate(channel.last_verified_at)}` : "waiting for the platform's next successful call"}
          </span>
        </dd>
        <dt>Last error</dt>
        <dd>{channel.last_error ? <span class="error">{channel.last_error}</span> : "None"}</dd>
      </dl>
      <form class="form-grid" onSubmit={submit} aria-label="New credentials">
        {secrets.map((f, index) => (
          <Field
            label={label(f)}
            hint={channel.secrets_set.includes(f) ? "Set. Enter a new value to replace it, or leave empty to keep it." : "Not set yet."}
          >
            <input
              ref={index === 0 ? first : undefined}
              type="password"
              autocomplete="off"
              value={values[f] ?? ""}
              onInput={(e) => setValues({ ...values, [f]: valueOf(e) })}
            />
          </Field>
        ))}
        <SubmitRow class="wide row" label="Replace credentials" disabled={action.busy || !entered.length} />
      </form>
      <ActionMessages action={action} />
      <GeneratedSecrets secrets={generated} onDone={() => setGenerated(null)} />
    </section>
  );
}
