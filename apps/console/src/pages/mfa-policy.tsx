import { useState } from "react";
import { Busy, ErrorNotice, Notice } from "../components.tsx";
import { ActionForm } from "../forms.tsx";
import { useAction, useResource } from "../resource.ts";
import { api } from "../session.tsx";

/**
 * The organisation's two-factor rule (owners): when on, members without two-factor sign-in may
 * use only their own account pages until they set it up. The API refuses to turn it on for an
 * owner who has not set it up themselves; the page shows that refusal in words.
 */
export function MfaPolicy() {
  const tenant = useResource(() => api.GET("/v1/tenant"), "");
  const save = useAction();
  const [saved, setSaved] = useState<string>();
  return (
    <>
      <h2>Two-factor sign-in for everyone</h2>
      <ErrorNotice failure={tenant.failure} />
      {tenant.loading && !tenant.data && <Busy label="Loading the organisation…" />}
      {saved && <Notice>{saved}</Notice>}
      {tenant.data && (
        <ActionForm
          key={tenant.loads}
          action={save}
          submit="Save the rule"
          onSubmit={async (values) => {
            const mfaRequired = values.raw("mfaRequired") === "on";
            setSaved(undefined);
            const answer = await save.run(() => api.PATCH("/v1/tenant", { body: { mfaRequired } }));
            if (!answer?.data) return;
            setSaved(
              mfaRequired
                ? "Two-factor sign-in is now required of every member."
                : "Two-factor sign-in is no longer required.",
            );
            tenant.reload();
          }}
        >
          <div className="field checkbox-field">
            <input
              id="mfa-required"
              type="checkbox"
              name="mfaRequired"
              defaultChecked={tenant.data.mfaRequired}
            />
            <label htmlFor="mfa-required">
              Require two-factor sign-in of every member (set it up for yourself first)
            </label>
          </div>
        </ActionForm>
      )}
    </>
  );
}
