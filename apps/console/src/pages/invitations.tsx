import { useState } from "react";
import { ErrorNotice, Field, formatTime, Notice, PageTitle } from "../components.tsx";
import { GrantForm } from "../forms.tsx";
import { actionsColumn, ResourceTable } from "../lists.tsx";
import { useAction, useResource } from "../resource.ts";
import { api } from "../session.tsx";

/** Pending invitations; invite someone by email, revoke an invitation. */
export function InvitationsPage() {
  const invitations = useResource(
    () => api.GET("/v1/invitations", { params: { query: { limit: 200 } } }),
    "",
  );
  const invite = useAction();
  const revoke = useAction();
  const [sentTo, setSentTo] = useState<string>();

  return (
    <section>
      <PageTitle>Invitations</PageTitle>
      <h2>Invite someone</h2>
      {sentTo && (
        <Notice>
          <p>{sentTo} is invited.</p>
          <p>An email with the link to join is on its way to them.</p>
        </Notice>
      )}
      <GrantForm
        action={invite}
        submit="Invite"
        busy="Inviting…"
        onSubmit={async (values, form, role) => {
          const email = values.text("email");
          setSentTo(undefined);
          const answer = await invite.run(() =>
            api.POST("/v1/invitations", { body: { email, role } }),
          );
          if (!answer?.data) return;
          form.reset();
          // The token goes to the invitee by mail only: the inviter never sees the link.
          setSentTo(email);
          invitations.reload();
        }}
      >
        <Field label="Email" name="email" type="email" required />
      </GrantForm>
      <h2>Pending</h2>
      <ErrorNotice failure={revoke.failure} />
      <ResourceTable
        list={invitations}
        caption="Pending invitations"
        loadingLabel="Loading invitations…"
        empty="No pending invitations."
        rowKey={(invitation) => invitation.id}
        columns={[
          { header: "Email", cell: (invitation) => invitation.email },
          { header: "Role", cell: (invitation) => invitation.role },
          { header: "Expires", cell: (invitation) => formatTime(invitation.expiresAt) },
          actionsColumn(invitations, revoke, {
            text: "Revoke",
            label: (invitation) => `Revoke the invitation of ${invitation.email}`,
            request: (invitation) =>
              api.DELETE("/v1/invitations/{id}", { params: { path: { id: invitation.id } } }),
          }),
        ]}
      />
    </section>
  );
}
