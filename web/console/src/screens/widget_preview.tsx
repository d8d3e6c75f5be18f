// A look-alike of the chat widget, drawn from the form's values inside a shadow root so neither the
// console's CSS nor the admin's custom CSS leaks across. It is a picture, not the real widget.

import { render } from "preact";
import { useEffect, useRef } from "preact/hooks";
import type { WidgetConfig } from "../types";

const HEX = /^#[0-9a-fA-F]{6}$/;

const CSS = `
:host { all: initial; display: block; }
.stage { position: relative; height: 460px; border-radius: 10px; overflow: hidden;
  font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif;
  background: repeating-linear-gradient(45deg, #f3f4f6 0 12px, #e5e7eb 12px 24px); }
.panel { position: absolute; width: 300px; height: 360px; display: flex; flex-direction: column;
  border-radius: 14px; box-shadow: 0 10px 30px rgba(0,0,0,.25); overflow: hidden;
  background: var(--bg); color: var(--fg); }
.bottom-right .panel { right: 16px; bottom: 84px; } .bottom-left .panel { left: 16px; bottom: 84px; }
.top-right .panel { right: 16px; top: 84px; } .top-left .panel { left: 16px; top: 84px; }
.launcher { position: absolute; width: 56px; height: 56px; border-radius: 50%; border: 0;
  background: var(--primary); color: #fff; font-size: 24px; box-shadow: 0 4px 14px rgba(0,0,0,.3); }
.bottom-right .launcher { right: 16px; bottom: 16px; } .bottom-left .launcher { left: 16px; bottom: 16px; }
.top-right .launcher { right: 16px; top: 16px; } .top-left .launcher { left: 16px; top: 16px; }
.head { background: var(--primary); color: #fff; padding: 12px 14px; display: flex; gap: 10px; align-items: center; }
.head img { width: 32px; height: 32px; border-radius: 50%; object-fit: cover; background: rgba(255,255,255,.3); }
.title { font-weight: 600; } .subtitle { font-size: 12px; opacity: .85; }
.body { flex: 1; padding: 12px; display: flex; flex-direction: column; gap: 8px; overflow: auto; }
.bubble { max-width: 80%; padding: 8px 11px; border-radius: 12px; white-space: pre-wrap; }
.bot { background: var(--bubble); align-self: flex-start; border-bottom-left-radius: 4px; }
.me { background: var(--primary); color: #fff; align-self: flex-end; border-bottom-right-radius: 4px; }
.foot { border-top: 1px solid var(--line); padding: 8px; display: flex; gap: 6px; align-items: center; }
.input { flex: 1; color: var(--muted); padding: 7px 10px; border: 1px solid var(--line); border-radius: 18px; }
.icon { color: var(--muted); flex: none; }
.launcher .icon { color: #fff; }
.launcher { display: grid; place-items: center; }
.brand { text-align: center; font-size: 11px; color: var(--muted); padding: 0 0 6px; }
.light { --bg: #fff; --fg: #111827; --bubble: #f3f4f6; --line: #e5e7eb; --muted: #6b7280; }
.dark { --bg: #1f2937; --fg: #f9fafb; --bubble: #374151; --line: #4b5563; --muted: #9ca3af; }
`;

// Icons as SVG paths (24x24 view box): emoji glyphs depend on the fonts a machine happens to have.
const BUBBLE = "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z";
const CLIP = "M16.5 6.5l-7.8 7.8a2 2 0 0 0 2.8 2.8l7.8-7.8a4 4 0 0 0-5.6-5.6L5.6 11.8a6 6 0 0 0 8.5 8.5l6.4-6.4";
const SMILE = "M12 3a9 9 0 1 0 0 18a9 9 0 1 0 0-18zM8.5 14.5c1.8 2 5.2 2 7 0M9 9.5h.01M15 9.5h.01";

function Icon({ path, size = 18 }: { path: string; size?: number }) {
  return (
    <svg class="icon" width={size} height={size} viewBox="0 0 24 24" aria-hidden="true">
      <path d={path} fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" />
    </svg>
  );
}

function Preview({ config, agentName }: { config: WidgetConfig; agentName: string }) {
  const primary = config.primary_color && HEX.test(config.primary_color) ? config.primary_color : "#4f46e5";
  const dark =
    config.theme === "dark" ||
    (config.theme === "auto" && window.matchMedia?.("(prefers-color-scheme: dark)").matches);
  const position = config.position ?? "bottom-right";
  const image = [config.avatar_url, config.logo_url].find((url) => url && url.startsWith("https://"));
  return (
    <div
      class={`stage ${position} ${dark ? "dark" : "light"}`}
      style={{ "--primary": primary }}
      data-testid="widget-preview"
    >
      <div class="panel" role="img" aria-label={`Preview of the chat window titled ${config.title || agentName}`}>
        <div class="head">
          {image && <img src={image} alt="" referrerpolicy="no-referrer" />}
          <div>
            <div class="title">{config.title || agentName}</div>
            {config.subtitle && <div class="subtitle">{config.subtitle}</div>}
          </div>
        </div>
        <div class="body">
          {config.welcome_message && <div class="bubble bot">{config.welcome_message}</div>}
          <div class="bubble me">Hi! Can you help me?</div>
        </div>
        <div class="foot">
          {config.enable_file_upload && <Icon path={CLIP} />}
          <span class="input">{config.placeholder_text || "Type your message…"}</span>
          {config.enable_emoji && <Icon path={SMILE} />}
        </div>
        {config.show_branding && <div class="brand">Powered by Buzzi</div>}
      </div>
      <button class="launcher" type="button" tabIndex={-1} aria-hidden="true">
        <Icon path={BUBBLE} size={26} />
      </button>
    </div>
  );
}

export function WidgetPreview({ config, agentName }: { config: WidgetConfig; agentName: string }) {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = host.current;
    if (!element) return;
    const root = element.shadowRoot ?? element.attachShadow({ mode: "open" });
    render(
      <>
        <style>{CSS}</style>
        {/* The admin's own CSS, as text in a <style> element: it styles this preview only. */}
        <style>{config.custom_css ?? ""}</style>
        <Preview config={config} agentName={agentName} />
      </>,
      root,
    );
  });
  useEffect(() => {
    const element = host.current;
    return () => {
      if (element?.shadowRoot) render(null, element.shadowRoot);
    };
  }, []);
  return <div ref={host} class="widget-preview" />;
}
