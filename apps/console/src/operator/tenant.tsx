import { Link, useParams } from "react-router";
import { Busy, ErrorNotice, formatTime, Notice, PageTitle } from "../components.tsx";
import { operatorApi } from "./operator-session.tsx";
import { RetryProvisioning } from "./retry.tsx";
import { useOperatorResource } from "./use-operator.ts";
import { statusWords } from "./words.ts";

/** One tenant as the control plane knows it, and a retry when its provisioning failed. */
export function OperatorTenantPage() {
  const { tenantId = "" } = useParams();
  const tenant = useOperatorResource(
    () =>
      operatorApi.GET("/v1/operator/tenants/{tenantId}", {
        params: { path: { tenantId } },
      }),
    tenantId,
  );
  const data = tenant.data;
  return (
    <section>
      <PageTitle>{data ? `Tenant ${data.slug}` : "Tenant"}</PageTitle>
      <p>
        <Link to="/operator/tenants">All tenants</Link>
      </p>
      <ErrorNotice failure={tenant.failure} />
      {tenant.loading && !data && <Busy label="Loading the tenant…" />}
      {data && (
        <>
          <dl className="facts">
            <dt>Name</dt>
            <dd>{data.name}</dd>
            <dt>Id</dt>
            <dd>
              <code>{data.id}</code>
            </dd>
            <dt>Status</dt>
            <dd data-testid="operator-tenant-status">{statusWords[data.status]}</dd>
            <dt>Plan</dt>
            <dd>{data.plan}</dd>
            <dt>Database server</dt>
            <dd>
              <Link to={`/operator/tenants?server=${encodeURIComponent(data.server)}`}>
                {data.server}
              </Link>
            </dd>
            <dt>Schema version</dt>
            <dd>{data.schemaVersion}</dd>
            <dt>Provisioning step</dt>
            <dd>{data.provisioning.step ?? "—"}</dd>
            <dt>Attempts</dt>
            <dd>{data.provisioning.attempts}</dd>
            <dt>Error shown to the tenant</dt>
            <dd>{data.provisioning.error ?? "—"}</dd>
            <dt>Underlying error</dt>
            <dd>
              <code>{data.provisioning.errorDetail ?? "—"}</code>
            </dd>
            <dt>Created</dt>
            <dd>{formatTime(data.createdAt)}</dd>
            <dt>Active since</dt>
            <dd>{formatTime(data.activatedAt)}</dd>
          </dl>
          {data.status === "provisioning_failed" && (
            <>
              <h2>Retry provisioning</h2>
              <RetryProvisioning tenant={data} onSettled={(settled) => tenant.setData(settled)} />
            </>
          )}
          {data.status === "active" && data.provisioning.attempts > 0 && (
            <Notice>The tenant is active.</Notice>
          )}
        </>
      )}
    </section>
  );
}
