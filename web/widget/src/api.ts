// The public widget API (functions/chat): config, conversations, messages, attachments, handover, end,
// and the ticket for the conversation's socket (docs/realtime.md).

export type Status = "active" | "waiting_human" | "with_human" | "resolved" | "abandoned";

export interface WidgetConfig {
  agent_id: string;
  agent_name: string;
  theme: string | null;
  position: string | null;
  primary_color: string | null;
  title: string | null;
  subtitle: string | null;
  avatar_url: string | null;
  logo_url: string | null;
  show_branding: boolean | null;
  auto_open: boolean | null;
  auto_open_delay: number | null;
  welcome_message: string | null;
  placeholder_text: string | null;
  enable_file_upload: boolean | null;
  enable_emoji: boolean | null;
  custom_css: string | null;
  accepting_messages: boolean;
}

export interface Citation {
  number: number;
  filename: string;
  page_number: number | null;
  section_title: string | null;
  /** The web page a synced passage came from. */
  url?: string | null;
}

export interface Attachment {
  type: string;
  name: string;
  size: number;
}

export interface Message {
  id: string;
  role: "user" | "assistant" | "human_agent" | "system";
  content: string;
  created_at: string;
  attachments: Attachment[];
  citations: Citation[];
  sender_name: string | null;
}

export interface MessagesPage {
  status: Status;
  messages: Message[];
  cursor: string | null;
}

export interface Started {
  conversation_id: string;
  session_token: string;
  expires_at: string;
  status: Status;
  messages: Message[];
}

export interface Sent extends MessagesPage {
  escalated: boolean;
  streaming?: boolean; // HTTP 202: `messages` is the stored question; the answer comes as socket frames
}

export interface RealtimeTicket {
  ticket: string;
  url: string;
  expires_in: number;
}

/** What the conversation's socket sends (docs/realtime.md); fields by type. */
export interface Frame {
  type: string;
  reply_to?: string;
  text?: string;
  message?: Message | null;
  status?: Status;
  name?: string; // `typing`: who is typing in the console
}

export interface UploadTicket {
  key: string;
  upload_url: string;
  upload_headers: Record<string, string>;
}

/** Who the visitor is, as the company's site knows them. `user_hash` is the site's signature: the hex
 * HMAC-SHA256 of `external_id` (else of the lower-cased `email`) with the company's identity secret. */
export interface Identity {
  external_id?: string;
  email?: string;
  name?: string;
  phone?: string;
  user_hash?: string;
  metadata?: Record<string, unknown>;
}

/** A refusal or failure, with the API's machine-readable code and its human message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export const UNREACHABLE = "unreachable";
export const SITE_NOT_ALLOWED = "site_not_allowed";

export class Api {
  token: string | null = null;
  private readonly root: string;

  constructor(base: string, agentId: string) {
    this.root = `${base.replace(/\/+$/, "")}/v1/widget/agents/${encodeURIComponent(agentId)}`;
  }

  /** The config, or an ApiError saying why not. A page whose origin the agent does not allow gets a
   * response without CORS headers, which fetch reports as a network error; a second, opaque request
   * tells that apart from a server that cannot be reached at all. */
  async config(): Promise<WidgetConfig> {
    try {
      return await this.call<WidgetConfig>("GET", "/config");
    } catch (error) {
      if (error instanceof ApiError && error.code === UNREACHABLE) {
        const answered = await fetch(`${this.root}/config`, { mode: "no-cors", credentials: "omit" }).then(
          () => true,
          () => false,
        );
        if (answered) throw new ApiError(403, SITE_NOT_ALLOWED, "This website is not allowed to use this chat.");
      }
      throw error;
    }
  }

  start(page: Record<string, string>, customer: Identity | null, lang?: string): Promise<Started> {
    return this.call("POST", "/conversations", { page, ...(customer ? { customer } : {}), ...(lang ? { lang } : {}) });
  }

  send(content: string, attachmentKeys: string[]): Promise<Sent> {
    return this.call("POST", "/conversation/messages", { content, attachment_keys: attachmentKeys });
  }

  poll(after: string | null): Promise<MessagesPage> {
    return this.call("GET", `/conversation/messages${after ? `?after=${encodeURIComponent(after)}` : ""}`);
  }

  /** A one-time ticket for the conversation's socket, presented as a subprotocol. */
  realtimeTicket(): Promise<RealtimeTicket> {
    return this.call("POST", "/conversation/realtime-ticket");
  }

  handover(): Promise<MessagesPage> {
    return this.call("POST", "/conversation/handover", {});
  }

  /** Ends the conversation; called again with a rating (and the ended session's token) to rate it. */
  end(rating?: number, token = this.token): Promise<MessagesPage> {
    return this.call("POST", "/conversation/end", rating ? { rating } : {}, token);
  }

  /** Ask for a presigned upload, then PUT the file straight to storage; returns the key to send. */
  async upload(file: File): Promise<string> {
    const ticket = await this.call<UploadTicket>("POST", "/conversation/attachments", {
      filename: file.name,
      mime_type: file.type || "application/octet-stream",
      size: file.size,
    });
    let response: Response;
    try {
      response = await fetch(ticket.upload_url, { method: "PUT", headers: ticket.upload_headers, body: file });
    } catch {
      throw new ApiError(0, UNREACHABLE, "The file could not be uploaded. Please try again.");
    }
    if (!response.ok) throw new ApiError(response.status, "upload_failed", "The file could not be uploaded.");
    return ticket.key;
  }

  private async call<T>(method: string, path: string, body?: unknown, token = this.token): Promise<T> {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (token) headers.Authorization = `Bearer ${token}`;
    let response: Response;
    try {
      response = await fetch(this.root + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: "omit",
      });
    } catch {
      throw new ApiError(0, UNREACHABLE, "We can't reach the chat service right now.");
    }
    const text = await response.text();
    let data: unknown = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = null;
    }
    if (!response.ok) {
      const error = (data as { error?: { code?: string; message?: string } } | null)?.error;
      throw new ApiError(
        response.status,
        error?.code ?? `http_${response.status}`,
        error?.message ?? "Something went wrong. Please try again.",
      );
    }
    return data as T;
  }
}
