import { Link, useNavigate } from "react-router";
import { Busy, ErrorNotice, Field, formatTime, Notice, PageTitle } from "../components.tsx";
import { type Column, NextPage, ResourceTable, useListParams } from "../lists.tsx";
import { operatorApi } from "./operator-session.tsx";
import { RetryProvisioning } from "./retry.tsx";
import { useOperatorResource } from "./use-operator.ts";
import { isStatus, type OperatorTenant, statuses, statusWords } from "./words.ts";

/** Every tenant of the fleet; status, server and the page are in the URL (deep links, back). */
export function OperatorTenantsPage() {
  const list = useListParams();
  const status = list.params.get("status");
  const server = list.params.get("server");
  const tenants = useOperatorResource(
    () =>
      operatorApi.GET("/v1/operator/tenants", {
        params: {
          query: {
            limit: 50,
            ...(isStatus(status) ? { status } : {}),
            ...(server ? { server } : {}),
            ...(list.cursor ? { cursor: list.cursor } : {}),
          },
        },
      }),
    list.key,
  );
  const servers = useOperatorResource(() => operatorApi.GET("/v1/operator/servers"), "");

  return (
    <section>
      <PageTitle>Tenants</PageTitle>
      <GoToTenant />
      <form className="filters" aria-label="Filter tenants" onSubmit={(e) => e.preventDefault()}>
        <div className="field">
          <label htmlFor="tenant-status">Status</label>
          <select
            id="tenant-status"
            value={isStatus(status) ? status : ""}
            onChange={(event) => list.filter("status", event.target.value)}
          >
            <option value="">Any status</option>
            {statuses.map((value) => (
              <option key={value} value={value}>
                {statusWords[value]}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="tenant-server">Database server</label>
          <select
            id="tenant-server"
            value={server ?? ""}
            onChange={(event) => list.filter("server", event.target.value)}
          >
            <option value="">Any server</option>
            {servers.data?.items.map((item) => (
              <option key={item.id} value={item.name}>
                {item.name}
              </option>
            ))}
          </select>
        </div>
      </form>
      <ResourceTable
        list={tenants}
        caption="Tenants of the fleet"
        loadingLabel="Loading tenants…"
        empty="No tenant matches."
        rowKey={(tenant) => tenant.id}
        columns={tenantColumns}
      />
      <div className="actions">
        {list.cursor && (
          <button type="button" onClick={() => window.history.back()}>
            Previous page
          </button>
        )}
        <NextPage nextCursor={tenants.data?.nextCursor} onNext={list.next} />
      </div>
    </section>
  );
}

const tenantColumns: Column<OperatorTenant>[] = [
  {
    header: "Tenant",
    cell: (tenant) => <Link to={`/operator/tenants/${tenant.id}`}>{tenant.slug}</Link>,
  },
  {
    header: "Status",
    cell: (tenant) => (
      <span className={`badge badge-${tenant.status}`}>{statusWords[tenant.status]}</span>
    ),
  },
  { header: "Plan", cell: (tenant) => tenant.plan },
  {
    header: "Server",
    cell: (tenant) => (
      <Link to={`/operator/tenants?server=${encodeURIComponent(tenant.server)}`}>
        {tenant.server}
      </Link>
    ),
  },
  { header: "Schema", cell: (tenant) => `v${tenant.schemaVersion}` },
  {
    header: "Provisioning",
    cell: (tenant) =>
      `${tenant.provisioning.step ?? "—"}${
        tenant.provisioning.attempts > 1 ? ` (${tenant.provisioning.attempts} attempts)` : ""
      }`,
  },
  { header: "Created", cell: (tenant) => formatTime(tenant.createdAt) },
];

/** Tenants whose provisioning spent its attempts, each with its error and a Retry button. */
export function FailedProvisioningPage() {
  const failed = useOperatorResource(
    () =>
      operatorApi.GET("/v1/operator/tenants", {
        params: { query: { status: "provisioning_failed", limit: 200 } },
      }),
    "",
  );
  return (
    <section>
      <PageTitle>Failed provisioning</PageTitle>
      <p>
        Tenants whose provisioning stopped after its last attempt. Mend the cause first (a server
        down, a full registry: the error says which), then retry.
      </p>
      <ErrorNotice failure={failed.failure} />
      {failed.loading && <Busy label="Loading failed tenants…" />}
      {failed.data && failed.data.items.length === 0 && (
        <Notice>No tenant's provisioning has failed.</Notice>
      )}
      <ul className="failed-list">
        {failed.data?.items.map((tenant) => (
          <li key={tenant.id}>
            <h2>
              <Link to={`/operator/tenants/${tenant.id}`}>{tenant.slug}</Link>
            </h2>
            <dl className="facts">
              <dt>Server</dt>
              <dd>{tenant.server}</dd>
              <dt>Stopped at</dt>
              <dd>
                {tenant.provisioning.step ?? "—"} after {tenant.provisioning.attempts} attempts
              </dd>
              <dt>Error</dt>
              <dd>
                <code>{tenant.provisioning.errorDetail ?? tenant.provisioning.error ?? "—"}</code>
              </dd>
            </dl>
            <RetryProvisioning tenant={tenant} />
          </li>
        ))}
      </ul>
    </section>
  );
}

/** Straight to one tenant, by the id or slug a support request names. */
function GoToTenant() {
  const navigate = useNavigate();
  return (
    <form
      className="inline-form"
      aria-label="Find a tenant"
      onSubmit={(event) => {
        event.preventDefault();
        const ref = String(new FormData(event.currentTarget).get("ref") ?? "").trim();
        if (ref) navigate(`/operator/tenants/${encodeURIComponent(ref)}`);
      }}
    >
      <Field label="Tenant id or slug" name="ref" required maxLength={63} />
      <button type="submit">Open</button>
    </form>
  );
}
