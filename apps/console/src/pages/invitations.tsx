import { useState } from "react";
import { ErrorNotice, Field, formatTime, Notice, PageTitle, RoleSelect } from "../components.tsx";
import { ActionForm } from "../forms.tsx";
import { ResourceTable, RowAction } from "../lists.tsx";
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
      <ActionForm
        action={invite}
        submit="Invite"
        busy="Inviting…"
        className="inline-form"
        onSubmit={async (values, form) => {
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
        <RoleSelect
          label="Role"
          value={role}
          onChange={setRole}
          allowOwner={session.role === "owner"}
        />
      </ActionForm>
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
          {
            header: "Actions",
            cell: (invitation) => (
              <RowAction
                action={revoke}
                label={`Revoke the invitation of ${invitation.email}`}
                request={() =>
                  api.DELETE("/v1/invitations/{id}", { params: { path: { id: invitation.id } } })
                }
                onDone={invitations.reload}
              >
                Revoke
              </RowAction>
            ),
          },
        ]}
      />
    </section>
  );
}
