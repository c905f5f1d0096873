/**
 * `pnpm oryn <command>`: the operator's CLI. It acts with the provisioner's settings and rights
 * (the same environment as services/provisioner), prints its answer on stdout (JSON with
 * --json) and its logs and progress on stderr.
 */
import { parseArgs } from "node:util";
import { auditCommand } from "./audit.ts";
import { createCliContext } from "./context.ts";
import { migrateCommand } from "./migrate.ts";
import { reconcileCommand } from "./reconcile.ts";
import { serversCommand } from "./servers.ts";
import { tenantLifecycleCommand } from "./tenant-lifecycle.ts";
import { tenantsCommand } from "./tenants.ts";

const usage = `usage: pnpm oryn <command> [--json]
  migrate [--canary N] [--concurrency 4]
                           apply this release's tenant migrations: every server's template, then
                           every active or restricted tenant database (only those behind)
  reconcile [--remove]     restart tenants stuck in provisioning; report (or drop) orphan databases and roles
  tenants list [--status <status>] [--server <name>]
  tenants show <id|slug>   everything the control plane knows of a tenant, error detail included
  tenants retry <id|slug>  a provisioning_failed tenant back to provisioning, with a fresh job
  tenants move <id|slug> --to <server> [--settle-ms 3000]
                           copy a tenant's database to another server (writes paused meanwhile),
                           verify it, switch, drop the old copy
  tenants delete <id|slug> [--now]
                           delete as its owner would (grace period, sessions end); --now drops its data at once
  tenants restore <id|slug>
                           undo a deletion within its grace period
  audit verify <id|slug>   check a tenant's audit-log hash chain; names the first broken row
  servers list             the registered tenant database servers, their state and load
  servers add <name> --host <host> [--port 5432] --capacity <n>
  servers drain <name>     take no new tenants there (its tenants stay); servers accept <name> undoes it`;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    json: { type: "boolean", default: false },
    remove: { type: "boolean", default: false },
    host: { type: "string" },
    port: { type: "string" },
    capacity: { type: "string" },
    canary: { type: "string" },
    status: { type: "string" },
    server: { type: "string" },
    concurrency: { type: "string" },
    to: { type: "string" },
    "settle-ms": { type: "string" },
    now: { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  },
});

const [command] = positionals;
if (values.help || !command) {
  console.log(usage);
  process.exit(values.help ? 0 : 2);
}

const context = createCliContext();
let code = 0;
try {
  switch (command) {
    case "migrate":
      code = await migrateCommand(context, values);
      break;
    case "reconcile":
      code = await reconcileCommand(context, { json: values.json, remove: values.remove });
      break;
    case "tenants":
      code = ["delete", "restore"].includes(positionals[1] ?? "")
        ? await tenantLifecycleCommand(context, positionals.slice(1), values)
        : await tenantsCommand(context, positionals.slice(1), values);
      break;
    case "audit":
      code = await auditCommand(positionals.slice(1));
      break;
    case "servers":
      code = await serversCommand(context, positionals.slice(1), values);
      break;
    default:
      console.error(`oryn: unknown command ${command}\n${usage}`);
      code = 2;
  }
} catch (error) {
  console.error(`oryn ${command}: ${error instanceof Error ? error.message : String(error)}`);
  code = 1;
} finally {
  await context.close();
}
process.exit(code);
