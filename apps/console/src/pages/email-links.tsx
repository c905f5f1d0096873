import { useState } from "react";
import { Link, useSearchParams } from "react-router";
import { ErrorNotice, Field, NewPasswordField, Notice, PageTitle } from "../components.tsx";
import { ActionForm } from "../forms.tsx";
import { useAction } from "../resource.ts";
import { api } from "../session.tsx";

/** Where the verification mail links: one press spends the token (a mail scanner runs no script). */
export function VerifyEmailPage() {
  const token = useSearchParams()[0].get("token") ?? "";
  const verify = useAction();
  const [done, setDone] = useState(false);
  return (
    <section className="narrow">
      <PageTitle>Verify your email</PageTitle>
      <ErrorNotice failure={verify.failure} />
      {done ? (
        <Notice>
          <p data-testid="email-verified">Your email address is verified.</p>
          <p>
            <Link to="/">Continue to the console</Link>
          </p>
        </Notice>
      ) : token ? (
        <button
          type="button"
          disabled={verify.busy}
          onClick={async () => {
            const answer = await verify.run(() =>
              api.POST("/v1/auth/verify-email", { body: { token } }),
            );
            if (answer?.response.ok) setDone(true);
          }}
        >
          {verify.busy ? "Verifying…" : "Verify my email address"}
        </button>
      ) : (
        <MissingToken />
      )}
    </section>
  );
}

export function ForgotPasswordPage() {
  const request = useAction();
  const [sent, setSent] = useState(false);
  return (
    <section className="narrow">
      <PageTitle>Forgot your password</PageTitle>
      {sent ? (
        // The API answers alike whether or not the address has an account, and so does the page.
        <Notice>
          If an account uses that address, a link to choose a new password is on its way. It works
          for a short while only.
        </Notice>
      ) : (
        <ActionForm
          action={request}
          submit="Send me a link"
          onSubmit={async (values) => {
            const email = values.text("email");
            const answer = await request.run(() =>
              api.POST("/v1/auth/password/forgot", { body: { email } }),
            );
            if (answer?.response.ok) setSent(true);
          }}
        >
          <Field label="Email" name="email" type="email" required autoComplete="email" />
        </ActionForm>
      )}
      <p>
        <Link to="/sign-in">Back to sign in</Link>
      </p>
    </section>
  );
}

export function ResetPasswordPage() {
  const token = useSearchParams()[0].get("token") ?? "";
  const reset = useAction();
  const [done, setDone] = useState(false);
  return (
    <section className="narrow">
      <PageTitle>Choose a new password</PageTitle>
      {!token ? (
        <MissingToken />
      ) : done ? (
        <Notice>
          <p data-testid="password-reset">
            Your password is changed, and every session you had is signed out.
          </p>
          <p>
            <Link to="/sign-in">Sign in with the new password</Link>
          </p>
        </Notice>
      ) : (
        <ActionForm
          action={reset}
          submit="Change password"
          onSubmit={async (values) => {
            const password = values.raw("password");
            const answer = await reset.run(() =>
              api.POST("/v1/auth/password/reset", { body: { token, password } }),
            );
            if (answer?.response.ok) setDone(true);
          }}
        >
          <NewPasswordField label="New password" />
        </ActionForm>
      )}
    </section>
  );
}

function MissingToken() {
  return (
    <ErrorNotice
      failure={{
        title: "This link is incomplete. Open the link from the email again.",
        fields: [],
      }}
    />
  );
}
