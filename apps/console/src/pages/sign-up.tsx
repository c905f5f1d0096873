import { Link, useNavigate } from "react-router";
import { Field, PageTitle } from "../components.tsx";
import { ActionForm } from "../forms.tsx";
import { useAction } from "../resource.ts";
import { api, useSession } from "../session.tsx";

export function SignUpPage() {
  const { start } = useSession();
  const navigate = useNavigate();
  const signUp = useAction();

  return (
    <section className="narrow">
      <PageTitle>Create your organisation</PageTitle>
      <ActionForm
        action={signUp}
        submit="Create organisation"
        busy="Creating…"
        onSubmit={async (values) => {
          const slug = values.text("slug");
          const answer = await signUp.run(() =>
            api.POST("/v1/signup", {
              body: {
                company: { name: values.text("company"), ...(slug ? { slug } : {}) },
                owner: {
                  name: values.text("name"),
                  email: values.text("email"),
                  password: values.raw("password"),
                },
              },
            }),
          );
          if (!answer?.data) return;
          start(answer.data.tokens);
          // The overview follows provisioning until the organisation is ready.
          navigate("/");
        }}
      >
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
      </ActionForm>
      <p>
        Already have an account? <Link to="/sign-in">Sign in</Link>.
      </p>
    </section>
  );
}
