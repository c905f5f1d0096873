import { type FormEvent, useState } from "react";
import { Link, useNavigate } from "react-router";
import { ErrorNotice, Field, PageTitle } from "../components.tsx";
import { type Failure, failureOf, failureOfThrown } from "../problem.ts";
import { api, useSession } from "../session.tsx";

export function SignUpPage() {
  const { start } = useSession();
  const navigate = useNavigate();
  const [failure, setFailure] = useState<Failure>();
  const [busy, setBusy] = useState(false);

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
      start(data.tokens);
      // The overview follows provisioning until the organisation is ready.
      navigate("/");
    } catch (thrown) {
      setFailure(failureOfThrown(thrown));
    } finally {
      setBusy(false);
    }
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
