import { Link, useNavigate, useSearchParams } from "react-router";
import { ErrorNotice, Field, NewPasswordField, PageTitle } from "../components.tsx";
import { ActionForm } from "../forms.tsx";
import { useAction } from "../resource.ts";
import { api, useSession } from "../session.tsx";

/** The page an invitation's link opens: choose a password (or use yours), join, signed in. */
export function AcceptInvitationPage() {
  const [params] = useSearchParams();
  const token = params.get("token") ?? "";
  const accept = useAction();
  const { start } = useSession();
  const navigate = useNavigate();

  if (!token) {
    return (
      <section className="narrow">
        <PageTitle>Accept an invitation</PageTitle>
        <ErrorNotice
          failure={{
            title: "This link has no invitation in it. Open the link from the email again.",
            fields: [],
          }}
        />
      </section>
    );
  }
  return (
    <section className="narrow">
      <PageTitle>Accept an invitation</PageTitle>
      <p>Join the organisation you were invited to. New here? Choose your name and a password.</p>
      <ActionForm
        action={accept}
        submit="Join"
        busy="Joining…"
        onSubmit={async (values) => {
          const name = values.text("name");
          const answer = await accept.run(() =>
            api.POST("/v1/invitations/accept", {
              body: { token, password: values.raw("password"), ...(name ? { name } : {}) },
            }),
          );
          if (!answer?.data) return;
          // An account with two-factor sign-in has joined, and signs in with its second factor.
          if ("mfaRequired" in answer.data) return navigate("/sign-in", { replace: true });
          start(answer.data);
          navigate("/", { replace: true });
        }}
      >
        <Field label="Your name" name="name" autoComplete="name" hint="For a new account." />
        <NewPasswordField hint="Your password if you have an account already; else a new one, at least 10 characters." />
      </ActionForm>
    </section>
  );
}

export function NotFoundPage() {
  return (
    <section className="narrow">
      <PageTitle>Page not found</PageTitle>
      <p>
        There is no page at this address. <Link to="/">Go to the overview</Link>.
      </p>
    </section>
  );
}
