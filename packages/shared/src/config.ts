import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { z } from "zod";

/** Thrown at start when a setting is missing or malformed; the message names the variable. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Reads `.env` from the working directory if there is one; real environment variables win. */
export function loadDotEnv(path = resolve(process.cwd(), ".env")): void {
  if (existsSync(path)) process.loadEnvFile(path);
}

/** Parses the environment once against a service's schema, naming every bad variable. */
export function parseConfig<S extends z.ZodType>(
  schema: S,
  source: Record<string, string | undefined> = process.env,
): z.output<S> {
  const result = schema.safeParse(source);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => {
    const name = issue.path.join(".") || "(environment)";
    return `  ${name}: ${issue.message}`;
  });
  throw new ConfigError(`Invalid configuration:\n${lines.join("\n")}`);
}

const postgresUrl = z
  .string()
  .regex(/^postgres(ql)?:\/\/[^\s]+$/, "must be a postgres:// URL")
  .refine((value) => URL.canParse(value), "must be a postgres:// URL");
const redisUrl = z
  .string()
  .regex(/^rediss?:\/\/[^\s]+$/, "must be a redis:// URL")
  .refine((value) => URL.canParse(value), "must be a redis:// URL");
export const port = z.coerce.number().int().min(0).max(65535);
export const positiveInt = z.coerce.number().int().positive();
/** An empty value means unset (compose files and shells write `NAME=` for that). */
export const unsetWhenEmpty = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (value === "" ? undefined : value), schema);
export const nonNegativeInt = z.coerce.number().int().min(0);
/** A URL-ish value for the JWKS, upstreams and the like. */
export const httpUrl = z.url({ protocol: /^https?$/ });

/**
 * What docs/configuration.md says of a setting, beside `description` (`.describe()` or `.meta()`
 * on the field): `pnpm docs:config` writes that page from the schemas, so the text lives here,
 * on the field, and nowhere else.
 */
declare module "zod" {
  interface GlobalMeta {
    /** A secret: never logged, never committed. */
    secret?: boolean;
    /** What an optional setting without a default means when it is not set. */
    unset?: string;
  }
}

/** Settings every service reads; each service's `env.ts` spreads the groups it needs. */
export const baseEnv = {
  NODE_ENV: z
    .enum(["development", "test", "production"])
    .default("development")
    .describe(
      "`production` refuses to start without the secrets; elsewhere a missing secret is generated into SECRETS_DIR.",
    ),
  LOG_LEVEL: z
    .enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"])
    .default("info")
    .describe("Level of the pino JSON logs on stdout."),
  HOST: z.string().min(1).default("127.0.0.1").describe("Address to listen on."),
  OTEL_EXPORTER_OTLP_ENDPOINT: httpUrl.optional().meta({
    description:
      "OTLP/HTTP collector for traces, e.g. `http://otel-collector:4318` (`/v1/traces` is appended).",
    unset: "no tracing",
  }),
  SECRETS_DIR: z
    .string()
    .min(1)
    .default(".secrets")
    .describe(
      "Where secrets that are not set are generated outside production (one file per secret, mode 0600).",
    ),
};

export const controlPlaneEnv = {
  DATABASE_URL: postgresUrl
    .default("postgres://postgres@127.0.0.1:5432/oryn")
    .describe("The control-plane database (tenants, users, memberships, placement, billing)."),
  DATABASE_POOL_MAX: positiveInt.default(10).describe("Connections in the control-plane pool."),
};

export const redisEnv = {
  REDIS_URL: z
    .string()
    .default("redis://127.0.0.1:6379")
    .refine(
      (value) => value.split(",").every((seed) => redisUrl.safeParse(seed.trim()).success),
      "must be a redis:// URL, or several separated by commas (a Redis Cluster's seed nodes)",
    )
    .describe(
      "Redis (rate limits, queues); a comma-separated list of `redis://` seed nodes means a Redis Cluster.",
    ),
  REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, "letters, digits, '_' and '-' only")
    .default("oryn")
    .describe(
      "Prefix of every Redis key Oryn writes; queues use it as the hash tag `{oryn}`, so all of a queue's keys share one Redis Cluster slot.",
    ),
};

/** The provisioner's view of the tenant server: an admin connection and the template. */
export const tenantServerAdminEnv = {
  TENANT_DATABASE_URL: postgresUrl
    .default("postgres://postgres@127.0.0.1:5432/postgres")
    .describe(
      "Admin connection (a role that may create roles and databases, not necessarily a superuser) to the first tenant database server; its user and password are used on every registered server.",
    ),
  TENANT_TEMPLATE_DATABASE: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, "a lower-case PostgreSQL identifier")
    .default("oryn_tenant_template")
    .describe(
      "The template every tenant database is cloned from, kept at the latest tenant migration on each server.",
    ),
};

