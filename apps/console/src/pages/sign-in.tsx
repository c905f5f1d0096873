import { type FormEvent, useState } from "react";
import { Link, Navigate, useNavigate, useSearchParams } from "react-router";
import { Busy, ErrorNotice, Field, Notice, PageTitle } from "../components.tsx";
import { type Failure, failureOf, failureOfThrown } from "../problem.ts";
import { api, useSession } from "../session.tsx";

/** Only paths of this app: `?next=https://elsewhere` must not send a user off-site. */
export function safeNext(next: string | null): string {
  return next?.startsWith("/") && !next.startsWith("//") ? next : "/";
}

export function SignInPage() {
  const { start, session, restoring } = useSession();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const [failure, setFailure] = useState<Failure>();
  const [busy, setBusy] = useState(false);
  // Set when the login answered an MFA challenge: the second step sends its token with a code.
  const [mfaToken, setMfaToken] = useState<string>();

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const tenant = String(form.get("tenant") ?? "").trim();
    setBusy(true);
    setFailure(undefined);
    try {
      const { data, error, response } = await api.POST("/v1/auth/login", {
        body: {
          email: String(form.get("email")),
          password: String(form.get("password")),
          ...(tenant ? { tenant } : {}),
        },
      });
      if (!data) return setFailure(failureOf(error, response));
      if ("mfaRequired" in data) return setMfaToken(data.mfaToken);
      start(data);
      navigate(safeNext(params.get("next")), { replace: true });
    } catch (thrown) {
      setFailure(failureOfThrown(thrown));
    } finally {
      setBusy(false);
    }
  }

  async function submitCode(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!mfaToken) return;
    const form = new FormData(event.currentTarget);
    const code = String(form.get("code") ?? "").trim();
    setBusy(true);
    setFailure(undefined);
    try {
      // Six digits are the app's code; anything else is taken for a recovery code.
      const body = /^\d{6}$/.test(code) ? { mfaToken, code } : { mfaToken, recoveryCode: code };
      const { data, error, response } = await api.POST("/v1/auth/mfa", { body });
      if (!data) return setFailure(failureOf(error, response));
      start(data);
      navigate(safeNext(params.get("next")), { replace: true });
    } catch (thrown) {
      setFailure(failureOfThrown(thrown));
    } finally {
      setBusy(false);
    }
  }

  // Signed in already (a reload restored the session from its cookie): straight on.
  if (session && !busy) return <Navigate to={safeNext(params.get("next"))} replace />;
  if (restoring) return <Busy label="Restoring your session…" />;
  return (
    <section className="narrow">
      <PageTitle>{mfaToken ? "Two-factor sign-in" : "Sign in"}</PageTitle>
      {params.get("next") && <Notice>Sign in to continue to that page.</Notice>}
      <ErrorNotice failure={failure} />
      {mfaToken ? (
        <form onSubmit={submitCode}>
          <Field
            label="Code"
            name="code"
            required
            autoComplete="one-time-code"
            hint="The six digits your authenticator app shows, or one of your recovery codes."
          />
          <button type="submit" disabled={busy}>
            {busy ? "Checking…" : "Continue"}
          </button>
        </form>
      ) : (
        <form onSubmit={submit}>
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
          <button type="submit" disabled={busy}>
            {busy ? "Signing in…" : "Sign in"}
          </button>
        </form>
      )}
      <p>
        <Link to="/forgot-password">Forgot your password?</Link> ·{" "}
        <Link to="/sign-up">Create an organisation</Link>
      </p>
    </section>
  );
}
