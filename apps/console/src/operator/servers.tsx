import type { components } from "@oryn/client";
import { Link } from "react-router";
import { PageTitle } from "../components.tsx";
import { type Column, ResourceTable } from "../lists.tsx";
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
      <ResourceTable
        list={servers}
        caption="Tenant database servers"
        loadingLabel="Asking the servers…"
        empty="No server is registered."
        rowKey={(server) => server.id}
        columns={serverColumns}
      />
    </section>
  );
}

type Server = components["schemas"]["OperatorServer"];

const serverColumns: Column<Server>[] = [
  {
    header: "Server",
    cell: (server) => (
      <Link to={`/operator/tenants?server=${encodeURIComponent(server.name)}`}>{server.name}</Link>
    ),
  },
  {
    header: "Address",
    cell: (server) => (
      <code>
        {server.host}:{server.port}
      </code>
    ),
  },
  { header: "State", cell: (server) => server.state },
  { header: "Tenants / capacity", cell: (server) => `${server.tenants} / ${server.capacity}` },
  {
    header: "Load",
    cell: (server) => (
      <>
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
      </>
    ),
  },
  { header: "Spares", cell: (server) => server.spares },
  {
    header: "Connections",
    cell: (server) =>
      server.reachable ? (
        server.connections
      ) : (
        <strong className="unreachable">Not answering</strong>
      ),
  },
];