export const tenantPasswordEnv = {
  TENANT_DB_PASSWORD_SECRET: z.string().min(32, "at least 32 characters").optional().meta({
    description:
      "Key of the HMAC that derives each tenant role's password (at least 32 characters); workspace and provisioner must have the same one.",
    secret: true,
    unset: "generated into SECRETS_DIR outside production",
  }),
};

/**
 * The workspace's view of the tenant server: where it is, and nothing to log in with. It logs in
 * to each tenant database as that tenant's role, so it never holds the admin's credentials.
 */
export const tenantServerEnv = {
  TENANT_DATABASE_SERVER: z
    .url({ protocol: /^postgres(ql)?$/ })
    .refine((value) => {
      const url = new URL(value);
      return !url.username && !url.password && (url.pathname === "" || url.pathname === "/");
    }, "postgres://host:port only, with no user, password or database")
    .default("postgres://127.0.0.1:5432")
    .describe(
      "Where tenants placed before the server registry are, as `postgres://host:port` without credentials: workspace logs in to each tenant database as the tenant's own role.",
    ),
};

/** What ties an access token to this deployment: the gateway signs these claims, others check them. */
export const tokenClaimsEnv = {
  JWT_ISSUER: z
    .string()
    .min(1)
    .default("oryn")
    .describe("`iss` of access tokens; the same in gateway, workspace and billing."),
  JWT_AUDIENCE: z
    .string()
    .min(1)
    .default("oryn-api")
    .describe("`aud` of access tokens; the same in gateway, workspace and billing."),
};

/** Workspace and billing verify every token themselves, with the gateway's public keys. */
export const tokenVerifierEnv = {
  ...tokenClaimsEnv,
  JWKS_URL: httpUrl
    .default("http://127.0.0.1:8080/.well-known/jwks.json")
    .describe("The gateway's public keys, with which every access token is verified again."),
};

/** `pnpm migrate`: the control-plane migrations (packages/shared/src/migrations/cli.ts). */
export const migrateEnv = z.object({ ...baseEnv, ...controlPlaneEnv });

/**
 * A secret from the environment, or in development one generated once into an ignored file, so
 * `pnpm start` works on a fresh clone while production refuses to start without the real one.
 * Files are created exclusively: services starting together agree on one value.
 */
export function secretFromEnvOrDevFile(options: {
  name: string;
  value: string | undefined;
  nodeEnv: "development" | "test" | "production";
  secretsDir: string;
  generate?: () => string;
}): string {
  if (options.value) return options.value;
  if (options.nodeEnv === "production") {
    throw new ConfigError(`Invalid configuration:\n  ${options.name}: required in production`);
  }
  const dir = resolve(options.secretsDir);
  const file = join(dir, options.name.toLowerCase());
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const generated = (options.generate ?? (() => randomBytes(32).toString("base64url")))();
  try {
    writeFileSync(file, generated, { flag: "wx", mode: 0o600 });
    return generated;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    // Another service may have created the file an instant ago and not written it yet.
    for (let attempt = 0; attempt < 50; attempt++) {
      const existing = readFileSync(file, "utf8").trim();
      if (existing) return existing;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
    }
    throw new ConfigError(`Invalid configuration:\n  ${options.name}: ${file} is empty`);
  }
}

/** The key tenant role passwords derive from; provisioner and workspace must read the same one. */
export function tenantDbPasswordSecret(config: {
  TENANT_DB_PASSWORD_SECRET?: string | undefined;
  NODE_ENV: "development" | "test" | "production";
  SECRETS_DIR: string;
}): string {
  return secretFromEnvOrDevFile({
    name: "TENANT_DB_PASSWORD_SECRET",
    value: config.TENANT_DB_PASSWORD_SECRET,
    nodeEnv: config.NODE_ENV,
    secretsDir: config.SECRETS_DIR,
  });
}

export const tenantDeletionEnv = {
  TENANT_DELETION_GRACE_SECONDS: positiveInt
    .max(365 * 24 * 3600)
    .default(7 * 24 * 3600)
    .describe(
      "How long a deleted tenant stays `deleting` (an operator can restore it) before its data is dropped; at most a year.",
    ),
};

/**
 * Tenant exports: the provisioner writes archives under EXPORT_DIR, the gateway streams them from
 * there, so both must see the same directory (one host, or a shared volume).
 */
export const exportEnv = {
  EXPORT_DIR: z
    .string()
    .min(1)
    .default(".exports")
    .describe(
      "Where tenant export archives are written (provisioner) and streamed from (gateway): both must see the same directory.",
    ),
  EXPORT_TTL_SECONDS: positiveInt
    .max(30 * 24 * 3600)
    .default(24 * 3600)
    .describe(
      "How long a finished export can be downloaded before the provisioner's sweep removes it; at most 30 days.",
    ),
};
