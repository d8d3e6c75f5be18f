// The visitor's conversation survives page reloads: its session token and id, per agent, in
// localStorage. Storage can be unavailable (privacy modes, sandboxed frames): then it is per page.

export interface SavedSession {
  token: string;
  conversationId: string;
  expiresAt: string;
  who?: string; // the identity it was started with (external id or e-mail), so another user's is not resumed
}

const key = (agentId: string): string => `buzzi-widget:${agentId}`;

export function loadSession(agentId: string): SavedSession | null {
  try {
    const saved = JSON.parse(localStorage.getItem(key(agentId)) || "null") as SavedSession | null;
    if (saved && saved.token && saved.conversationId && Date.parse(saved.expiresAt) > Date.now()) return saved;
  } catch {
    // unreadable or unavailable: start afresh
  }
  return null;
}

export function saveSession(agentId: string, session: SavedSession | null): void {
  try {
    if (session) localStorage.setItem(key(agentId), JSON.stringify(session));
    else localStorage.removeItem(key(agentId));
  } catch {
    // storage unavailable: the conversation lasts as long as the page
  }
}

/** Whether the visitor closed the panel in this browsing session (auto-open then stays quiet). */
export function closedByVisitor(agentId: string, value?: boolean): boolean {
  try {
    if (value !== undefined) sessionStorage.setItem(`${key(agentId)}:closed`, value ? "1" : "");
    return sessionStorage.getItem(`${key(agentId)}:closed`) === "1";
  } catch {
    return false;
  }
}
