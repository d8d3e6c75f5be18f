// Sign-in by magic link: ask for a link by e-mail, then /auth/verify?token=... trades it for a session.

import { useEffect, useRef, useState } from "preact/hooks";
import { api, errorText, setToken } from "../api";
import { navigate } from "../router";
import type { SessionIssued } from "../types";
import { ActionMessages, ErrorMessage, Link, Loading, useAction, valueOf } from "../ui";

export function SignIn() {
  const [email, setEmail] = useState("");
  const [sent, setSent] = useState<string | null>(null);
  const action = useAction();
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = "Sign in · Buzzi console";
    heading.current?.focus();
  }, []);

  const submit = (event: Event) => {
    event.preventDefault();
    void action.run(async () => {
      const answer = await api.post<{ message: string }>("/v1/auth/magic-link", { email: email.trim() });
      setSent(answer.message);
    });
  };

  return (
    <main class="auth" id="main">
      <div class="auth-card">
        <p class="brand">Buzzi</p>
        <h1 tabIndex={-1} ref={heading}>
          Sign in to the console
        </h1>
        {sent ? (
          <>
            <p role="status" class="message notice">
              {sent}
            </p>
            <button type="button" class="secondary" onClick={() => setSent(null)}>
              Use another address
            </button>
          </>
        ) : (
          <form onSubmit={submit}>
            <label class="field">
              <span class="field-label">Work e-mail</span>
              <input
                type="email"
                name="email"
                autocomplete="email"
                required
                value={email}
                onInput={(event) => setEmail(valueOf(event))}
              />
            </label>
            <ActionMessages action={action} />
            <button type="submit" disabled={action.busy}>
              {action.busy ? "Sending…" : "E-mail me a sign-in link"}
            </button>
          </form>
        )}
      </div>
    </main>
  );
}

/** The page a sign-in link opens: verify the token once, keep the session, drop the token from the URL. */
export function Verify({ onSignedIn }: { onSignedIn: () => void }) {
  const [error, setError] = useState<string | null>(null);
  const started = useRef(false);
  useEffect(() => {
    if (started.current) return; // a link works once: never post it twice
    started.current = true;
    const token = new URLSearchParams(location.search).get("token");
    history.replaceState(null, "", location.pathname); // the token is a credential: out of the address bar
    if (!token) {
      setError("This sign-in link has no token. Ask for a new link.");
      return;
    }
    api.post<SessionIssued>("/v1/auth/verify", { token }).then(
      (issued) => {
        setToken(issued.session_token);
        onSignedIn();
        navigate("/", { replace: true });
      },
      (failure: unknown) => setError(errorText(failure)),
    );
  }, []);
  return (
    <main class="auth" id="main">
      <div class="auth-card">
        <p class="brand">Buzzi</p>
        <h1>Signing you in</h1>
        {error ? (
          <>
            <ErrorMessage error={error} />
            <Link to="/">Ask for a new sign-in link</Link>
          </>
        ) : (
          <Loading what="Checking your sign-in link" />
        )}
      </div>
    </main>
  );
}
