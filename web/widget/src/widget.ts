// The widget: a launcher button and a chat panel in a shadow root, driven by the agent's public
// widget config and the widget API. State lives here; DOM is built with `h` (text nodes only).
// Answers stream over the conversation's socket when the API offers one (docs/realtime.md); the
// socket is only an optimisation: the stored messages, fetched by polling, are the truth.

import { Api, ApiError, SITE_NOT_ALLOWED, UNREACHABLE } from "./api";
import type { Frame, Identity, Message, MessagesPage, Status, WidgetConfig } from "./api";
import { append, h, icon, ICONS } from "./dom";
import { renderMarkdown } from "./markdown";
import { closedByVisitor, loadSession, saveSession } from "./store";
import type { SavedSession } from "./store";
import { CSS } from "./styles";

const POLL_OPEN_MS = 3000; // panel open and the tab visible: human replies show up within seconds
const POLL_SLOW_MS = 30000; // tab in the background, or a socket brings the answers (the poll only catches up)
const POLL_WAITING_MS = 15000; // panel closed while a person is (about to be) on the conversation
const PING_MS = 290000; // API Gateway closes a socket after 10 idle minutes
const TYPING_EVERY_MS = 3000;
const TYPING_SHOWN_MS = 4000;
const RETRY_S = [1, 2, 5, 10, 30]; // reconnecting, each time with a new ticket
const MAX_FAILURES = 10; // attempts in a row that failed or soon closed: sockets cannot work here, poll alone
const GIVE_UP_MS = 120000; // an answer with no word for this long is left to the poll
const MAX_FILE_BYTES = 10 * 1024 * 1024;
const FILE_TYPES = "image/png,image/jpeg,image/gif,image/webp,application/pdf,text/plain,text/csv";
const EMOJI = "😀 😂 😊 😍 🤔 😅 😢 😮 👍 👎 👏 🙏 🙌 💪 👋 🎉 ❤️ 🔥 ✅ ❌ ⭐ 💡 📦 🚚".split(" ");
const POSITIONS: Record<string, string> = { "bottom-left": "bl", "top-right": "tr", "top-left": "tl" };
const NOTICES: Partial<Record<Status, string>> = {
  waiting_human: "We're handing you over to a person from the team. They'll reply here as soon as they can.",
  with_human: "A person from the team has joined and will reply here.",
};

let panelIds = 0;

/** An answer being written: its text so far and the provisional bubble showing it. */
interface Stream {
  id: string; // the customer message it answers (`reply_to`)
  text: string;
  seen: number; // when it was last heard of
  broken: boolean; // frames were (or may have been) missed: the stored reply, not the text, completes it
  item?: HTMLLIElement;
  painting?: number; // the animation frame that will show the text so far
}

/** A message the widget shows before (or instead of) a stored one. */
function draft(role: Message["role"], content: string, at = 0): Message {
  return { id: "", role, content, created_at: new Date(at).toISOString(), attachments: [], citations: [], sender_name: null };
}

function httpsUrl(raw: string | null): string | null {
  if (!raw) return null;
  try {
    const url = new URL(raw);
    return url.protocol === "https:" ? url.href : null;
  } catch {
    return null;
  }
}

