import { Link, useNavigate, useSearchParams } from "react-router";
import { Busy, ErrorNotice, Field, formatTime, Notice, PageTitle } from "../components.tsx";
import { operatorApi } from "./operator-session.tsx";
import { RetryProvisioning } from "./retry.tsx";
import { useOperatorResource } from "./use-operator.ts";
import { isStatus, type OperatorTenant, statuses, statusWords } from "./words.ts";

/** Every tenant of the fleet; status, server and the page are in the URL (deep links, back). */
export function OperatorTenantsPage() {
  const [params, setParams] = useSearchParams();
  const status = params.get("status");
  const server = params.get("server");
  const cursor = params.get("cursor");
  const tenants = useOperatorResource(
    () =>
      operatorApi.GET("/v1/operator/tenants", {
        params: {
          query: {
            limit: 50,
            ...(isStatus(status) ? { status } : {}),
            ...(server ? { server } : {}),
            ...(cursor ? { cursor } : {}),
          },
        },
      }),
    params.toString(),
  );
  const servers = useOperatorResource(() => operatorApi.GET("/v1/operator/servers"), "");
  const filter = (name: "status" | "server", value: string) => {
    const next = new URLSearchParams(params);
    next.delete("cursor");
    if (value) next.set(name, value);
    else next.delete(name);
    setParams(next);
  };

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
            onChange={(event) => filter("status", event.target.value)}
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
            onChange={(event) => filter("server", event.target.value)}
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
      <ErrorNotice failure={tenants.failure} />
      {tenants.loading && <Busy label="Loading tenants…" />}
      {tenants.data && tenants.data.items.length === 0 && <p>No tenant matches.</p>}
      {tenants.data && tenants.data.items.length > 0 && (
        <TenantTable tenants={tenants.data.items} caption="Tenants of the fleet" />
      )}
      <div className="actions">
        {cursor && (
          <button type="button" onClick={() => window.history.back()}>
            Previous page
          </button>
        )}
        {tenants.data?.nextCursor && (
          <button
            type="button"
            onClick={() => {
              const next = new URLSearchParams(params);
              next.set("cursor", tenants.data?.nextCursor ?? "");
              setParams(next);
            }}
          >
            Next page
          </button>
        )}
      </div>
    </section>
  );
}

function TenantTable({ tenants, caption }: { tenants: OperatorTenant[]; caption: string }) {
  return (
    <div className="table-wrap">
      <table>
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Tenant</th>
            <th scope="col">Status</th>
            <th scope="col">Plan</th>
            <th scope="col">Server</th>
            <th scope="col">Schema</th>
            <th scope="col">Provisioning</th>
            <th scope="col">Created</th>
          </tr>
        </thead>
        <tbody>
          {tenants.map((tenant) => (
            <tr key={tenant.id}>
              <td>
                <Link to={`/operator/tenants/${tenant.id}`}>{tenant.slug}</Link>
              </td>
              <td>
                <span className={`badge badge-${tenant.status}`}>{statusWords[tenant.status]}</span>
              </td>
              <td>{tenant.plan}</td>
              <td>
                <Link to={`/operator/tenants?server=${encodeURIComponent(tenant.server)}`}>
                  {tenant.server}
                </Link>
              </td>
              <td>v{tenant.schemaVersion}</td>
              <td>
                {tenant.provisioning.step ?? "—"}
                {tenant.provisioning.attempts > 1
                  ? ` (${tenant.provisioning.attempts} attempts)`
                  : ""}
              </td>
              <td>{formatTime(tenant.createdAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

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
