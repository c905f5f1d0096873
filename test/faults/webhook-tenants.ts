import { connect } from "@oryn/shared";
import type { jsonCaller } from "@oryn/testing/http";
import { signUpAndWait } from "@oryn/testing/wait";
import { expect } from "vitest";
import type { startReceiver } from "../../services/webhooks/test/receiver.ts";

type Call = ReturnType<typeof jsonCaller>;
type Receiver = Awaited<ReturnType<typeof startReceiver>>;

/** A tenant of a webhooks fault: `label` names it and the receiver path its endpoint posts to. */
export type EndpointTenant = { label: string; endpointId: string } & Awaited<
  ReturnType<typeof signUpAndWait>
>;

/**
 * Tenants `a` and `b`, each signed up, moved to the business plan (past the free plan's project
 * cap, which has tests of its own) and with an endpoint for every event at the receiver's
 * `/<label>` (or at `url(label)`), whose secret the receiver is told.
 */
export async function tenantsWithEndpoints(
  call: Call,
  controlPlaneUrl: string,
  receiver: Receiver,
  options: { intervalMs: number; url?: (label: string) => string },
): Promise<EndpointTenant[]> {
  const controlPlane = connect(controlPlaneUrl, { max: 1 });
  const tenants: EndpointTenant[] = [];
  try {
    for (const label of ["a", "b"]) {
      const signed = await signUpAndWait(call, { intervalMs: options.intervalMs });
      await controlPlane`update tenants set plan = 'business' where id = ${signed.tenantId}`;
      const endpoint = await call("POST", "/v1/webhook-endpoints", {
        token: signed.token,
        body: { url: options.url?.(label) ?? receiver.url(`/${label}`), events: ["*"] },
      });
      expect(endpoint.status).toBe(201);
      receiver.trust(endpoint.json.secret);
      tenants.push({ label, endpointId: endpoint.json.id, ...signed });
    }
  } finally {
    await controlPlane.end();
  }
  return tenants;
}

/** `count` projects a tenant, the tenants in turn, each an event; names start with `prefix`. */
export async function writeProjects(
  call: Call,
  tenants: EndpointTenant[],
  count: number,
  prefix = "",
) {
  for (let n = 0; n < count; n++) {
    for (const tenant of tenants) {
      const created = await call("POST", "/v1/projects", {
        token: tenant.token,
        body: { name: `${tenant.label}-${prefix}${n}` },
      });
      expect(created.status, JSON.stringify(created.json)).toBe(201);
    }
  }
}

/**
 * Checks what each tenant's endpoint received against its event log: the distinct ids delivered
 * are exactly what GET /v1/events lists (none lost, none renamed on a retry), each delivery
 * verified by one secret. Returns the deliveries that reached another tenant's endpoint (for the
 * fault's line; the caller expects 0) and each tenant's logged ids.
 */
export async function checkDeliveries(call: Call, receiver: Receiver, tenants: EndpointTenant[]) {
  let crossTenant = 0;
  const logged = new Map<string, string[]>();
  for (const tenant of tenants) {
    const mine = receiver.received.filter((item) => item.path === `/${tenant.label}`);
    crossTenant += mine.filter((item) => item.body.tenantId !== tenant.tenantId).length;
    const pulled = await call("GET", "/v1/events?limit=200", { token: tenant.token });
    const ids: string[] = pulled.json.items.map((event: { id: string }) => event.id).sort();
    expect([...new Set(mine.map((item) => item.id))].sort()).toEqual(ids);
    for (const item of mine) expect(item.verifiedBy.length).toBe(1);
    logged.set(tenant.label, ids);
  }
  return { crossTenant, logged };
}
