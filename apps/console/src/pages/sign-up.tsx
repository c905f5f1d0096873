import { useState } from "react";
import { Link, useNavigate, useSearchParams } from "react-router";
import { Field, NewPasswordField, Notice, PageTitle } from "../components.tsx";
import { ActionForm } from "../forms.tsx";
import { problemCode } from "../problem.ts";
import { useAction } from "../resource.ts";
import { api, useSession } from "../session.tsx";

export function SignUpPage() {
  const { start } = useSession();
  const navigate = useNavigate();
  const signUp = useAction();
  const [sentTo, setSentTo] = useState<string>();

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
      <ActionForm
        action={signUp}
        submit="Create organisation"
        busy="Creating…"
        onSubmit={async (values) => {
          const slug = values.text("slug");
          const email = values.text("email");
          const answer = await signUp.run(() =>
            api.POST("/v1/signup", {
              body: {
                company: { name: values.text("company"), ...(slug ? { slug } : {}) },
                owner: { name: values.text("name"), email, password: values.raw("password") },
              },
            }),
          );
          if (!answer?.data) return;
          // The client is typed from the default document; a gateway that confirms signups by
          // mail answers {status: "confirmation_sent"} instead, and nothing exists until then.
          if (!("tokens" in answer.data)) return setSentTo(email);
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
        <NewPasswordField />
      </ActionForm>
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

  return (
    <section className="narrow">
      <PageTitle>Create your organisation</PageTitle>
      {token ? (
        <ActionForm
          action={confirm}
          submit="Confirm and create the organisation"
          busy="Creating…"
          onSubmit={async (values) => {
            const slug = values.text("slug");
            const answer = await confirm.run(() =>
              api.POST("/v1/signup/confirm", { body: { token, ...(slug ? { slug } : {}) } }),
            );
            if (answer?.data) {
              start(answer.data.tokens);
              navigate("/");
            } else if (problemCode(answer?.error) === "slug_taken") {
              // email_taken is a 409 too, and no other short name would mend it.
              setSlugTaken(true);
            }
          }}
        >
          {slugTaken && (
            <Field
              label="Another short name (slug)"
              name="slug"
              required
              maxLength={40}
              hint="Lower-case letters, digits and inner hyphens, at most 40."
            />
          )}
        </ActionForm>
      ) : (
        <Notice>This page needs the link from the confirmation message.</Notice>
      )}
    </section>
  );
}
