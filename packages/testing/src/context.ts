import { join } from "node:path";
import { inject } from "vitest";

/** What the global setup hands every test file. */
export type TestRun = {
  runId: string;
  source: string;
  /** Admin URL of the PostgreSQL server (its `postgres` database). */
  postgresUrl: string;
  controlPlaneUrl: string;
  redisUrl: string;
  redisPrefix: string;
  templateDatabase: string;
  secretsDir: string;
  tenantDbPasswordSecret: string;
};

declare module "vitest" {
  export interface ProvidedContext {
    testRun: TestRun;
  }
}

export function testRun(): TestRun {
  return inject("testRun");
}

/** The environment every service gets in tests, before a test's own overrides. */
export function serviceEnv(run: TestRun = testRun()): Record<string, string> {
  return {
    NODE_ENV: "test",
    LOG_LEVEL: process.env.ORYN_TEST_LOG_LEVEL ?? "warn",
    DATABASE_URL: run.controlPlaneUrl,
    DATABASE_POOL_MAX: "5",
    REDIS_URL: run.redisUrl,
    REDIS_PREFIX: run.redisPrefix,
    TENANT_DATABASE_URL: run.postgresUrl,
    TENANT_DATABASE_SERVER: `postgres://${new URL(run.postgresUrl).host}`,
    TENANT_TEMPLATE_DATABASE: run.templateDatabase,
    TENANT_DB_PASSWORD_SECRET: run.tenantDbPasswordSecret,
    SECRETS_DIR: run.secretsDir,
    // Tenant exports go under the run's temporary folder, removed with it.
    EXPORT_DIR: join(run.secretsDir, "exports"),
    // A mailer without SMTP_URL writes its .eml files there too.
    MAIL_DIR: join(run.secretsDir, "mail"),
    // A small warm pool: signups in tests take the claim path and the clone path both, without
    // every provisioner a test starts cloning ten spares on the shared server.
    TENANT_SPARE_DATABASES: "2",
    // Anonymous routes are limited per IP, and in-process tests all come from one "IP".
    RATE_LIMIT_IP_PER_MINUTE: "100000",
    // Suites sign up hundreds of tenants in a minute, and every test's gateway reads the docs
    // from 127.0.0.1 under the run's one Redis prefix; these limits have tests of their own.
    SIGNUPS_PER_MINUTE: "100000",
    DOCS_PER_IP_PER_MINUTE: "100000",
    WEBHOOK_REFUSALS_PER_IP_PER_MINUTE: "100000",
    RATE_LIMIT_SESSION_PER_MINUTE: "100000",
    RATE_LIMIT_OPERATOR_PER_MINUTE: "100000",
    // Tests poll tenants while they provision, faster than a plan's burst allows; the burst
    // window has tests of its own.
    RATE_LIMIT_TENANT_PER_SECOND: "100000",
  };
}
