// The live inbox: one socket per signed-in console (docs/realtime.md). Frames report new messages,
// escalations, presence and typing; screens listen with `useLive` and poll only while it is down.
// The socket opens with a one-time ticket asked for with the console session, and reconnects with
// backoff; after every (re)connect listeners hear `live.open`, so they reload what they may have missed.

import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, api } from "./api";

export interface LiveFrame {
  type: string;
  conversation_id?: string;
  queue?: { waiting: number; mine: number };
  [field: string]: unknown;
}

type Listener = (frame: LiveFrame) => void;

const PING_MS = 5 * 60_000; // API Gateway closes a socket idle for 10 minutes
const TYPING_EVERY_MS = 2500;
const listeners = new Set<Listener>();
const upListeners = new Set<(up: boolean) => void>();
let socket: WebSocket | null = null;
let wanted = false;
let up = false;
let attempt = 0;
let retryTimer = 0;
let pingTimer = 0;
let lastTyping: { conversation: string; at: number } | null = null;

function setUp(value: boolean): void {
  if (up === value) return;
  up = value;
  upListeners.forEach((listener) => listener(value));
}

function schedule(): void {
  if (!wanted || retryTimer) return;
  const wait = Math.min(30_000, 500 * 2 ** attempt) * (0.5 + Math.random() / 2);
  attempt += 1;
  retryTimer = window.setTimeout(() => {
    retryTimer = 0;
    void connect();
  }, wait);
}

async function connect(): Promise<void> {
  if (!wanted || socket) return;
  let ticket: { ticket: string; url: string };
  try {
    ticket = await api.post<{ ticket: string; url: string }>("/v1/inbox/realtime-ticket");
  } catch (error) {
    // Real time switched off here, or not for this user: polling it is, for good.
    if (error instanceof ApiError && (error.status === 404 || error.status === 403)) return;
    schedule();
    return;
  }
  if (!wanted) return;
  const opened = new WebSocket(ticket.url, ["buzzi.v1", ticket.ticket]);
  socket = opened;
  opened.onopen = () => {
    attempt = 0;
    setUp(true);
    listeners.forEach((listener) => listener({ type: "live.open" }));
    pingTimer = window.setInterval(() => opened.send(JSON.stringify({ action: "ping" })), PING_MS);
  };
  opened.onmessage = (event) => {
    let frame: LiveFrame;
    try {
      frame = JSON.parse(String(event.data)) as LiveFrame;
    } catch {
      return;
    }
    listeners.forEach((listener) => listener(frame));
  };
  opened.onclose = () => {
    window.clearInterval(pingTimer);
    if (socket === opened) socket = null;
    setUp(false);
    schedule();
  };
}

/** Opens the socket while a company's team member is signed in; closes it when they leave. */
export function useLiveConnection(enabled: boolean): void {
  useEffect(() => {
    if (!enabled) return;
    wanted = true;
    void connect();
    return () => {
      wanted = false;
      window.clearTimeout(retryTimer);
      retryTimer = 0;
      socket?.close();
      socket = null;
      setUp(false);
    };
  }, [enabled]);
}

/** Hears every frame while the component is mounted; returns whether the socket is up. */
export function useLive(onFrame: Listener): boolean {
  const saved = useRef(onFrame);
  saved.current = onFrame;
  const [isUp, setIsUp] = useState(up);
  useEffect(() => {
    const listener: Listener = (frame) => saved.current(frame);
    listeners.add(listener);
    upListeners.add(setIsUp);
    setIsUp(up);
    return () => {
      listeners.delete(listener);
      upListeners.delete(setIsUp);
    };
  }, []);
  return isUp;
}

/** Tells the customer someone is typing, at most every couple of seconds. */
export function sendTyping(conversationId: string): void {
  const now = Date.now();
  if (!socket || !up) return;
  if (lastTyping && lastTyping.conversation === conversationId && now - lastTyping.at < TYPING_EVERY_MS) return;
  lastTyping = { conversation: conversationId, at: now };
  socket.send(JSON.stringify({ action: "typing", conversation_id: conversationId }));
}
