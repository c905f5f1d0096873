import { type FormEvent, useState } from "react";
import { Link, useNavigate, useSearchParams } from "react-router";
import { ErrorNotice, Field, Notice, PageTitle } from "../components.tsx";
import { type Failure, failureOf, failureOfThrown } from "../problem.ts";
import { api, useSession } from "../session.tsx";

/** Only paths of this app: `?next=https://elsewhere` must not send a user off-site. */
export function safeNext(next: string | null): string {
  return next?.startsWith("/") && !next.startsWith("//") ? next : "/";
}

export function SignInPage() {
  const { start } = useSession();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const [failure, setFailure] = useState<Failure>();
  const [busy, setBusy] = useState(false);
  const [mfaRequired, setMfaRequired] = useState(false);

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
      // An account with two-factor sign-in answers `mfaRequired` instead of tokens (the accounts
      // work adds it); this console cannot finish that step until the API offers it.
      if ((data as { mfaRequired?: boolean }).mfaRequired || !data.accessToken) {
        setMfaRequired(true);
        return;
      }
      start(data);
      navigate(safeNext(params.get("next")), { replace: true });
    } catch (thrown) {
      setFailure(failureOfThrown(thrown));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="narrow">
      <PageTitle>Sign in</PageTitle>
      {params.get("next") && <Notice>Sign in to continue to that page.</Notice>}
      <ErrorNotice failure={failure} />
      {mfaRequired ? (
        <Notice>
          This account uses two-factor sign-in, which is not available in the console yet. Use the
          API to sign in for now.
        </Notice>
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
