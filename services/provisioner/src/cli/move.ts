import { tenantDbPasswordSecret } from "@oryn/shared";
import { MoveRefused, moveTenant } from "../moves/move-tenant.ts";
import type { OperatorTenant } from "../tenants/operator-view.ts";
import type { CliContext } from "./context.ts";
import { printAnswer } from "./output.ts";

/** `oryn tenants move <id|slug> --to <server> [--settle-ms 3000]`. */
export async function moveCommand(
  context: CliContext,
  tenant: OperatorTenant,
  flags: { json: boolean; to?: string; "settle-ms"?: string },
): Promise<number> {
  if (!flags.to) {
    console.error("usage: pnpm oryn tenants move <id|slug> --to <server> [--settle-ms 3000]");
    return 2;
  }
  const settleMs = Number(flags["settle-ms"] ?? 3000);
  if (!Number.isInteger(settleMs) || settleMs < 0) {
    console.error("oryn tenants move: --settle-ms must be a whole number of milliseconds");
    return 2;
  }
  try {
    const report = await moveTenant(
      {
        controlPlane: context.controlPlane,
        servers: context.servers,
        passwordSecret: tenantDbPasswordSecret(context.config),
        logger: context.logger,
        settleMs,
        pgBinDir: context.config.PG_BIN_DIR,
      },
      tenant.id,
      flags.to,
    );
    printAnswer(flags.json, report, () => [
      `${report.slug} moved from ${report.from} to ${report.to} in ${report.ms} ms ` +
        `(writes paused ${report.writesPausedMs} ms)`,
      ...Object.entries(report.tables).map(([table, rows]) => `  ${table}: ${rows} rows`),
    ]);
    return 0;
  } catch (error) {
    if (!(error instanceof MoveRefused)) throw error;
    console.error(`oryn tenants move: ${error.message}`);
    return 1;
  }
}
