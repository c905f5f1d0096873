import type { components } from "@oryn/client";
import { type StepName, stepNames } from "@oryn/shared/provisioning-steps";
import { useEffect, useState } from "react";
import { Link } from "react-router";
import { Busy, ErrorNotice, formatTime, PageTitle } from "../components.tsx";
import { type Failure, failureOf, failureOfThrown } from "../problem.ts";
import { api } from "../session.tsx";

type Tenant = components["schemas"]["Tenant"];

// The provisioner's steps in words: a step added there fails this page's typecheck until named.
const stepWords: Record<StepName, string> = {
  place: "Choosing a database server",
  prepare_template: "Preparing the template",
  create_role: "Creating the database role",
  create_database: "Creating the database",
  migrate: "Creating the tables",
  grant_access: "Granting access",
  activate: "Opening the doors",
};
const steps = stepNames.map((name) => [name, stepWords[name]] as const);

const statusWords: Record<Tenant["status"], string> = {
  provisioning: "Being set up",
  provisioning_failed: "Set-up failed",
  active: "Active",
  restricted: "Restricted to reading",
  deleting: "Being deleted",
  deleted: "Deleted",
};

/** The tenant and, while it is being set up, each step as it happens (polls GET /v1/tenant). */
export function OverviewPage() {
  const [tenant, setTenant] = useState<Tenant>();
  const [failure, setFailure] = useState<Failure>();

  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    async function load() {
      try {
        const { data, error, response } = await api.GET("/v1/tenant");
        if (stopped) return;
        if (!data) return setFailure(failureOf(error, response));
        setFailure(undefined);
        setTenant(data);
        if (data.status === "provisioning") timer = setTimeout(load, 1000);
      } catch (thrown) {
        if (!stopped) setFailure(failureOfThrown(thrown));
      }
    }
    load();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, []);

  return (
    <section>
      <PageTitle>Overview</PageTitle>
      <ErrorNotice failure={failure} />
      {!tenant && !failure && <Busy label="Loading your organisation…" />}
      {tenant && (
        <>
          <dl className="facts">
            <dt>Organisation</dt>
            <dd>{tenant.name}</dd>
            <dt>Slug</dt>
            <dd>
              <code>{tenant.slug}</code>
            </dd>
            <dt>Status</dt>
            <dd data-testid="tenant-status">{statusWords[tenant.status]}</dd>
            <dt>Plan</dt>
            <dd>{tenant.plan}</dd>
            <dt>Created</dt>
            <dd>{formatTime(tenant.createdAt)}</dd>
            {tenant.deleteAfter && (
              <>
                <dt>Data removed after</dt>
                <dd>{formatTime(tenant.deleteAfter)}</dd>
              </>
            )}
          </dl>
          {tenant.status === "provisioning" && <Provisioning tenant={tenant} />}
          {tenant.status === "provisioning_failed" && (
            <ErrorNotice
              failure={{
                title: "Setting up your organisation failed; the team running Oryn is told.",
                ...(tenant.provisioning.error ? { detail: tenant.provisioning.error } : {}),
                fields: [],
              }}
            />
          )}
          {tenant.status === "active" && (
            <p>
              Your organisation is ready. Start with <Link to="/projects">your projects</Link>.
            </p>
          )}
        </>
      )}
    </section>
  );
}

function Provisioning({ tenant }: { tenant: Tenant }) {
  const current = steps.findIndex(([name]) => name === tenant.provisioning.step);
  const done = Math.max(current, 0);
  return (
    <div className="provisioning">
      <h2 id="provisioning-heading">Setting up your organisation</h2>
      <progress aria-labelledby="provisioning-heading" max={steps.length} value={done} />
      <ol className="steps">
        {steps.map(([name, words], index) => (
          <li
            key={name}
            className={index < done ? "done" : index === done ? "current" : "todo"}
            aria-current={index === done ? "step" : undefined}
          >
            {words}
          </li>
        ))}
      </ol>
      {tenant.provisioning.attempts > 1 && (
        <p>Attempt {tenant.provisioning.attempts}: a step is being retried.</p>
      )}
    </div>
  );
}
