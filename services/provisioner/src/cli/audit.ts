import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";

// The chain's verification is the workspace's (it owns the audit log's schema and hashing):
// `oryn audit verify` runs its command, found through @oryn/workspace's exports (a dependency of
// this package, so it is there wherever the provisioner is installed), with this process's
// environment, and passes its exit status on (0 intact, 1 broken, 2 not found or unreachable).
const verifyCli = fileURLToPath(import.meta.resolve("@oryn/workspace/audit-verify-cli"));

/** `oryn audit verify <id|slug>`. */
export async function auditCommand(args: string[]): Promise<number> {
  const [action, ref] = args;
  if (action !== "verify" || !ref) {
    console.error("usage: pnpm oryn audit verify <id|slug>");
    return 2;
  }
  const child = spawn(process.execPath, [verifyCli, ref], { stdio: "inherit" });
  const [code] = (await once(child, "exit")) as [number | null];
  return code ?? 1;
}
