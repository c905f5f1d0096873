import { randomUUID } from "node:crypto";
import { isUuid, requestTenantDeletion, type Sql, scheduleTenantDeletion } from "@oryn/shared";
import {
  endTenantGracePeriod,
  findTenantIdAndSlug,
} from "@oryn/shared/control-plane/tables/tenants";
import { deleteTenant } from "../deletion/delete-tenant.ts";
import { restoreTenant } from "../deletion/restore-tenant.ts";
import type { CliContext } from "./context.ts";
import { printAnswer } from "./output.ts";

/** A tenant by id or slug; the argument is only ever a bind parameter. */
async function findTenantRef(
  controlPlane: Sql,
  ref: string,
): Promise<{ id: string; slug: string } | undefined> {
  return findTenantIdAndSlug(controlPlane, isUuid(ref) ? { id: ref } : { slug: ref });
}

const restoreRefusals: Record<string, string> = {
  deleted: "its grace period is over and its data has been deleted; it cannot be restored",
  deletion_started:
    "its deletion has already started and may have removed data; finish it with `pnpm oryn tenants delete <id> --now`",
  not_deleting: "it is not being deleted",
  busy: "its deletion is running right now; try again in a moment",
  no_tenant: "no such tenant",
};

/**
 * `oryn tenants delete <id|slug> [--now]` and `oryn tenants restore <id|slug>`.
 * delete: as an owner's DELETE /v1/tenant (sessions end, grace period, delayed job); with --now
 * the deadline is now and the deletion runs in this process. restore: within the grace period,
 * back to the status it had.
 */
export async function tenantLifecycleCommand(
  context: CliContext,
  args: string[],
  flags: { json: boolean; now?: boolean },
): Promise<number> {
  const [action, ref] = args;
  if ((action !== "delete" && action !== "restore") || !ref) {
    console.error("usage: pnpm oryn tenants delete <id|slug> [--now] | tenants restore <id|slug>");
    return 2;
  }
  const tenant = await findTenantRef(context.controlPlane, ref);
  if (!tenant) {
    console.error(`oryn tenants ${action}: no tenant ${ref}`);
    return 1;
  }
  const requestId = `cli-${randomUUID()}`;

  if (action === "restore") {
    const result = await restoreTenant(
      { controlPlane: context.controlPlane, queues: context.queues(), logger: context.logger },
      tenant.id,
      { requestId },
    );
    printAnswer(flags.json, { tenantId: tenant.id, slug: tenant.slug, ...result }, () => [
      result.outcome === "restored"
        ? `${tenant.slug} restored: ${result.status}`
        : `${tenant.slug} not restored: ${restoreRefusals[result.outcome] ?? result.outcome}`,
    ]);
    return result.outcome === "restored" ? 0 : 1;
  }

  const request = await context.controlPlane.begin((tx) =>
    requestTenantDeletion(tx, tenant.id, {
      graceSeconds: flags.now ? 0 : context.config.TENANT_DELETION_GRACE_SECONDS,
      requester: { actorId: null, requestId, ip: null, via: "operator" },
    }),
  );
  if (!("deleteAfter" in request)) {
    printAnswer(flags.json, { tenantId: tenant.id, slug: tenant.slug, ...request }, () => [
      `${tenant.slug} is already deleted`,
    ]);
    return request.outcome === "deleted" ? 0 : 1;
  }
  if (!flags.now) {
    await scheduleTenantDeletion(context.queues(), tenant.id, request.deleteAfter);
    printAnswer(
      flags.json,
      { tenantId: tenant.id, slug: tenant.slug, ...request, deleteAfter: request.deleteAfter },
      () => [
        `${tenant.slug} is deleting; its data goes after ${request.deleteAfter.toISOString()} (restore before then with \`pnpm oryn tenants restore ${tenant.slug}\`)`,
      ],
    );
    return 0;
  }
  // --now: a tenant already deleting loses the rest of its grace period.
  await endTenantGracePeriod(context.controlPlane, tenant.id);
  const outcome = await deleteTenant(
    {
      controlPlane: context.controlPlane,
      admin: context.admin,
      servers: context.servers,
      logger: context.logger,
      exportDir: context.config.EXPORT_DIR,
    },
    tenant.id,
  );
  printAnswer(flags.json, { tenantId: tenant.id, slug: tenant.slug, outcome }, () => [
    outcome === "deleted" || outcome === "already_deleted"
      ? `${tenant.slug} deleted: database and role dropped, audit trail kept`
      : `${tenant.slug} not deleted: ${outcome}`,
  ]);
  return outcome === "deleted" || outcome === "already_deleted" ? 0 : 1;
}
