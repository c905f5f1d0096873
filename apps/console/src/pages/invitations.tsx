import { type FormEvent, useState } from "react";
import {
  Busy,
  ErrorNotice,
  Field,
  formatTime,
  Notice,
  PageTitle,
  RoleSelect,
} from "../components.tsx";
import { useAction, useResource } from "../resource.ts";
import { api, type Role, useSignedIn } from "../session.tsx";

/** Pending invitations; invite someone by email, revoke an invitation. */
export function InvitationsPage() {
  const session = useSignedIn();
  const invitations = useResource(
    () => api.GET("/v1/invitations", { params: { query: { limit: 200 } } }),
    "",
  );
  const invite = useAction();
  const revoke = useAction();
  const [role, setRole] = useState<Role>("member");
  const [sentTo, setSentTo] = useState<string>();

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const formElement = event.currentTarget;
    const email = String(new FormData(formElement).get("email"));
    setSentTo(undefined);
    const answer = await invite.run(() => api.POST("/v1/invitations", { body: { email, role } }));
    if (!answer?.data) return;
    formElement.reset();
    // The token goes to the invitee by mail only: the inviter never sees the link.
    setSentTo(email);
    invitations.reload();
  }

  return (
    <section>
      <PageTitle>Invitations</PageTitle>
      <h2>Invite someone</h2>
      <ErrorNotice failure={invite.failure} />
      {sentTo && (
        <Notice>
          <p>{sentTo} is invited.</p>
          <p>An email with the link to join is on its way to them.</p>
        </Notice>
      )}
      <form onSubmit={submit} className="inline-form">
        <Field label="Email" name="email" type="email" required />
        <RoleSelect
          label="Role"
          value={role}
          onChange={setRole}
          allowOwner={session.role === "owner"}
        />
        <button type="submit" disabled={invite.busy}>
          {invite.busy ? "Inviting…" : "Invite"}
        </button>
      </form>
      <h2>Pending</h2>
      <ErrorNotice failure={invitations.failure} />
      <ErrorNotice failure={revoke.failure} />
      {invitations.loading && !invitations.data && <Busy label="Loading invitations…" />}
      {invitations.data && invitations.data.items.length === 0 && <p>No pending invitations.</p>}
      {invitations.data && invitations.data.items.length > 0 && (
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">Pending invitations</caption>
            <thead>
              <tr>
                <th scope="col">Email</th>
                <th scope="col">Role</th>
                <th scope="col">Expires</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {invitations.data.items.map((invitation) => (
                <tr key={invitation.id}>
                  <td>{invitation.email}</td>
                  <td>{invitation.role}</td>
                  <td>{formatTime(invitation.expiresAt)}</td>
                  <td>
                    <button
                      type="button"
                      className="danger-button"
                      aria-label={`Revoke the invitation of ${invitation.email}`}
                      onClick={async () => {
                        const answer = await revoke.run(() =>
                          api.DELETE("/v1/invitations/{id}", {
                            params: { path: { id: invitation.id } },
                          }),
                        );
                        if (answer?.response.ok) invitations.reload();
                      }}
                    >
                      Revoke
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
