import { useState } from "react";
import { Busy, ErrorNotice, Field, NewPasswordField, Notice } from "../components.tsx";
import { ActionForm } from "../forms.tsx";
import { useAction, useResource } from "../resource.ts";
import { api } from "../session.tsx";

/** The signed-in person: their name, their address (its verification, a change), their password. */
export function Profile() {
  const me = useResource(() => api.GET("/v1/me"), "");
  const resend = useAction();
  const change = useAction();
  const rename = useAction();
  const move = useAction();
  const [notice, setNotice] = useState<string>();

  return (
    <>
      <h2>Profile</h2>
      <ErrorNotice failure={me.failure} />
      {me.loading && !me.data && <Busy label="Loading your profile…" />}
      {notice && <Notice>{notice}</Notice>}
      {me.data && (
        <dl className="facts">
          <dt>Email</dt>
          <dd>
            <span data-testid="my-email">{me.data.email}</span>{" "}
            {me.data.emailVerified ? (
              "(verified)"
            ) : (
              <>
                (not verified){" "}
                <button
                  type="button"
                  disabled={resend.busy}
                  onClick={async () => {
                    const answer = await resend.run(() => api.POST("/v1/me/verify-email"));
                    if (answer?.response.ok)
                      setNotice(`A new link is on its way to ${me.data?.email}.`);
                  }}
                >
                  Send the link again
                </button>
              </>
            )}
          </dd>
        </dl>
      )}
      <ErrorNotice failure={resend.failure} />
      {me.data && (
        <ActionForm
          action={rename}
          submit="Save name"
          onSubmit={async (values) => {
            const name = values.text("name");
            const answer = await rename.run(() => api.PATCH("/v1/me", { body: { name } }));
            if (answer?.response.ok) {
              setNotice("Your name is saved.");
              me.reload();
            }
          }}
        >
          <Field
            label="Your name"
            name="name"
            defaultValue={me.data.name}
            required
            maxLength={200}
            autoComplete="name"
          />
        </ActionForm>
      )}
      <h2>Email address</h2>
      <p>
        The new address gets a link; your address changes when it is followed. The current one is
        told of the change.
      </p>
      <ActionForm
        action={move}
        submit="Change email"
        busy="Sending the link…"
        onSubmit={async (values, form) => {
          const email = values.text("email");
          const answer = await move.run(() =>
            api.POST("/v1/me/email", { body: { email, password: values.raw("password") } }),
          );
          if (answer?.response.ok) {
            form.reset();
            setNotice(`A link to confirm ${email} is on its way there. Follow it to switch.`);
          }
        }}
      >
        <Field label="New email" name="email" type="email" required autoComplete="email" />
        <Field
          label="Password for the change"
          name="password"
          type="password"
          required
          autoComplete="current-password"
          hint="Your current password: changing the address needs it."
        />
      </ActionForm>
      <h2>Password</h2>
      <ActionForm
        action={change}
        submit="Change password"
        onSubmit={async (values, form) => {
          const answer = await change.run(() =>
            api.POST("/v1/me/password", {
              body: {
                currentPassword: values.raw("currentPassword"),
                newPassword: values.raw("newPassword"),
              },
            }),
          );
          if (answer?.response.ok) {
            form.reset();
            setNotice("Your password is changed; your other sessions are signed out.");
          }
        }}
      >
        <Field
          label="Current password"
          name="currentPassword"
          type="password"
          required
          autoComplete="current-password"
        />
        <NewPasswordField label="New password" name="newPassword" hint="" />
      </ActionForm>
    </>
  );
}
