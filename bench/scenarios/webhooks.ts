import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { connect, tenantDatabaseName, withDatabase } from "@oryn/shared";
import { freePort, startService } from "@oryn/testing/processes";
import { eventually } from "@oryn/testing/wait";
import { measureLoad, type Scenario } from "../lib/scenario.ts";
import { round } from "../lib/stats.ts";

/**
 * 9. Webhooks: POST /v1/projects/{id}/tasks straight to workspace, twice in one run. "Off": no
 * webhooks service and no endpoint (the outbox write is always on in the code, so it is in both).
 * "On": the webhooks service running and an endpoint subscribed to `*` on a local receiver that
 * answers 204, receiving every event. Figures: workspace CPU per POST on ÷ off, and events
 * delivered per second end to end (the on phase's task.created events, from its first POST to the
 * last one's delivery).
 */
export const webhooks: Scenario = {
  name: "webhooks",
  title: "POST tasks with webhooks off, then on (every event delivered)",
  async run(context) {
    const { stack } = context;
    const [off, on] = await context.tenants(2);
    if (!off || !on) throw new Error("no tenants");
    const post = (tenant: typeof off) => (atStart?: () => Promise<void>) =>
      measureLoad(
        context,
        stack.oryn.services.workspace.url,
        [{ path: `${tenant.projectPath}/tasks`, token: tenant.token }],
        "turns",
        atStart,
        { method: "POST", body: { title: "bench task" } },
      );

    const offLoad = await post(off)();

    // The receiver: counts each event once (by webhook-id), whatever the retries.
    const delivered = new Set<string>();
    let deliveries = 0;
    let lastDeliveryAt = 0;
    const receiver = createServer((request, response) => {
      request.resume();
      request.on("end", () => {
        deliveries++;
        delivered.add(String(request.headers["webhook-id"]));
        lastDeliveryAt = performance.now();
        response.writeHead(204).end();
      });
    });
    receiver.listen(0, "127.0.0.1");
    await once(receiver, "listening");
    stack.defer(() => new Promise((resolve) => receiver.close(resolve)));
    const { TENANT_CONNECTIONS_MAX: _, ...shared } = stack.oryn.env.workspace;
    const service = await startService(
      "webhooks",
      await freePort(),
      { ...shared, WEBHOOKS_ALLOW_PRIVATE_TARGETS: "true" },
      { ...stack.placement, healthTimeoutMs: 90_000 },
    );
    stack.defer(() => service.stop());
    const created = await fetch(`${stack.oryn.gatewayUrl}/v1/webhook-endpoints`, {
      method: "POST",
      headers: { authorization: `Bearer ${on.token}`, "content-type": "application/json" },
      body: JSON.stringify({
        url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/bench`,
        events: ["*"],
      }),
    });
    if (created.status !== 201) {
      throw new Error(`endpoint answered ${created.status}: ${await created.text()}`);
    }

    const onStarted = performance.now();
    const onLoad = await post(on)();
    // Every task the on phase made is an event to deliver.
    const tenantDb = connect(withDatabase(stack.postgres.url, tenantDatabaseName(on.id)), {
      max: 1,
    });
    const [{ tasks } = { tasks: 0 }] = await tenantDb<{ tasks: number }[]>`
      select count(*)::int as tasks from tasks`;
    await tenantDb.end();
    const loadEndedAt = performance.now();
    await eventually(
      async () => delivered.size,
      (size) => size >= tasks,
      { timeoutMs: 600_000, intervalMs: 100 },
    );
    const seconds = (lastDeliveryAt - onStarted) / 1000;
    // Not left running behind the scenarios that follow (any order): its polls are work of its own.
    await service.stop();
    await new Promise((resolve) => receiver.close(resolve));
    const workspaceOff = offLoad.cpuPerAnswer?.workspace;
    const workspaceOn = onLoad.cpuPerAnswer?.workspace;
    return {
      path: "POST /v1/projects/{id}/tasks",
      off: { load: offLoad },
      on: { load: onLoad },
      workspaceCpuPerPostMicros: { off: workspaceOff, on: workspaceOn },
      workspaceCpuRatio:
        workspaceOff && workspaceOn ? round(workspaceOn / workspaceOff, 2) : undefined,
      eventsDelivered: delivered.size,
      deliveries,
      eventsExpected: tasks,
      deliveredPerSecond: round(delivered.size / seconds),
      drainAfterLoadSeconds: round((lastDeliveryAt - loadEndedAt) / 1000, 1),
    };
  },
};
