// Entry point: <script src="https://.../widget.js" data-agent-id="..." [data-api-base="..."]>.
// The API base defaults to the script's own origin, so the same tag works wherever Buzzi serves it.
// A signed-in visitor: data-user-id, data-user-email, data-user-name, data-user-hash (the site's
// signature, see the README's "Identity verification"), or later window.BuzziWidget.identify({...}).

import type { Identity } from "./api";
import { Widget } from "./widget";

function identityOf(data: DOMStringMap): Identity | null {
  const identity: Identity = {};
  const fields: [keyof Identity, string | undefined][] = [
    ["external_id", data.userId],
    ["email", data.userEmail],
    ["name", data.userName],
    ["user_hash", data.userHash],
  ];
  for (const [field, value] of fields) if (value?.trim()) (identity as Record<string, string>)[field] = value.trim();
  return Object.keys(identity).length ? identity : null;
}

declare global {
  interface Window {
    BuzziWidget?: Widget;
  }
}

function boot(script: HTMLScriptElement | null): void {
  const agentId = script?.dataset.agentId?.trim();
  if (!script || !agentId) {
    console.error('[Buzzi] The widget script needs a data-agent-id attribute: <script src=".../widget.js" data-agent-id="...">');
    return;
  }
  if (window.BuzziWidget) return; // the tag was included twice
  const apiBase = script.dataset.apiBase || new URL(script.src, location.href).origin;
  const widget = new Widget(agentId, apiBase, identityOf(script.dataset), script.dataset.lang?.trim());
  window.BuzziWidget = widget;
  void widget.start();
}

// currentScript is only set while the script first runs (not in callbacks): read it now.
const script = (document.currentScript as HTMLScriptElement | null) ??
  document.querySelector<HTMLScriptElement>("script[data-agent-id][src*='widget']");
if (document.body) boot(script);
else document.addEventListener("DOMContentLoaded", () => boot(script), { once: true });
