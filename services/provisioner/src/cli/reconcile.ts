import { reconciledServers } from "../reconcile/orphans.ts";
import { reconcile } from "../reconcile/reconcile.ts";
import type { CliContext } from "./context.ts";
import { printAnswer } from "./output.ts";

/** `oryn reconcile [--remove]`: restart stuck tenants, report (and with --remove drop) orphans. */
export async function reconcileCommand(
  context: CliContext,
  flags: { json: boolean; remove: boolean },
): Promise<number> {
  const report = await reconcile({
    controlPlane: context.controlPlane,
    queues: context.queues(),
    servers: await reconciledServers(context.controlPlane, context.servers),
    logger: context.logger,
    // On demand, a tenant untouched for a minute is stuck enough to be looked at.
    olderThanSeconds: 60,
    remove: flags.remove,
  });
  printAnswer(flags.json, report, () => [
    `requeued ${report.requeued} tenant(s) stuck in provisioning`,
    report.orphans.length === 0
      ? "no orphan databases or roles"
      : `${report.orphans.length} orphan(s)${report.removed ? ", removed" : " (run with --remove to drop them)"}:`,
    ...report.orphans.map(
      (orphan) => `  ${orphan.server} ${orphan.kind} ${orphan.name} (${orphan.reason})`,
    ),
  ]);
  return 0;
}
