import { Busy, ErrorNotice, formatTime, Notice, PageTitle } from "../components.tsx";
import { DataTable } from "../lists.tsx";
import { operatorApi } from "./operator-session.tsx";
import { useOperatorResource } from "./use-operator.ts";

const stateWords = {
  running: "Running",
  succeeded: "Succeeded",
  failed: "Failed",
  interrupted: "Interrupted (the command was stopped)",
} as const;

/** The report of the last `pnpm oryn migrate`, as the control plane recorded it. */
export function FleetMigrationPage() {
  const run = useOperatorResource(() => operatorApi.GET("/v1/operator/fleet-migrations/last"), "");
  const none = run.failure?.status === 404;
  const data = run.data;
  return (
    <section>
      <PageTitle>Last fleet migration</PageTitle>
      <p>
        Fleet migrations run from the command line (<code>pnpm oryn migrate</code>); each run's
        report is kept here.
      </p>
      {none ? (
        <Notice>No fleet migration has run yet.</Notice>
      ) : (
        <ErrorNotice failure={run.failure} />
      )}
      {run.loading && <Busy label="Loading the report…" />}
      {data && (
        <>
          <dl className="facts">
            <dt>State</dt>
            <dd data-testid="fleet-run-state">{stateWords[data.state]}</dd>
            <dt>Started</dt>
            <dd>{formatTime(data.startedAt)}</dd>
            <dt>Finished</dt>
            <dd>{formatTime(data.finishedAt)}</dd>
            <dt>Target version</dt>
            <dd>{data.targetVersion}</dd>
            <dt>Concurrency</dt>
            <dd>{data.concurrency}</dd>
            <dt>Canary</dt>
            <dd>{data.canary ?? "none"}</dd>
            {data.error && (
              <>
                <dt>Stopped because</dt>
                <dd>
                  <code>{data.error}</code>
                </dd>
              </>
            )}
          </dl>
          {data.report && (
            <>
              <h2>Tenants</h2>
              <p>
                {data.report.tenants.migrated} migrated, {data.report.tenants.alreadyUpToDate}{" "}
                already up to date, {data.report.tenants.skipped} skipped,{" "}
                {data.report.tenants.failed} failed, in {data.report.ms} ms.
                {data.report.stoppedAfterCanary
                  ? " The canary failed: the rest were not touched."
                  : ""}
              </p>
              <h2>Templates</h2>
              <ul>
                {data.report.templates.map((template) => (
                  <li key={template.server}>
                    {template.server}: version {template.version}
                    {template.applied.length > 0 ? ` (applied ${template.applied.join(", ")})` : ""}
                  </li>
                ))}
              </ul>
              {data.report.failures.length > 0 && (
                <>
                  <h2>Failures</h2>
                  <DataTable
                    caption="Tenants whose migration failed"
                    rows={data.report.failures}
                    rowKey={(failure) => failure.tenantId}
                    columns={[
                      { header: "Tenant", cell: (failure) => failure.slug },
                      { header: "Server", cell: (failure) => failure.server },
                      { header: "Migration", cell: (failure) => failure.migration ?? "before any" },
                      { header: "Error", cell: (failure) => <code>{failure.error}</code> },
                    ]}
                  />
                </>
              )}
            </>
          )}
        </>
      )}
    </section>
  );
}
