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
/** A URL-ish value for the JWKS, upstreams and the like. */
export const httpUrl = z.url({ protocol: /^https?$/ });

/** Settings every service reads; each service's `env.ts` spreads the groups it needs. */
export const baseEnv = {
  NODE_ENV: z.enum(["development", "test", "production"]).default("development"),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  HOST: z.string().min(1).default("127.0.0.1"),
  /** OTLP/HTTP collector for traces (e.g. http://otel-collector:4318); unset: no tracing. */
  OTEL_EXPORTER_OTLP_ENDPOINT: httpUrl.optional(),
  /** Where development secrets are generated when they are not set. */
  SECRETS_DIR: z.string().min(1).default(".secrets"),
};

export const controlPlaneEnv = {
  DATABASE_URL: postgresUrl.default("postgres://postgres@127.0.0.1:5432/oryn"),
  DATABASE_POOL_MAX: positiveInt.default(10),
};

export const redisEnv = {
  /** One server, or comma-separated seed nodes of a Redis Cluster. */
  REDIS_URL: z
    .string()
    .default("redis://127.0.0.1:6379")
    .refine(
      (value) => value.split(",").every((seed) => redisUrl.safeParse(seed.trim()).success),
      "must be a redis:// URL, or several separated by commas (a Redis Cluster's seed nodes)",
    ),
  /**
   * Prefix of every Redis key Oryn writes (queues, rate limits). Queues wrap it in braces, a
   * Redis Cluster hash tag, so all of a queue's keys stay in one slot (`queuePrefix`).
   */
  REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, "letters, digits, '_' and '-' only")
    .default("oryn"),
};

/** The provisioner's view of the tenant server: an admin connection and the template. */
export const tenantServerAdminEnv = {
  /** Admin connection (a role that may create roles and databases) to the tenant server. */
  TENANT_DATABASE_URL: postgresUrl.default("postgres://postgres@127.0.0.1:5432/postgres"),
  /** Template every tenant database is cloned from; kept at the latest tenant migration. */
  TENANT_TEMPLATE_DATABASE: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, "a lower-case PostgreSQL identifier")
    .default("oryn_tenant_template"),
};

/** Key from which each tenant role's password is derived (HMAC); provisioner and workspace. */
export const tenantPasswordEnv = {
  TENANT_DB_PASSWORD_SECRET: z.string().min(32, "at least 32 characters").optional(),
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
    .default("postgres://127.0.0.1:5432"),
};

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

/** How long a tenant stays `deleting` (restorable by an operator) before its data is dropped. */
export const tenantDeletionEnv = {
  TENANT_DELETION_GRACE_SECONDS: positiveInt.max(365 * 24 * 3600).default(7 * 24 * 3600),
};

/**
 * Tenant exports: the provisioner writes archives under EXPORT_DIR, the gateway streams them from
 * there, so both must see the same directory (one host, or a shared volume).
 */
export const exportEnv = {
  EXPORT_DIR: z.string().min(1).default(".exports"),
  /** How long a finished export can be downloaded before it is removed. */
  EXPORT_TTL_SECONDS: positiveInt.max(30 * 24 * 3600).default(24 * 3600),
};
