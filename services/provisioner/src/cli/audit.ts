import { spawn } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";

// The chain's verification is the workspace's (it owns the audit log's schema and hashing):
// `oryn audit verify` runs its command, with this process's environment, and passes its exit
// status on (0 intact, 1 broken, 2 not found or unreachable).
const verifyCli = join(
  import.meta.dirname,
  "..",
  "..",
  "..",
  "workspace",
  "src",
  "audit",
  "verify-cli.ts",
);

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
