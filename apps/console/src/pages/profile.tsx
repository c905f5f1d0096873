import { type FormEvent, useState } from "react";
import { Busy, ErrorNotice, Field, Notice } from "../components.tsx";
import { useAction, useResource } from "../resource.ts";
import { api } from "../session.tsx";

/** The signed-in person: their name, their address (and its verification), their password. */
export function Profile() {
  const me = useResource(() => api.GET("/v1/me"), "");
  const resend = useAction();
  const change = useAction();
  const rename = useAction();
  const [notice, setNotice] = useState<string>();

  async function saveName(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const name = String(new FormData(event.currentTarget).get("name")).trim();
    const answer = await rename.run(() => api.PATCH("/v1/me", { body: { name } }));
    if (answer?.response.ok) {
      setNotice("Your name is saved.");
      me.reload();
    }
  }

  async function changePassword(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = event.currentTarget;
    const data = new FormData(form);
    const answer = await change.run(() =>
      api.POST("/v1/me/password", {
        body: {
          currentPassword: String(data.get("currentPassword")),
          newPassword: String(data.get("newPassword")),
        },
      }),
    );
    if (answer?.response.ok) {
      form.reset();
      setNotice("Your password is changed; your other sessions are signed out.");
    }
  }

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
            {me.data.email}{" "}
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
        <form onSubmit={saveName}>
          <ErrorNotice failure={rename.failure} />
          <Field
            label="Your name"
            name="name"
            defaultValue={me.data.name}
            required
            maxLength={200}
            autoComplete="name"
          />
          <button type="submit" disabled={rename.busy}>
            Save name
          </button>
        </form>
      )}
      <h2>Password</h2>
      <ErrorNotice failure={change.failure} />
      <form onSubmit={changePassword}>
        <Field
          label="Current password"
          name="currentPassword"
          type="password"
          required
          autoComplete="current-password"
        />
        <Field
          label="New password"
          name="newPassword"
          type="password"
          required
          minLength={10}
          autoComplete="new-password"
        />
        <button type="submit" disabled={change.busy}>
          Change password
        </button>
      </form>
    </>
  );
}
