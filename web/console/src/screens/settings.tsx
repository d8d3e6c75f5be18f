// Company settings: widget identity verification (the setting, and the identity secret shown once).

import { useState } from "preact/hooks";
import { api } from "../api";
import type { CompanySettings } from "../types";
import { LoadState, OneTimeSecret, Page, SmallButton, checkedOf, useAction, useLoad } from "../ui";

export function Settings() {
  return (
    <Page title="Settings">
      <IdentityVerification />
    </Page>
  );
}

function IdentityVerification() {
  const settings = useLoad(() => api.get<CompanySettings>("/v1/companies/me/settings"), []);
  const [secret, setSecret] = useState<string | null>(null);
  const action = useAction();
  const toggle = async (current: CompanySettings, on: boolean) => {
    settings.set({ ...current, require_identity_verification: on }); // the box follows the click at once
    const saved = await action.run(async () => {
      settings.set(await api.patch<CompanySettings>("/v1/companies/me", { require_identity_verification: on }));
      return on ? "Only signed visitor identities are trusted now." : "Unsigned visitor identities may link again.";
    });
    if (!saved) settings.reload();
  };
  const rotate = (replacing: boolean) =>
    action.run(async () => {
      if (replacing && !confirm("Replace the identity secret? Hashes made with the current one stop verifying at once.")) return;
      const created = await api.post<{ identity_secret: string }>("/v1/companies/me/identity-secret");
      setSecret(created.identity_secret);
      settings.reload();
    });
  return (
    <section class="card" aria-labelledby="identity-title">
      <h2 id="identity-title">Widget identity verification</h2>
      <p class="muted small">
        Your server signs each signed-in visitor's id (or, without one, their e-mail) with the identity secret, and
        the page passes the hash to the widget as <code>data-user-hash</code> (README: “Identity verification”).
      </p>
      <LoadState load={settings} action={action}>
        {(current) => (
          <>
            {!current.require_identity_verification && (
              <p class="message error" role="alert">
                Identity verification is off: any visitor can claim to be one of your customers by sending their id or
                e-mail address, and have that customer's profile linked to their chat. Sign identities on your
                server, then turn verification on.
              </p>
            )}
            <label class="check">
              <input
                type="checkbox"
                checked={current.require_identity_verification}
                disabled={action.busy}
                onChange={(e) => void toggle(current, checkedOf(e))}
              />
              Require identity verification (only signed identities link to or update customer profiles)
            </label>
            <p class="row">
              <span>{current.identity_secret_set ? "An identity secret is set." : "No identity secret yet."}</span>
              <SmallButton disabled={action.busy} onClick={() => rotate(current.identity_secret_set)}>
                {current.identity_secret_set ? "Rotate identity secret" : "Generate identity secret"}
              </SmallButton>
            </p>
          </>
        )}
      </LoadState>
      {secret && <OneTimeSecret title="Identity secret" value={secret} onDone={() => setSecret(null)} />}
    </section>
  );
}
