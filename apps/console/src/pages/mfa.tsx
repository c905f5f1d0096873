import { useState } from "react";
import { ErrorNotice, Field, formatTime, Notice } from "../components.tsx";
import { ActionForm } from "../forms.tsx";
import { ResourceTable, RowAction } from "../lists.tsx";
import { useAction, useResource } from "../resource.ts";
import { api } from "../session.tsx";

/** Where the person is signed in, and ending any of those sessions. */
export function Sessions() {
  const sessions = useResource(() => api.GET("/v1/me/sessions"), "");
  const end = useAction();
  return (
    <>
      <h2>Sessions</h2>
      <ErrorNotice failure={end.failure} />
      <ResourceTable
        list={sessions}
        caption="Your sessions"
        loadingLabel="Loading sessions…"
        empty="No sessions."
        rowKey={(session) => session.id}
        columns={[
          {
            header: "Signed in",
            cell: (session) =>
              `${formatTime(session.createdAt)}${session.current ? " (this one)" : ""}`,
          },
          { header: "Last used", cell: (session) => formatTime(session.lastUsedAt) },
          {
            header: "From",
            cell: (session) =>
              `${session.ip ?? "—"} ${session.userAgent ? `· ${session.userAgent}` : ""}`,
          },
          {
            header: "Actions",
            cell: (session) =>
              !session.current && (
                <RowAction
                  action={end}
                  label={`End the session from ${formatTime(session.createdAt)}`}
                  request={() =>
                    api.DELETE("/v1/me/sessions/{id}", { params: { path: { id: session.id } } })
                  }
                  onDone={sessions.reload}
                >
                  End
                </RowAction>
              ),
          },
        ]}
      />
    </>
  );
}

/** Two-factor sign-in with an authenticator app: enrol, confirm (recovery codes once), disable. */
export function TwoFactor({ enabled, onChange }: { enabled: boolean; onChange(): void }) {
  const enrol = useAction();
  const confirm = useAction();
  const disable = useAction();
  const [secret, setSecret] = useState<{ secret: string; otpauthUrl: string }>();
  const [codes, setCodes] = useState<string[]>();

  return (
    <>
      <h2>Two-factor sign-in</h2>
      {codes && (
        <Notice>
          <p>
            Two-factor sign-in is on. Keep these recovery codes somewhere safe: each signs you in
            once without the app, and they are shown only now.
          </p>
          <code className="secret" data-testid="recovery-codes">
            {codes.join(" ")}
          </code>
        </Notice>
      )}
      <ErrorNotice failure={enrol.failure} />
      {enabled ? (
        <ActionForm
          action={disable}
          submit="Turn off two-factor sign-in"
          danger
          onSubmit={async (values) => {
            const password = values.raw("password");
            const answer = await disable.run(() =>
              api.DELETE("/v1/me/mfa/totp", { body: { password } }),
            );
            if (answer?.response.ok) onChange();
          }}
        >
          <p>Two-factor sign-in is on. To turn it off, give your password.</p>
          <Field
            label="Password"
            name="password"
            type="password"
            required
            autoComplete="current-password"
          />
        </ActionForm>
      ) : secret ? (
        <ActionForm
          action={confirm}
          submit="Turn on"
          onSubmit={async (values) => {
            const code = values.text("code");
            const answer = await confirm.run(() =>
              api.POST("/v1/me/mfa/totp/confirm", { body: { code } }),
            );
            if (answer?.data) {
              setSecret(undefined);
              setCodes(answer.data.recoveryCodes);
              onChange();
            }
          }}
        >
          <p>
            Add this key to your authenticator app (or open the link on the device that has it),
            then type the code it shows.
          </p>
          <code className="secret" data-testid="totp-secret">
            {secret.secret}
          </code>
          <p>
            <a href={secret.otpauthUrl}>Open in an authenticator app</a>
          </p>
          <Field
            label="Code from the app"
            name="code"
            inputMode="numeric"
            autoComplete="one-time-code"
            required
          />
        </ActionForm>
      ) : (
        <button
          type="button"
          disabled={enrol.busy}
          onClick={async () => {
            const answer = await enrol.run(() => api.POST("/v1/me/mfa/totp"));
            if (answer?.data) setSecret(answer.data);
          }}
        >
          Set up two-factor sign-in
        </button>
      )}
    </>
  );
}
