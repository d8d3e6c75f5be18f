// Entry point: <script src="https://.../widget.js" data-agent-id="..." [data-api-base="..."]>.
// The API base defaults to the script's own origin, so the same tag works wherever Buzzi serves it.

import { Widget } from "./widget";

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
  const widget = new Widget(agentId, apiBase);
  window.BuzziWidget = widget;
  void widget.start();
}

// currentScript is only set while the script first runs (not in callbacks): read it now.
const script = (document.currentScript as HTMLScriptElement | null) ??
  document.querySelector<HTMLScriptElement>("script[data-agent-id][src*='widget']");
if (document.body) boot(script);
else document.addEventListener("DOMContentLoaded", () => boot(script), { once: true });
