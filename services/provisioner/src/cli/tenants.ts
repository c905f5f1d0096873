import {
  findTenantByRef,
  isTenantStatus,
  listTenants,
  type OperatorTenant,
  retryProvisioning,
} from "../tenants/operator-view.ts";
import type { CliContext } from "./context.ts";
import { moveCommand } from "./move.ts";
import { printAnswer } from "./output.ts";

const usage = `usage: pnpm oryn tenants list [--status <status>] [--server <name>] | show <id|slug> | retry <id|slug> | move <id|slug> --to <server>`;

/** `oryn tenants list | show | retry`: what the control plane knows of tenants, and a retry. */
export async function tenantsCommand(
  context: CliContext,
  args: string[],
  flags: { json: boolean; status?: string; server?: string; to?: string; "settle-ms"?: string },
): Promise<number> {
  const [action, ref] = args;
  switch (action) {
    case "list": {
      if (flags.status !== undefined && !isTenantStatus(flags.status)) {
        console.error(`oryn tenants: no status ${flags.status}\n${usage}`);
        return 2;
      }
      const tenants = await listTenants(context.controlPlane, {
        ...(flags.status ? { status: flags.status } : {}),
        ...(flags.server ? { server: flags.server } : {}),
      });
      printAnswer(flags.json, tenants, () =>
        tenants.map(
          (tenant) =>
            `${tenant.id}\t${tenant.slug}\t${tenant.status}\t${tenant.server}\tv${tenant.schemaVersion}`,
        ),
      );
      return 0;
    }
    case "show":
    case "retry":
    case "move": {
      if (!ref) {
        console.error(usage);
        return 2;
      }
      const tenant = await findTenantByRef(context.controlPlane, ref);
      if (!tenant) {
        console.error(`oryn tenants: no tenant ${ref}`);
        return 1;
      }
      if (action === "move") return moveCommand(context, tenant, flags);
      if (action === "show") {
        printAnswer(flags.json, tenant, () => describe(tenant));
        return 0;
      }
      const outcome = await retryProvisioning(context.controlPlane, context.queues(), tenant.id);
      printAnswer(flags.json, { id: tenant.id, slug: tenant.slug, outcome }, () => [
        outcome === "requeued"
          ? `${tenant.slug} is provisioning again`
          : `${tenant.slug} is ${tenant.status}, not provisioning_failed: nothing to retry`,
      ]);
      return outcome === "requeued" ? 0 : 1;
    }
    default:
      console.error(usage);
      return 2;
  }
}

function describe(tenant: OperatorTenant): string[] {
  return [
    `${tenant.slug} (${tenant.id}): ${tenant.name}`,
    `status ${tenant.status}, plan ${tenant.plan}, on ${tenant.server}, schema version ${tenant.schemaVersion}`,
    `provisioning: step ${tenant.provisioningStep ?? "-"}, attempts ${tenant.provisioningAttempts}` +
      (tenant.provisioningError ? `, error: ${tenant.provisioningError}` : ""),
    ...(tenant.provisioningErrorDetail ? [`  detail: ${tenant.provisioningErrorDetail}`] : []),
    `created ${tenant.createdAt.toISOString()}, updated ${tenant.updatedAt.toISOString()}`,
  ];
}
