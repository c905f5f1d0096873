import { type FormEvent, useState } from "react";
import { Link, useNavigate, useSearchParams } from "react-router";
import { ErrorNotice, Field, Notice, PageTitle } from "../components.tsx";
import { type Failure, failureOf, failureOfThrown } from "../problem.ts";
import { useAction } from "../resource.ts";
import { api, useSession } from "../session.tsx";

export function SignUpPage() {
  const { start } = useSession();
  const navigate = useNavigate();
  const [failure, setFailure] = useState<Failure>();
  const [busy, setBusy] = useState(false);
  const [sentTo, setSentTo] = useState<string>();

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const slug = String(form.get("slug") ?? "").trim();
    setBusy(true);
    setFailure(undefined);
    try {
      const { data, error, response } = await api.POST("/v1/signup", {
        body: {
          company: { name: String(form.get("company")), ...(slug ? { slug } : {}) },
          owner: {
            name: String(form.get("name")),
            email: String(form.get("email")),
            password: String(form.get("password")),
          },
        },
      });
      if (!data) return setFailure(failureOf(error, response));
      // Where signups are confirmed by mail, nothing exists until the mailed link is opened.
      if (!("tokens" in data)) return setSentTo(String(form.get("email")));
      start(data.tokens);
      // The overview follows provisioning until the organisation is ready.
      navigate("/");
    } catch (thrown) {
      setFailure(failureOfThrown(thrown));
    } finally {
      setBusy(false);
    }
  }

  if (sentTo) {
    return (
      <section className="narrow">
        <PageTitle>Check your email</PageTitle>
        <Notice>
          <p data-testid="signup-sent">
            We sent a message to {sentTo}. Open the link in it to create your organisation; nothing
            is created until then.
          </p>
        </Notice>
      </section>
    );
  }

  return (
    <section className="narrow">
      <PageTitle>Create your organisation</PageTitle>
      <ErrorNotice failure={failure} />
      <form onSubmit={submit}>
        <Field label="Organisation name" name="company" required maxLength={100} />
        <Field
          label="Short name (slug)"
          name="slug"
          hint="Lower-case letters, digits and inner hyphens, at most 40; made from the name if left empty."
          maxLength={40}
        />
        <Field label="Your name" name="name" required autoComplete="name" />
        <Field label="Email" name="email" type="email" required autoComplete="email" />
        <Field
          label="Password"
          name="password"
          type="password"
          required
          minLength={10}
          autoComplete="new-password"
          hint="At least 10 characters."
        />
        <button type="submit" disabled={busy}>
          {busy ? "Creating…" : "Create organisation"}
        </button>
      </form>
      <p>
        Already have an account? <Link to="/sign-in">Sign in</Link>.
      </p>
    </section>
  );
}

/**
 * Where the signup confirmation mail links: one press spends the token (a mail scanner runs no
 * script). A short name taken meanwhile leaves the link working: the page asks for another.
 */
export function ConfirmSignupPage() {
  const token = useSearchParams()[0].get("token") ?? "";
  const { start } = useSession();
  const navigate = useNavigate();
  const confirm = useAction();
  const [slugTaken, setSlugTaken] = useState(false);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const slug = String(new FormData(event.currentTarget).get("slug") ?? "").trim();
    const answer = await confirm.run(() =>
      api.POST("/v1/signup/confirm", { body: { token, ...(slug ? { slug } : {}) } }),
    );
    if (answer?.data) {
      start(answer.data.tokens);
      navigate("/");
    } else if (answer?.response.status === 409) {
      setSlugTaken(true);
    }
  }

  return (
    <section className="narrow">
      <PageTitle>Create your organisation</PageTitle>
      <ErrorNotice failure={confirm.failure} />
      {token ? (
        <form onSubmit={submit}>
          {slugTaken && (
            <Field
              label="Another short name (slug)"
              name="slug"
              required
              maxLength={40}
              hint="Lower-case letters, digits and inner hyphens, at most 40."
            />
          )}
          <button type="submit" disabled={confirm.busy}>
            {confirm.busy ? "Creating…" : "Confirm and create the organisation"}
          </button>
        </form>
      ) : (
        <Notice>This page needs the link from the confirmation message.</Notice>
      )}
    </section>
  );
}
