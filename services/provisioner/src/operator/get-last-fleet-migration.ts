import { createRoute } from "@hono/zod-openapi";
import { ApiError, type App, type AppEnv, problemResponses } from "@oryn/shared";
import type { MiddlewareHandler } from "hono";
import type { ProvisionerDeps } from "../deps.ts";
import { lastFleetRun } from "../fleet/runs.ts";
import { operatorAccess } from "./credential.ts";
import { fleetRunSchema } from "./schemas.ts";

export function registerGetLastFleetMigration(
  app: App,
  deps: ProvisionerDeps,
  guard: MiddlewareHandler<AppEnv>,
): void {
  const route = createRoute({
    method: "get",
    operationId: "operatorGetLastFleetMigration",
    path: "/v1/operator/fleet-migrations/last",
    tags: ["Operators"],
    summary: "The report of the last fleet migration (`pnpm oryn migrate`)",
    ...operatorAccess(guard),
    responses: {
      200: {
        description: "The last run, running or finished",
        content: { "application/json": { schema: fleetRunSchema } },
      },
      ...problemResponses(401, 403, 404, 429, 503),
    },
  });
  app.openapi(route, async (c) => {
    const run = await lastFleetRun(deps.provisioning.controlPlane);
    if (!run) throw new ApiError("not_found", { detail: "No fleet migration has run yet" });
    const report = run.report
      ? {
          templates: run.report.templates,
          tenants: run.report.tenants,
          stoppedAfterCanary: run.report.stoppedAfterCanary,
          failures: run.report.failures,
          ms: run.report.ms,
        }
      : null;
    return c.json(
      {
        id: run.id,
        state: run.state,
        startedAt: run.startedAt.toISOString(),
        finishedAt: run.finishedAt?.toISOString() ?? null,
        targetVersion: run.targetVersion,
        canary: run.canary,
        concurrency: run.concurrency,
        error: run.error,
        report,
      },
      200,
    );
  });
}
