import { type FormEvent, useState } from "react";
import { useNavigate, useSearchParams } from "react-router";
import { ErrorNotice, Field, PageTitle } from "../components.tsx";
import type { Failure } from "../problem.ts";
import {
  failureOfThrown,
  operatorApi,
  operatorFailureOf,
  useOperatorSession,
} from "./operator-session.tsx";

/** Paths of the operator area only. */
function safeOperatorNext(next: string | null): string {
  return next?.startsWith("/operator/") && !next.startsWith("//") ? next : "/operator/tenants";
}

export function OperatorSignInPage() {
  const { start, end } = useOperatorSession();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const [failure, setFailure] = useState<Failure>();
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const token = String(new FormData(event.currentTarget).get("token") ?? "").trim();
    setBusy(true);
    setFailure(undefined);
    try {
      // The token is tried on the smallest operator read before the area opens.
      start(token);
      const { data, error, response } = await operatorApi.GET("/v1/operator/tenants", {
        params: { query: { limit: 1 } },
      });
      if (!data) {
        end();
        return setFailure(operatorFailureOf(error, response));
      }
      navigate(safeOperatorNext(params.get("next")), { replace: true });
    } catch (thrown) {
      end();
      setFailure(failureOfThrown(thrown));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="narrow">
      <PageTitle>Operator sign-in</PageTitle>
      <p>
        The operator area shows every tenant of the fleet. It takes the operator token (the
        provisioner's <code>OPERATOR_TOKEN</code>), kept in this tab's memory only.
      </p>
      <ErrorNotice failure={failure} />
      <form onSubmit={submit}>
        <Field
          label="Operator token"
          name="token"
          type="password"
          autoComplete="off"
          required
          minLength={32}
        />
        <button type="submit" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
      </form>
    </section>
  );
}