/** Readable text colour on the primary colour (WCAG relative luminance). */
function onColour(hex: string): string {
  const [r, g, b] = [1, 3, 5].map((i) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.4 ? "#111" : "#fff";
}

function describeSize(bytes: number): string {
  return bytes < 1024 * 1024 ? `${Math.max(1, Math.round(bytes / 1024))} KB` : `${(bytes / 1048576).toFixed(1)} MB`;
}

/** Whose conversation this is: the external id, else the e-mail (what the site signs), else nobody. */
function who(identity: Identity | null): string {
  return identity?.external_id || identity?.email?.trim().toLowerCase() || "";
}

export class Widget {
  private readonly api: Api;
  private readonly shadow: ShadowRoot;
  private readonly root = h("div", { class: "root br" });
  private readonly launcher = h("button", { class: "launcher", type: "button", "aria-expanded": "false" });
  private readonly badge = h("span", { class: "badge", hidden: true });
  private readonly panel = h("div", { class: "panel", role: "dialog", hidden: true });
  private readonly head = h("div", { class: "head" });
  private readonly titleText = h("p", { class: "title" }, "Chat");
  private readonly subtitleText = h("p", { class: "sub", hidden: true });
  private readonly endButton = h("button", { class: "end", type: "button", hidden: true }, "End chat");
  private readonly body = h("div", { class: "body" });
  private readonly log = h("ol", { class: "log", role: "log", "aria-live": "polite", "aria-label": "Messages" });
  private readonly typing = h("div", { class: "typing", hidden: true, role: "status", "aria-label": "Typing" });
  private readonly alertBox = h("div", { class: "alert", role: "alert", hidden: true });
  private readonly notice = h("p", { class: "notice", role: "status", hidden: true });
  private readonly actions = h("div", { class: "actions" });
  private readonly humanButton = h("button", { class: "link", type: "button" }, "Talk to a human");
  private readonly chips = h("div", { class: "actions" });
  private readonly emojis = h("div", { class: "emojis", role: "group", "aria-label": "Emoji", hidden: true });
  private readonly compose = h("form", { class: "compose" });
  private readonly input = h("textarea", { rows: 1, maxlength: 4000, "aria-label": "Message" });
  private readonly sendButton = h("button", { class: "send", type: "submit", "aria-label": "Send" }, icon(ICONS.send));
  private readonly customStyle = h("style");
  private config: WidgetConfig | null = null;
  private session: SavedSession | null;
  private status: Status = "active";
  private cursor: string | null = null;
  private readonly shown = new Map<string, HTMLLIElement>();
  private welcome: HTMLLIElement | null = null;
  private attachmentKeys: { key: string; chip: HTMLElement }[] = [];
  private isOpen = false;
  private busy = false;
  private unread = 0;
  private pollTimer = 0;
  private alertIsPassing = false; // a failed upload or handover, cleared by the next success
  private sending = false;
  private readonly streams = new Map<string, Stream>(); // oldest first
  private readonly settled = new Set<string>(); // answers in (or given up): late frames change nothing
  private socket: WebSocket | null = null;
  private live = false; // the socket is open
  private linking = false; // a ticket is on its way
  private socketTimer = 0;
  private pinger = 0;
  private failures = 0; // socket attempts since one last lasted
  private noSocket = false; // real time is off here, or cannot work: polling alone, as before sockets
  private agentTypingUntil = 0; // a person in the console is typing
  private agentName = "Support";
  private typedAt = 0; // when the console was last told the customer is typing

  constructor(
    private readonly agentId: string,
    apiBase: string,
    private identity: Identity | null = null,
    private readonly lang = "",
  ) {
    this.api = new Api(apiBase, agentId);
    this.session = loadSession(agentId);
    if (this.session && (this.session.who ?? "") !== who(identity)) this.session = null; // someone else's
    this.api.token = this.session?.token ?? null;
    const host = h("div", { id: "buzzi-chat-widget", "data-agent-id": agentId });
    this.shadow = host.attachShadow({ mode: "open" });
    append(this.shadow, h("style", {}, CSS), this.customStyle, this.root);
    this.build();
    document.body.appendChild(host);
  }

  /** Fetch the config, then show the conversation kept from an earlier page, if any. */
  async start(): Promise<void> {
    this.alertBox.hidden = true;
    try {
      this.apply(await this.api.config());
    } catch (error) {
      this.refused(error);
      return;
    }
    if (this.session) await this.poll(true);
    else this.showWelcome();
    const config = this.config as WidgetConfig;
    if (config.auto_open && !closedByVisitor(this.agentId)) {
      setTimeout(() => this.isOpen || this.open(false), Math.max(0, config.auto_open_delay ?? 5000));
    }
    document.addEventListener("visibilitychange", () => this.schedulePoll(document.hidden ? undefined : 0));
  }

  /** Tell the widget who the visitor is (after they sign in on the site, say). A conversation started
   * for someone else is left; the next message starts one for this visitor. */
  identify(identity: Identity | null): void {
    this.identity = identity;
    if (this.session && (this.session.who ?? "") !== who(identity)) {
      this.forget();
      this.log.replaceChildren();
      this.shown.clear();
      this.welcome = null;
      this.showWelcome();
    }
  }

  private build(): void {
    const panelId = `buzzi-panel-${++panelIds}`;
    this.panel.id = panelId;
    this.launcher.setAttribute("aria-controls", panelId);
    this.launcher.setAttribute("aria-label", "Chat"); // a toggle: aria-expanded says whether it is open
    append(this.launcher, icon(ICONS.chat), this.badge);
    this.launcher.addEventListener("click", () => (this.isOpen ? this.close() : this.open(true)));

    const close = h("button", { type: "button", "aria-label": "Close chat" }, icon(ICONS.close));
    close.addEventListener("click", () => this.close());
    this.endButton.addEventListener("click", () => void this.endConversation());
    append(this.head, h("div", { class: "titles" }, this.titleText, this.subtitleText), this.endButton, close);

    this.humanButton.addEventListener("click", () => void this.askForHuman());
    this.actions.appendChild(this.humanButton);
    append(this.body, this.log, this.typing);
    append(this.typing, h("span"), h("span"), h("span"));

    this.input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        void this.send();
      }
    });
    this.input.addEventListener("input", () => {
      this.input.style.height = "auto";
      this.input.style.height = `${Math.min(this.input.scrollHeight, 120)}px`;
      // A person on the conversation sees the customer typing (at most every few seconds).
      if (this.live && this.status !== "active" && Date.now() - this.typedAt > TYPING_EVERY_MS) {
        this.typedAt = Date.now();
        this.socket?.send('{"action":"typing"}');
      }
    });
    this.compose.addEventListener("submit", (event) => {
      event.preventDefault();
      void this.send();
    });
    append(this.compose, this.input, this.sendButton);
    this.panel.addEventListener("keydown", (event) => {
      if (event.key !== "Escape") return;
      event.stopPropagation();
      if (!this.emojis.hidden) {
        this.emojis.hidden = true;
        this.input.focus();
      } else this.close();
    });
    append(this.panel, this.head, this.alertBox, this.body, this.notice, this.actions, this.chips, this.emojis, this.compose);
    append(this.root, this.panel, this.launcher);
  }

  /** Everything the company configured: appearance and behaviour. */
  private apply(config: WidgetConfig): void {
    this.config = config;
    const title = config.title || config.agent_name || "Chat";
    const theme = config.theme === "dark" || config.theme === "auto" ? config.theme : "light";
    this.root.className = `root ${POSITIONS[config.position ?? ""] ?? "br"} ${theme}`;
    const colour = /^#[0-9a-fA-F]{6}$/.test(config.primary_color ?? "") ? (config.primary_color as string) : "#007bff";
    this.root.style.setProperty("--p", colour);
    this.root.style.setProperty("--on-p", onColour(colour));
    this.titleText.textContent = title;
    this.subtitleText.textContent = config.subtitle ?? "";
    this.subtitleText.hidden = !config.subtitle;
    this.launcher.setAttribute("aria-label", `Chat with ${title}`);
    this.panel.setAttribute("aria-label", `Chat: ${title}`);
    const logo = httpsUrl(config.logo_url) ?? httpsUrl(config.avatar_url);
    if (logo) this.head.insertBefore(h("img", { src: logo, alt: "" }), this.head.firstChild);
    this.input.placeholder = config.placeholder_text || "Type your message…";
    this.customStyle.textContent = config.custom_css ?? "";

    const tools: HTMLElement[] = [];
    if (config.enable_file_upload !== false) tools.push(this.fileButton());
    if (config.enable_emoji !== false) tools.push(this.emojiButton());
    this.compose.insertBefore(h("div", { style: "display:flex" }, ...tools), this.input);
    if (config.show_branding !== false) this.panel.appendChild(h("div", { class: "brand" }, "Powered by Buzzi"));
    if (!config.accepting_messages) {
      this.showAlert("This assistant isn't available right now.", "Please try again later.", false);
      this.enableInput(false);
    }
  }

  private fileButton(): HTMLElement {
    const picker = h("input", { type: "file", accept: FILE_TYPES, hidden: true, multiple: true });
    const button = h("button", { type: "button", "aria-label": "Attach a file" }, icon(ICONS.clip));
    button.addEventListener("click", () => picker.click());
    picker.addEventListener("change", () => {
      const files = Array.from(picker.files ?? []);
      picker.value = "";
      void this.attach(files);
    });
    return h("span", {}, button, picker);
  }

  private emojiButton(): HTMLElement {
    const button = h(
      "button",
      { type: "button", "aria-label": "Insert emoji", "aria-expanded": "false" },
      icon(ICONS.smile),
    );
    for (const emoji of EMOJI) {
      const choice = h("button", { type: "button", "aria-label": emoji }, emoji);
      choice.addEventListener("click", () => {
        const { selectionStart: start, selectionEnd: end, value } = this.input;
        this.input.value = value.slice(0, start) + emoji + value.slice(end);
        this.input.selectionStart = this.input.selectionEnd = start + emoji.length;
        this.emojis.hidden = true;
        button.setAttribute("aria-expanded", "false");
        this.input.focus();
      });
      this.emojis.appendChild(choice);
    }
    button.addEventListener("click", () => {
      this.emojis.hidden = !this.emojis.hidden;
      button.setAttribute("aria-expanded", String(!this.emojis.hidden));
      if (!this.emojis.hidden) (this.emojis.firstChild as HTMLElement).focus();
    });
    return button;
  }

  open(byVisitor: boolean): void {
    this.isOpen = true;
    this.panel.hidden = false;
    this.launcher.setAttribute("aria-expanded", "true");
    this.unread = 0;
    this.badge.hidden = true;
    this.scrollDown();
    // Focus moves only when the visitor opened the panel; an auto-open must not steal it from the page.
    if (byVisitor) (this.input.disabled ? (this.head.lastChild as HTMLElement) : this.input).focus();
    this.schedulePoll(0);
  }

  close(): void {
    this.isOpen = false;
    this.panel.hidden = true;
    this.emojis.hidden = true;
    this.launcher.setAttribute("aria-expanded", "false");
    closedByVisitor(this.agentId, true);
    this.launcher.focus();
    this.schedulePoll();
  }

  private refused(error: unknown): void {
    const problem = error instanceof ApiError ? error : new ApiError(0, "error", String(error));
    this.enableInput(false);
    this.actions.hidden = this.compose.hidden = true;
    if (problem.code === SITE_NOT_ALLOWED || problem.code === "origin_not_allowed") {
      console.warn(
        `[Buzzi] This page's origin (${location.origin}) is not in the allowed domains of agent ${this.agentId}'s widget.`,
      );
      this.showAlert(
        "Chat isn't available on this website.",
        "This website is not allowed to use this chat. If you run this site, add its domain to the widget's allowed domains in the Buzzi console.",
        false,
      );
    } else if (problem.code === UNREACHABLE) {
      this.showAlert("Chat is offline.", "We can't reach the chat service right now. Check your connection and try again.", true);
    } else {
      this.showAlert("Chat isn't available right now.", problem.message, problem.status >= 500);
    }
  }

  private showAlert(title: string, detail: string, retry: boolean, passing = false): void {
    this.alertIsPassing = passing;
    this.alertBox.replaceChildren(h("strong", {}, title), h("p", {}, detail));
    if (retry) {
      const again = h("button", { class: "link", type: "button" }, "Try again");
      again.addEventListener("click", () => {
        this.actions.hidden = this.compose.hidden = false;
        this.enableInput(true);
        void this.start();
      });
      this.alertBox.appendChild(again);
    }
    this.alertBox.hidden = false;
  }

  private enableInput(enabled: boolean): void {
    this.input.disabled = this.sendButton.disabled = !enabled;
    for (const button of this.compose.querySelectorAll("button")) button.disabled = !enabled;
    this.humanButton.disabled = !enabled;
  }

  private showWelcome(): void {
    const text = this.config?.welcome_message;
    if (!text || this.welcome) return;
    this.welcome = this.messageItem(draft("assistant", text));
    this.log.appendChild(this.welcome);
  }

  private async ensureConversation(): Promise<void> {
    if (this.session) return;
    const page: Record<string, string> = {
      url: location.href.slice(0, 2000),
      title: document.title.slice(0, 500),
      locale: navigator.language.slice(0, 20),
    };
    if (document.referrer) page.referrer = document.referrer.slice(0, 2000);
    // The host page's language (its <html lang>, or the script's data-lang) until the customer writes.
    const lang = (this.lang || document.documentElement.lang || "").slice(0, 35);
    const started = await this.api.start(page, this.identity, lang);
    this.session = {
      token: started.session_token,
      conversationId: started.conversation_id,
      expiresAt: started.expires_at,
      who: who(this.identity),
    };
    this.api.token = started.session_token;
    saveSession(this.agentId, this.session);
    this.welcome?.remove(); // the server's own welcome message takes its place
    this.welcome = null;
    this.show({ status: started.status, messages: started.messages, cursor: null });
    await this.connect(); // so the first answer can stream too
  }

  private forget(): void {
    this.session = null;
    this.api.token = null;
    this.cursor = null;
    saveSession(this.agentId, null);
    const socket = this.socket;
    this.socket = null; // first: its close is then not a drop to recover from
    this.live = this.noSocket = false;
    socket?.close();
    clearInterval(this.pinger);
    clearTimeout(this.socketTimer);
    this.socketTimer = 0;
    for (const id of this.streams.keys()) this.settle(id);
  }

  private async send(): Promise<void> {
    const content = this.input.value.trim() || this.attachmentKeys.map((a) => a.chip.title).join(", ");
    if (!content || this.busy || this.input.disabled) return;
    this.busy = this.sending = true;
    this.input.value = "";
    this.input.style.height = "auto";
    const keys = this.attachmentKeys.splice(0);
    keys.forEach((a) => a.chip.remove());
    const local = this.messageItem(draft("user", content, Date.now()));
    local.classList.add("pending");
    this.log.appendChild(local);
    this.dots();
    this.scrollDown();
    try {
      await this.ensureConversation();
      let sent;
      try {
        sent = await this.api.send(content, keys.map((a) => a.key));
      } catch (error) {
        if (!(error instanceof ApiError && error.status === 401)) throw error;
        this.forget(); // the kept session expired: carry on in a new conversation
        await this.ensureConversation();
        sent = await this.api.send(content, []);
      }
      local.remove();
      if (this.alertIsPassing) this.alertBox.hidden = true;
      this.show(sent);
      // 202: the answer comes as frames, perhaps some already did. If the socket is down, the poll
      // brings the stored reply instead.
      const asked = sent.messages[0];
      if (sent.streaming && asked && !this.streams.has(asked.id)) this.track(asked.id, !this.live);
    } catch (error) {
      local.classList.replace("pending", "failed");
      const message = error instanceof ApiError ? error.message : "Something went wrong.";
      local.appendChild(h("p", { class: "error", role: "alert" }, `Not sent: ${message}`));
      if (!this.input.value) this.input.value = content;
    } finally {
      this.busy = this.sending = false;
      this.dots();
      this.scrollDown();
      this.schedulePoll();
    }
  }

  /** The typing dots: while a message is being sent, for answers that have not begun to show, and
   * while a person in the console types. */
  private dots(): void {
    const person = this.agentTypingUntil > Date.now();
    this.typing.hidden = !this.sending && !person && ![...this.streams.values()].some((s) => !s.item);
    this.typing.setAttribute("aria-label", person ? `${this.agentName} is typing` : "Typing");
  }

  private async attach(files: File[]): Promise<void> {
    for (const file of files.slice(0, 5 - this.attachmentKeys.length)) {
      const chip = h("span", { class: "chip", title: file.name }, `📎 ${file.name} (uploading…)`);
      this.chips.appendChild(chip);
      try {
        if (file.size > MAX_FILE_BYTES) throw new ApiError(400, "file_too_large", "Files can be at most 10 MB.");
        await this.ensureConversation();
        const key = await this.api.upload(file);
        chip.textContent = `📎 ${file.name} (${describeSize(file.size)})`;
        const remove = h("button", { type: "button", "aria-label": `Remove ${file.name}` }, "×");
        const entry = { key, chip };
        remove.addEventListener("click", () => {
          this.attachmentKeys = this.attachmentKeys.filter((a) => a !== entry);
          chip.remove();
        });
        chip.appendChild(remove);
        this.attachmentKeys.push(entry);
      } catch (error) {
        chip.remove();
        const message = error instanceof ApiError ? error.message : "The file could not be uploaded.";
        this.showAlert(`${file.name} was not attached.`, message, false, true);
      }
    }
  }

  private async askForHuman(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      await this.ensureConversation();
      this.show(await this.api.handover());
    } catch (error) {
      const message = error instanceof ApiError ? error.message : "Please try again.";
      this.showAlert("Couldn't reach the team.", message, false, true);
    } finally {
      this.busy = false;
      this.schedulePoll();
    }
  }

  private async endConversation(): Promise<void> {
    if (!this.session) return;
    try {
      await this.api.end();
    } catch {
      // ended or expired already: either way this conversation is over for the visitor
    }
    const token = this.api.token;
    this.forget();
    this.setStatus("resolved");
    const rating = h("div", { class: "rate", role: "group", "aria-label": "Rate this conversation" }, "How did we do? ");
    for (let score = 1; score <= 5; score++) {
      const star = h("button", { type: "button", "aria-label": `${score} out of 5` }, "★");
      star.addEventListener("click", () => {
        void this.api.end(score, token).catch(() => undefined);
        rating.replaceChildren("Thanks for your feedback!");
      });
      rating.appendChild(star);
    }
    this.log.appendChild(h("li", { class: "msg" }, h("div", { class: "bubble" }, "This conversation has ended. ", rating)));
    this.scrollDown();
  }

  /** New messages from the API (send, poll, handover, socket): de-duplicated by id, kept in time
   * order. Returns the ones that were new. */
  private show(page: MessagesPage, countUnread = true): Message[] {
    const added: Message[] = [];
    for (const message of page.messages) {
      if (this.shown.has(message.id)) continue;
      const item = this.messageItem(message);
      this.shown.set(message.id, item);
      const at = Date.parse(message.created_at);
      const later = Array.from(this.log.children).find((li) => Number((li as HTMLElement).dataset.at) > at);
      this.log.insertBefore(item, later ?? null);
      added.push(message);
    }
    const fresh = added.filter((m) => m.role !== "user").length;
    if (page.cursor) this.cursor = page.cursor;
    this.setStatus(page.status);
    if (fresh && countUnread && !this.isOpen) {
      this.unread += fresh;
      this.badge.textContent = String(this.unread);
      this.badge.hidden = false;
    }
    if (fresh) this.scrollDown();
    return added;
  }

  private setStatus(status: Status): void {
    this.status = status;
    const text = NOTICES[status];
    this.notice.textContent = text ?? "";
    this.notice.hidden = !text;
    this.humanButton.hidden = !!text;
    this.endButton.hidden = !this.session;
  }

  private messageItem(message: Message): HTMLLIElement {
    const kind = message.role === "user" ? "user" : message.role === "human_agent" ? "human" : "bot";
    const item = h("li", { class: `msg ${kind}`, "data-at": Date.parse(message.created_at) || 0 });
    const bubble = h("div", { class: "bubble" });
    const sources = h("ol", { class: "sources", "aria-label": "Sources" });
    if (kind === "user") bubble.textContent = message.content;
    else bubble.appendChild(renderMarkdown(message.content, this.citations(message, sources)));
    const avatar = kind === "bot" ? httpsUrl(this.config?.avatar_url ?? null) : null;
    append(
      item,
      kind === "human" && h("p", { class: "who" }, message.sender_name || "Support team"),
      avatar ? h("div", { class: "row" }, h("img", { src: avatar, alt: "" }), bubble) : bubble,
      sources.childElementCount > 0 && sources,
    );
    if (message.attachments?.length) {
      const files = message.attachments.map((a) => h("li", {}, `📎 ${a.name} (${describeSize(a.size)})`));
      item.appendChild(h("ul", { class: "files", "aria-label": "Attachments" }, ...files));
    }
    return item;
  }

  /** The message's sources as numbered footnotes; its [n] markers become links to them. */
  private citations(message: Message, sources: HTMLOListElement): (n: number) => Node | null {
    const notes = new Map<number, HTMLLIElement>();
    for (const citation of message.citations ?? []) {
      const page = citation.page_number ? `page ${citation.page_number}` : null;
      const where = [citation.section_title, page].filter(Boolean).join(", ");
      // A synced web page links to itself (http(s) only: never a script URL from a tampered source).
      const title = citation.url && /^https?:\/\//i.test(citation.url)
        ? h("a", { href: citation.url, target: "_blank", rel: "noopener noreferrer" }, citation.filename)
        : citation.filename;
      const note = h("li", { value: citation.number, tabindex: -1 }, title, where && ` (${where})`);
      notes.set(citation.number, note);
      sources.appendChild(note);
    }
    return (n) => {
      const note = notes.get(n);
      if (!note) return null;
      const label = `Source ${n}: ${note.textContent}`;
      const link = h("a", { class: "cite", href: "#", "aria-label": label }, `[${n}]`);
      link.addEventListener("click", (event) => {
        event.preventDefault();
        note.focus();
      });
      return h("sup", {}, link);
    };
  }

  /** Polls for new messages (people's replies, answers the socket missed); `resume` reloads a kept
   * conversation's history. */
  private async poll(resume = false): Promise<void> {
    if (!this.session || this.busy) return this.schedulePoll();
    try {
      const page = await this.api.poll(resume ? null : this.cursor);
      // A stored reply the frames did not finish (the socket dropped, or the poll was first) takes
      // the place of the oldest answer in progress: replies are stored in the order asked.
      const added = this.show(page, !resume); // history is not unread
      for (const message of added) {
        const oldest = this.streams.keys().next();
        if (message.role === "assistant" && !oldest.done) this.settle(oldest.value);
      }
      // Reloaded while the last question was being answered: its reply is on the way.
      const last = page.messages[page.messages.length - 1];
      if (resume && last?.role === "user") this.track(last.id, true, Date.parse(last.created_at));
      // Nothing more comes for an answer once a person has the conversation, or after long silence.
      for (const [id, stream] of this.streams) {
        if (page.status !== "active" || Date.now() - stream.seen > GIVE_UP_MS) this.settle(id);
      }
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        this.forget(); // expired or ended elsewhere: the next message starts a new conversation
        this.showWelcome();
      }
    }
    this.schedulePoll();
  }

  /** Whether there is something to listen for: the panel is open, a person is (about to be) on the
   * conversation, or an answer is coming. */
  private listening(): boolean {
    return this.isOpen || this.status === "waiting_human" || this.status === "with_human" || this.streams.size > 0;
  }

  private schedulePoll(delay?: number): void {
    clearTimeout(this.pollTimer);
    if (!this.session || !this.config) return;
    void this.connect();
    let wait = delay;
    if (wait === undefined) {
      if (!this.listening()) return;
      // With the socket open, answers and people's replies arrive as frames: the poll only catches up.
      const caughtUp = this.live && ![...this.streams.values()].some((s) => s.broken);
      wait = document.hidden || caughtUp ? POLL_SLOW_MS : this.isOpen ? POLL_OPEN_MS : POLL_WAITING_MS;
    }
    this.pollTimer = window.setTimeout(() => void this.poll(), wait);
  }

  /** Opens the conversation's socket when there is something to listen for; resolves once it is open
   * or has failed (or after a few seconds). A failure only means polling, as before sockets. */
  private async connect(): Promise<void> {
    const session = this.session;
    if (!session || this.socket || this.linking || this.socketTimer || this.noSocket || !this.listening()) return;
    this.linking = true;
    let socket: WebSocket;
    try {
      const { ticket, url } = await this.api.realtimeTicket();
      if (session !== this.session) return; // the conversation ended meanwhile
      socket = new WebSocket(url, ["buzzi.v1", ticket]);
    } catch (error) {
      // Switched off here (404) or refused: poll alone. The network or a server may recover.
      if (error instanceof ApiError && (!error.status || error.status >= 500)) this.retry();
      else this.noSocket = true;
      return;
    } finally {
      this.linking = false;
    }
    this.socket = socket;
    let opened = Infinity;
    socket.onopen = () => {
      this.live = true;
      opened = Date.now();
      // Only while listening: an idle socket is then let go, and opened again when needed.
      this.pinger = window.setInterval(() => this.listening() && socket.send('{"action":"ping"}'), PING_MS);
      this.schedulePoll(0); // what was missed while it was down
    };
    socket.onmessage = (event) => {
      try {
        this.frame(JSON.parse(event.data as string) as Frame);
      } catch {
        // not a frame this version reads: the stored messages still arrive by polling
      }
    };
    socket.onclose = () => {
      if (this.socket !== socket) return; // let go on purpose
      // A socket that lasted dropped (API Gateway's 2-hour limit, a network change): back at once. One
      // that failed or was closed straight away backs off, so a broken setup is not asked every second.
      if (Date.now() - opened > 60000) this.failures = 0;
      this.socket = null;
      this.live = false;
      clearInterval(this.pinger);
      for (const stream of this.streams.values()) stream.broken = true; // its frames now go nowhere
      this.retry();
      this.schedulePoll();
    };
    await new Promise((settled) => {
      socket.addEventListener("open", settled);
      socket.addEventListener("close", settled);
      setTimeout(settled, 3000);
    });
  }

  private retry(): void {
    if (++this.failures > MAX_FAILURES) {
      this.noSocket = true;
      return;
    }
    const wait = RETRY_S[Math.min(this.failures, RETRY_S.length) - 1] * 1000;
    this.socketTimer = window.setTimeout(() => {
      this.socketTimer = 0;
      void this.connect();
    }, wait);
  }

  private frame(frame: Frame): void {
    if (frame.type === "message" && frame.message) {
      this.agentTypingUntil = 0;
      this.show({ status: this.status, messages: [frame.message], cursor: null });
      this.dots();
      return;
    }
    if (frame.type === "typing") {
      this.agentName = frame.name || "Support";
      this.agentTypingUntil = Date.now() + TYPING_SHOWN_MS;
      this.dots();
      setTimeout(() => this.dots(), TYPING_SHOWN_MS + 50);
      return;
    }
    const id = frame.reply_to;
    if (!id) return; // pong
    if (frame.type === "answer.done") {
      this.settle(id);
      // No message: none was stored (a person took over while the AI was writing).
      this.show({ status: frame.status ?? this.status, messages: frame.message ? [frame.message] : [], cursor: null });
      this.schedulePoll();
      return;
    }
    // Frames for a question not sent from here (another tab, or before a reload) may have begun
    // before this socket listened: the stored reply completes those.
    const stream = this.streams.get(id) ?? this.track(id, !this.sending);
    if (!stream) return;
    stream.seen = Date.now();
    if (frame.type === "answer.error") stream.broken = true; // what follows is the fallback, in the done
    if (stream.broken) return;
    if (frame.type === "answer.delta") stream.text += frame.text ?? "";
    else if (frame.type !== "answer.searching" || stream.text) return;
    stream.painting ||= requestAnimationFrame(() => this.paint(stream));
  }

  /** Starts waiting for the answer to the customer message `id`, unless it is in already. */
  private track(id: string, broken: boolean, seen = Date.now()): Stream | undefined {
    if (this.settled.has(id)) return undefined;
    const stream: Stream = { id, text: "", seen, broken };
    this.streams.set(id, stream);
    this.dots();
    return stream;
  }

  /** The answer is in (or given up on): its provisional bubble goes; the stored reply is shown by
   * the caller, or was already. */
  private settle(id: string): void {
    this.streams.get(id)?.item?.remove();
    this.streams.delete(id);
    this.settled.add(id);
    this.dots();
  }

  /** The answer so far, rendered at most once per animation frame. */
  private paint(stream: Stream): void {
    stream.painting = 0;
    if (this.streams.get(stream.id) !== stream) return; // settled meanwhile
    if (!stream.item) {
      stream.item = this.messageItem(draft("assistant", ""));
      stream.item.dataset.at = "9e15"; // below every stored message until the real one takes its place
      stream.item.dataset.streaming = "true";
      stream.item.setAttribute("aria-busy", "true"); // screen readers hear the stored answer, not each piece
      this.log.appendChild(stream.item);
      this.dots();
    }
    const bubble = stream.item.querySelector(".bubble") as HTMLElement;
    bubble.replaceChildren(renderMarkdown(stream.text || "_Searching…_"));
    this.scrollDown();
  }

  private scrollDown(): void {
    requestAnimationFrame(() => (this.body.scrollTop = this.body.scrollHeight));
  }
}
