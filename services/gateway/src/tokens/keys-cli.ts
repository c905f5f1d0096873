/**
 * `pnpm keys <command>`: edits the gateway's signing key set (JWT_SIGNING_KEYS) for rotation.
 *
 *   pnpm keys list              the kids, and which one signs
 *   pnpm keys add               a new key, published and trusted but not signing yet
 *   pnpm keys promote <kid>     make <kid> the signing key
 *   pnpm keys retire <kid>      drop <kid> (after its last token expired: ACCESS_TOKEN_TTL_SECONDS)
 *   pnpm keys rotate            add and promote at once (one gateway, or brief 401s acceptable)
 *
 * The set is read from JWT_SIGNING_KEYS, or from the file named by --file (the development
 * secret file by default). The new set goes to stdout, or back into --file with --write; the
 * private keys never appear in logs. See "Rotating signing keys" in docs/operations.md.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { baseEnv, ConfigError, loadDotEnv, parseConfig } from "@oryn/shared";
import { z } from "zod";
import { keyRotation } from "./signing-keys.ts";

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { file: { type: "string" }, write: { type: "boolean", default: false } },
});
const [command, kid] = positionals;
// The same sources as the gateway: `.env` in the working directory, then the environment.
loadDotEnv();
const env = parseConfig(
  z.object({
    SECRETS_DIR: baseEnv.SECRETS_DIR,
    JWT_SIGNING_KEYS: z.string().min(1).optional(),
  }),
);
const file = values.file ?? join(env.SECRETS_DIR, "jwt_signing_keys");
const fromEnv = values.file === undefined ? env.JWT_SIGNING_KEYS : undefined;

function output(set: string, message: string): void {
  if (values.write) {
    writeFileSync(file, set, { mode: 0o600 });
    console.error(`${message}; written to ${file}`);
  } else {
    process.stdout.write(`${set}\n`);
    console.error(`${message}; put the set above into JWT_SIGNING_KEYS on every gateway`);
  }
}

try {
  const set = fromEnv ?? readFileSync(file, "utf8");
  const needKid = () => {
    if (!kid) throw new ConfigError(`usage: pnpm keys ${command} <kid>`);
    return kid;
  };
  switch (command) {
    case "list":
      for (const key of keyRotation.list(set))
        console.log(`${key.kid}${key.signs ? "  (signs)" : ""}`);
      break;
    case "add": {
      const added = keyRotation.add(set);
      output(added.set, `added ${added.kid}, not signing yet`);
      break;
    }
    case "rotate": {
      const rotated = keyRotation.rotate(set);
      output(rotated.set, `${rotated.kid} signs now; the older keys still verify`);
      break;
    }
    case "promote":
      output(keyRotation.promote(set, needKid()), `${kid} signs now`);
      break;
    case "retire":
      output(keyRotation.retire(set, needKid()), `${kid} retired`);
      break;
    default:
      throw new ConfigError("usage: pnpm keys list | add | promote <kid> | retire <kid> | rotate");
  }
} catch (error) {
  if (!(error instanceof ConfigError) && (error as NodeJS.ErrnoException).code !== "ENOENT")
    throw error;
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
}
