import { useEffect, useState } from "react";
import { Link, useSearchParams } from "react-router";
import { Busy, ErrorNotice, formatTime, Notice, PageTitle } from "../components.tsx";
import { useAction, useResource } from "../resource.ts";
import { api, atLeast, useSignedIn } from "../session.tsx";

const plans = [
  { plan: "pro", words: "Pro" },
  { plan: "business", words: "Business" },
] as const;

/** The plan and its limits; Checkout to change it, the Customer Portal to manage payment. */
export function BillingPage() {
  const session = useSignedIn();
  const subscription = useResource(() => api.GET("/v1/billing/subscription"), "");
  const redirect = useAction();
  const owner = atLeast(session.role, "owner");

  async function go(
    request: () => Promise<{ data?: { url: string }; error?: unknown; response: Response }>,
  ) {
    const answer = await redirect.run(request);
    // Stripe's own pages; they send the browser back to /billing or /billing/success.
    if (answer?.data) window.location.assign(answer.data.url);
  }

  const current = subscription.data;
  return (
    <section>
      <PageTitle>Billing</PageTitle>
      <ErrorNotice failure={subscription.failure} />
      <ErrorNotice failure={redirect.failure} />
      {subscription.loading && !current && <Busy label="Loading your plan…" />}
      {current && (
        <>
          <dl className="facts">
            <dt>Plan</dt>
            <dd data-testid="plan">{current.plan}</dd>
            <dt>Status</dt>
            <dd>{current.status}</dd>
            {current.currentPeriodEnd && (
              <>
                <dt>{current.cancelAtPeriodEnd ? "Ends" : "Renews"}</dt>
                <dd>{formatTime(current.currentPeriodEnd)}</dd>
              </>
            )}
            <dt>Projects</dt>
            <dd>up to {current.limits.projects}</dd>
            <dt>Members</dt>
            <dd>up to {current.limits.members}</dd>
            <dt>Requests</dt>
            <dd>{current.limits.requestsPerMinute} a minute</dd>
          </dl>
          {current.restricted && (
            <ErrorNotice
              failure={{
                title: "Your organisation is restricted to reading until payment is settled.",
                ...(current.paymentGraceEndsAt
                  ? { detail: `Grace ended ${formatTime(current.paymentGraceEndsAt)}.` }
                  : {}),
                fields: [],
              }}
            />
          )}
          {owner ? (
            <div className="actions">
              {plans
                .filter(({ plan }) => plan !== current.plan)
                .map(({ plan, words }) => (
                  <button
                    key={plan}
                    type="button"
                    disabled={redirect.busy}
                    onClick={() => go(() => api.POST("/v1/billing/checkout", { body: { plan } }))}
                  >
                    Upgrade to {words}
                  </button>
                ))}
              {current.plan !== "free" && (
                <button
                  type="button"
                  disabled={redirect.busy}
                  onClick={() => go(() => api.POST("/v1/billing/portal"))}
                >
                  Manage payment and invoices
                </button>
              )}
              {redirect.busy && <Busy label="Opening Stripe…" />}
            </div>
          ) : (
            <p>Only an owner can change the plan.</p>
          )}
        </>
      )}
    </section>
  );
}

/**
 * Where Checkout sends the browser after paying. The plan changes when Stripe's webhook
 * arrives, which may be after the browser: the page asks again for a while.
 */
export function BillingSuccessPage() {
  const [params] = useSearchParams();
  const [plan, setPlan] = useState<string>();
  const [tries, setTries] = useState(0);
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    async function check(attempt: number) {
      const { data } = await api.GET("/v1/billing/subscription").catch(() => ({ data: undefined }));
      if (stopped) return;
      setTries(attempt);
      if (data && data.plan !== "free") return setPlan(data.plan);
      if (attempt < 30) timer = setTimeout(() => check(attempt + 1), 2000);
    }
    check(1);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, []);
  return (
    <section>
      <PageTitle>Thank you</PageTitle>
      <p>
        Your payment went through Stripe{params.get("session_id") ? "" : " (no session given)"}.
      </p>
      {plan ? (
        <Notice>Your organisation is now on the {plan} plan.</Notice>
      ) : tries < 30 ? (
        <Busy label="Waiting for Stripe to confirm the new plan…" />
      ) : (
        <p>Stripe has not confirmed yet; the plan changes as soon as it does.</p>
      )}
      <p>
        <Link to="/billing">Back to billing</Link>
      </p>
    </section>
  );
}
