import { useState } from "react";
import { Link, Navigate, useNavigate, useSearchParams } from "react-router";
import { Busy, Field, Notice, PageTitle } from "../components.tsx";
import { ActionForm } from "../forms.tsx";
import { useAction } from "../resource.ts";
import { api, useSession } from "../session.tsx";

/** Only paths of this app: `?next=https://elsewhere` must not send a user off-site. */
export function safeNext(next: string | null): string {
  return next?.startsWith("/") && !next.startsWith("//") ? next : "/";
}

export function SignInPage() {
  const { start, session, restoring } = useSession();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const login = useAction();
  const secondFactor = useAction();
  // Set when the login answered an MFA challenge: the second step sends its token with a code.
  const [mfaToken, setMfaToken] = useState<string>();
  const busy = login.busy || secondFactor.busy;

  // Signed in already (a reload restored the session from its cookie): straight on.
  if (session && !busy) return <Navigate to={safeNext(params.get("next"))} replace />;
  if (restoring) return <Busy label="Restoring your session…" />;
  return (
    <section className="narrow">
      <PageTitle>{mfaToken ? "Two-factor sign-in" : "Sign in"}</PageTitle>
      {params.get("next") && <Notice>Sign in to continue to that page.</Notice>}
      {mfaToken ? (
        <ActionForm
          action={secondFactor}
          submit="Continue"
          busy="Checking…"
          onSubmit={async (values) => {
            const code = values.text("code");
            // Six digits are the app's code; anything else is taken for a recovery code.
            const body = /^\d{6}$/.test(code)
              ? { mfaToken, code }
              : { mfaToken, recoveryCode: code };
            const answer = await secondFactor.run(() => api.POST("/v1/auth/mfa", { body }));
            if (!answer?.data) return;
            start(answer.data);
            navigate(safeNext(params.get("next")), { replace: true });
          }}
        >
          <Field
            label="Code"
            name="code"
            required
            autoComplete="one-time-code"
            hint="The six digits your authenticator app shows, or one of your recovery codes."
          />
        </ActionForm>
      ) : (
        <ActionForm
          action={login}
          submit="Sign in"
          busy="Signing in…"
          onSubmit={async (values) => {
            const tenant = values.text("tenant");
            const answer = await login.run(() =>
              api.POST("/v1/auth/login", {
                body: {
                  email: values.text("email"),
                  password: values.raw("password"),
                  ...(tenant ? { tenant } : {}),
                },
              }),
            );
            if (!answer?.data) return;
            if ("mfaRequired" in answer.data) return setMfaToken(answer.data.mfaToken);
            start(answer.data);
            navigate(safeNext(params.get("next")), { replace: true });
          }}
        >
          <Field label="Email" name="email" type="email" required autoComplete="username" />
          <Field
            label="Password"
            name="password"
            type="password"
            required
            autoComplete="current-password"
          />
          <Field
            label="Organisation (slug)"
            name="tenant"
            hint="Only needed if you belong to several organisations."
          />
        </ActionForm>
      )}
      <p>
        <Link to="/forgot-password">Forgot your password?</Link> ·{" "}
        <Link to="/sign-up">Create an organisation</Link>
      </p>
    </section>
  );
}
