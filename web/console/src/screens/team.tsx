// Team: members with their roles, whether they can sign in and their inbox presence; invitations.

import { useState } from "preact/hooks";
import { api } from "../api";
import { useLive } from "../live";
import type { Invitation, Member, Presence, WhoAmI } from "../types";
import {
  ACTIONS,
  ActionMessages,
  ActiveBadge,
  Badge,
  DataTable,
  Empty,
  Field,
  LoadState,
  NameCell,
  Page,
  SmallButton,
  formatDate,
  useAction,
  useLoad,
  valueOf,
} from "../ui";

export function Team({ me }: { me: WhoAmI }) {
  const isAdmin = me.role === "company_admin";
  const members = useLoad(() => api.get<Member[]>("/v1/team/members"), []);
  const presence = useLoad(() => api.get<Presence[]>("/v1/inbox/team"), []);
  useLive((frame) => {
    if (frame.type === "live.open") presence.reload(); // whatever changed while the socket was down
    const changed = frame.presence as Presence | undefined;
    if (frame.type !== "presence" || !changed) return;
    const known = presence.data ?? [];
    presence.set(
      known.some((p) => p.user_id === changed.user_id)
        ? known.map((p) => (p.user_id === changed.user_id ? { ...p, ...changed } : p))
        : [...known, changed],
    );
  });
  const action = useAction();
  const statusOf = (userId: string) => presence.data?.find((p) => p.user_id === userId);

  const update = (member: Member, change: Partial<Member>, done: string) =>
    action.run(async () => {
      const saved = await api.patch<Member>(`/v1/team/members/${member.id}`, change);
      members.set((members.data ?? []).map((m) => (m.id === saved.id ? saved : m)));
      return done;
    });

  return (
    <Page title="Team">
      <section class="card" aria-labelledby="members-title">
        <h2 id="members-title">Members</h2>
        <LoadState load={members} action={action}>
          {(list) => (
            <DataTable
              columns={["Name", "Role", "Presence", "Access", "Last sign-in"]}
              rows={list}
              row={(member) => {
                const self = member.id === me.user.id;
                const live = statusOf(member.id);
                return (
                  <tr>
                    <NameCell name={member.name ?? "—"} detail={member.email} />
                    <td>
                      {isAdmin && !self ? (
                        <select
                          aria-label={`Role of ${member.email}`}
                          value={member.role}
                          onChange={(e) =>
                            update(member, { role: valueOf(e) as Member["role"] }, `${member.email}'s role changed.`)
                          }
                        >
                          <option value="company_admin">Company admin</option>
                          <option value="support_agent">Support agent</option>
                        </select>
                      ) : (
                        member.role.replace("_", " ")
                      )}
                    </td>
                    <td>
                      {live ? <Badge value={live.status} /> : "—"}
                      {live?.current_chat_count ? (
                        <span class="muted small"> {live.current_chat_count} chats</span>
                      ) : null}
                    </td>
                    <td>
                      {isAdmin && !self ? (
                        <SmallButton
                          onClick={() =>
                            update(
                              member,
                              { is_active: !member.is_active },
                              member.is_active ? `${member.email} can no longer sign in.` : `${member.email} can sign in again.`,
                            )
                          }
                        >
                          {member.is_active ? "Deactivate" : "Reactivate"}
                        </SmallButton>
                      ) : (
                        <ActiveBadge active={member.is_active} />
                      )}
                    </td>
                    <td>{formatDate(member.last_login_at)}</td>
                  </tr>
                );
              }}
            />
          )}
        </LoadState>
      </section>
      {isAdmin && <Invitations />}
    </Page>
  );
}

function Invitations() {
  const invitations = useLoad(() => api.get<Invitation[]>("/v1/team/invitations"), []);
  const [email, setEmail] = useState("");
  const [role, setRole] = useState("support_agent");
  const invite = useAction();
  const manage = useAction();
  const submit = (event: Event) => {
    event.preventDefault();
    void invite.run(async () => {
      await api.post<Invitation>("/v1/team/invitations", { email: email.trim(), role });
      setEmail("");
      invitations.reload();
      return `Invitation sent to ${email.trim()}.`;
    });
  };
  return (
    <section class="card" aria-labelledby="invitations-title">
      <h2 id="invitations-title">Invitations</h2>
      <form class="row wrap" onSubmit={submit} aria-label="Invite a team member">
        <Field label="E-mail">
          <input type="email" required value={email} onInput={(e) => setEmail(valueOf(e))} />
        </Field>
        <Field label="Role">
          <select value={role} onChange={(e) => setRole(valueOf(e))}>
            <option value="support_agent">Support agent</option>
            <option value="company_admin">Company admin</option>
          </select>
        </Field>
        <button type="submit" disabled={invite.busy}>
          Send invitation
        </button>
      </form>
      <ActionMessages action={invite} />
      <ActionMessages action={manage} />
      <LoadState load={invitations} loading={null} empty={<Empty>No invitations.</Empty>}>
        {(list) => (
          <DataTable
            columns={["E-mail", "Role", "Status", "Expires", ACTIONS]}
            rows={list}
            row={(invitation) => (
              <tr>
                <td>{invitation.email}</td>
                <td>{invitation.role.replace("_", " ")}</td>
                <td>
                  <Badge value={invitation.status} />
                </td>
                <td>{formatDate(invitation.expires_at)}</td>
                <td class="row">
                  {invitation.status === "pending" || invitation.status === "expired" ? (
                    <>
                      <SmallButton
                        onClick={() =>
                          manage.run(async () => {
                            await api.post(`/v1/team/invitations/${invitation.id}/resend`);
                            invitations.reload();
                            return `Invitation to ${invitation.email} sent again.`;
                          })
                        }
                      >
                        Resend
                      </SmallButton>
                      <SmallButton
                        danger
                        onClick={() =>
                          manage.run(async () => {
                            await api.del(`/v1/team/invitations/${invitation.id}`);
                            invitations.reload();
                            return `Invitation to ${invitation.email} revoked.`;
                          })
                        }
                      >
                        Revoke
                      </SmallButton>
                    </>
                  ) : null}
                </td>
              </tr>
            )}
          />
        )}
      </LoadState>
    </section>
  );
}
