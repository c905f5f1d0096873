import { Link } from "react-router";
import { Busy, ErrorNotice, PageTitle } from "../components.tsx";
import { operatorApi } from "./operator-session.tsx";
import { useOperatorResource } from "./use-operator.ts";

/** The tenant database servers: capacity, tenants, load, spares, and whether they answer. */
export function ServersPage() {
  const servers = useOperatorResource(() => operatorApi.GET("/v1/operator/servers"), "");
  return (
    <section>
      <PageTitle>Servers</PageTitle>
      <p>
        Placement puts a new tenant on the accepting server with the lowest load (tenants per
        capacity). Register, drain and move with <code>pnpm oryn servers</code> and{" "}
        <code>pnpm oryn tenants move</code>.
      </p>
      <button type="button" onClick={servers.reload} disabled={servers.loading}>
        Refresh
      </button>
      <ErrorNotice failure={servers.failure} />
      {servers.loading && <Busy label="Asking the servers…" />}
      {servers.data && (
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">Tenant database servers</caption>
            <thead>
              <tr>
                <th scope="col">Server</th>
                <th scope="col">Address</th>
                <th scope="col">State</th>
                <th scope="col">Tenants / capacity</th>
                <th scope="col">Load</th>
                <th scope="col">Spares</th>
                <th scope="col">Connections</th>
              </tr>
            </thead>
            <tbody>
              {servers.data.items.map((server) => (
                <tr key={server.id}>
                  <td>
                    <Link to={`/operator/tenants?server=${encodeURIComponent(server.name)}`}>
                      {server.name}
                    </Link>
                  </td>
                  <td>
                    <code>
                      {server.host}:{server.port}
                    </code>
                  </td>
                  <td>{server.state}</td>
                  <td>
                    {server.tenants} / {server.capacity}
                  </td>
                  <td>
                    <meter
                      min={0}
                      max={1}
                      low={0.7}
                      high={0.9}
                      optimum={0}
                      value={server.load}
                      aria-label={`Load of ${server.name}`}
                    />{" "}
                    {Math.round(server.load * 100)}%
                  </td>
                  <td>{server.spares}</td>
                  <td>
                    {server.reachable ? (
                      server.connections
                    ) : (
                      <strong className="unreachable">Not answering</strong>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
