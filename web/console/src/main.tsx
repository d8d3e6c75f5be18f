// The console shell: who is signed in, the navigation their role allows, and the screen for the path.

import { render } from "preact";
import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import { api, getToken, onUnauthorised, setToken } from "./api";
import { useLive, useLiveConnection } from "./live";
import { match, navigate, useLocation } from "./router";
import type { Escalation, Role, WhoAmI } from "./types";
import { ErrorMessage, Link, Loading } from "./ui";
import { SignIn, Verify } from "./screens/signin";
import { AgentEditor, Agents } from "./screens/agents";
import { Knowledge } from "./screens/knowledge";
import { Inbox } from "./screens/inbox";
import { CannedResponses } from "./screens/canned";
import { Team } from "./screens/team";
import { Channels } from "./screens/channels";
import { Developers } from "./screens/developers";
import { Analytics } from "./screens/analytics";
import { ContentGaps } from "./screens/content_gaps";
import { Sources } from "./screens/sources";
import { Billing } from "./screens/billing";
import { Settings } from "./screens/settings";
import { AdminCompanies, AdminPackages, AdminPlans } from "./screens/admin";
import "./styles.css";

interface Screen {
  path: string;
  label?: string; // shown in the navigation when set
  roles: Role[];
  view: (params: Record<string, string>, me: WhoAmI) => ComponentChildren;
}

const COMPANY: Role[] = ["company_admin"];
const STAFF: Role[] = ["company_admin", "support_agent"];
const PLATFORM: Role[] = ["master_admin"];

const SCREENS: Screen[] = [
  { path: "/inbox", label: "Inbox", roles: STAFF, view: (_, me) => <Inbox me={me} /> },
  { path: "/inbox/:id", roles: STAFF, view: (p, me) => <Inbox conversationId={p.id} me={me} /> },
  { path: "/canned-responses", label: "Canned responses", roles: STAFF, view: (_, me) => <CannedResponses me={me} /> },
  { path: "/agents", label: "Agents", roles: STAFF, view: (_, me) => <Agents me={me} /> },
  { path: "/agents/:id", roles: STAFF, view: (p, me) => <AgentEditor id={p.id} me={me} /> },
  { path: "/knowledge", label: "Knowledge", roles: STAFF, view: (_, me) => <Knowledge me={me} /> },
  { path: "/knowledge/sources", label: "Web sources", roles: COMPANY, view: () => <Sources /> },
  { path: "/analytics", label: "Analytics", roles: COMPANY, view: () => <Analytics /> },
  { path: "/content-gaps", label: "Content gaps", roles: COMPANY, view: () => <ContentGaps /> },
  { path: "/team", label: "Team", roles: STAFF, view: (_, me) => <Team me={me} /> },
  { path: "/channels", label: "Channels", roles: COMPANY, view: () => <Channels /> },
  { path: "/developers", label: "API keys & webhooks", roles: COMPANY, view: () => <Developers /> },
  { path: "/billing", label: "Billing", roles: COMPANY, view: () => <Billing /> },
  { path: "/settings", label: "Settings", roles: COMPANY, view: () => <Settings /> },
  { path: "/admin/companies", label: "Companies", roles: PLATFORM, view: () => <AdminCompanies /> },
  { path: "/admin/plans", label: "Plans", roles: PLATFORM, view: () => <AdminPlans /> },
  { path: "/admin/packages", label: "Agent packages", roles: PLATFORM, view: () => <AdminPackages /> },
];

function home(role: Role): string {
  return role === "master_admin" ? "/admin/companies" : role === "company_admin" ? "/agents" : "/inbox";
}

function Shell({ me, onSignOut, children }: { me: WhoAmI; onSignOut: () => void; children: ComponentChildren }) {
  const { path } = useLocation();
  const items = SCREENS.filter((screen) => screen.label && screen.roles.includes(me.role));
  const staff = Boolean(me.company) && STAFF.includes(me.role);
  useLiveConnection(staff);
  const waiting = useWaiting(staff);
  return (
    <div class="shell">
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="topbar">
        <span class="brand">Buzzi</span>
        <span class="who">
          {me.company ? `${me.company.name} · ` : "Platform · "}
          {me.user.name ?? me.user.email} <span class="muted">({me.role.replace("_", " ")})</span>
        </span>
        <button type="button" class="secondary" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      <nav class="sidebar" aria-label="Console">
        <ul>
          {items.map((screen) => (
            <li>
              <Link to={screen.path} current={path === screen.path || path.startsWith(`${screen.path}/`)}>
                {screen.label}
                {screen.path === "/inbox" && waiting ? (
                  <span class="count" aria-label={`${waiting} waiting`} data-testid="queue-badge">
                    {waiting}
                  </span>
                ) : null}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" class="content">
        {me.company?.status === "suspended" && (
          <p class="message error" role="alert">
            Your company is suspended{me.company.status_reason ? `: ${me.company.status_reason}` : "."} Billing
            stays available.
          </p>
        )}
        {children}
      </main>
    </div>
  );
}

/** How many customers wait for a person: loaded when the live socket opens, then kept by its frames. */
function useWaiting(staff: boolean): number {
  const [waiting, setWaiting] = useState(0);
  useLive((frame) => {
    if (frame.queue) setWaiting(frame.queue.waiting);
    else if (frame.type === "live.open")
      api.get<Escalation[]>("/v1/inbox/escalations", { status: "pending" }).then(
        (pending) => setWaiting(pending.length),
        () => undefined,
      );
  });
  return staff ? waiting : 0;
}

function App() {
  const { path } = useLocation();
  const [me, setMe] = useState<WhoAmI | null>(null);
  const [checking, setChecking] = useState<boolean>(Boolean(getToken()));
  const [error, setError] = useState<string | null>(null);

  const loadSession = () => {
    if (!getToken()) {
      setMe(null);
      setChecking(false);
      return;
    }
    setChecking(true);
    api.get<WhoAmI>("/v1/auth/session").then(
      (who) => {
        setMe(who);
        setError(null);
        setChecking(false);
      },
      (failure: { status?: number; message?: string }) => {
        if (failure.status === 401) setToken(null);
        else setError(failure.message ?? "Cannot load your session.");
        setMe(null);
        setChecking(false);
      },
    );
  };

  useEffect(loadSession, []);
  useEffect(
    () =>
      onUnauthorised(() => {
        setToken(null);
        setMe(null);
      }),
    [],
  );

  const signOut = async () => {
    try {
      await api.post("/v1/auth/logout");
    } catch {
      // the session may already be gone; signing out locally is what matters
    }
    setToken(null);
    setMe(null);
    navigate("/", { replace: true });
  };

  if (match("/auth/verify", path)) {
    return (
      <Verify
        onSignedIn={() => {
          loadSession();
        }}
      />
    );
  }
  if (checking) return <Loading what="Checking your session" />;
  if (!me) {
    return (
      <>
        <ErrorMessage error={error} />
        <SignIn />
      </>
    );
  }

  const allowed = SCREENS.filter((screen) => screen.roles.includes(me.role));
  for (const screen of allowed) {
    const params = match(screen.path, path);
    if (params) {
      return (
        <Shell me={me} onSignOut={signOut}>
          {screen.view(params, me)}
        </Shell>
      );
    }
  }
  return <Redirect to={home(me.role)} />;
}

function Redirect({ to }: { to: string }) {
  useEffect(() => navigate(to, { replace: true }), [to]);
  return null;
}

render(<App />, document.getElementById("app")!);
