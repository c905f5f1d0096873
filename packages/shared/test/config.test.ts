import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  baseEnv,
  ConfigError,
  controlPlaneEnv,
  loadDotEnv,
  parseConfig,
  port,
  redisEnv,
  secretFromEnvOrDevFile,
} from "../src/config.ts";

const schema = z.object({ ...baseEnv, ...controlPlaneEnv, ...redisEnv, PORT: port.default(8080) });

describe("parseConfig", () => {
  it("applies the defaults that work on a machine with local PostgreSQL and Redis", () => {
    expect(parseConfig(schema, {})).toMatchObject({
      NODE_ENV: "development",
      PORT: 8080,
      DATABASE_URL: "postgres://postgres@127.0.0.1:5432/oryn",
      REDIS_URL: "redis://127.0.0.1:6379",
      REDIS_PREFIX: "oryn",
    });
  });

  it("names every bad variable in one message", () => {
    const attempt = () =>
      parseConfig(schema, {
        PORT: "eighty",
        DATABASE_URL: "mysql://x",
        REDIS_PREFIX: "a b",
        NODE_ENV: "prod",
      });
    expect(attempt).toThrow(ConfigError);
    try {
      attempt();
    } catch (error) {
      const message = (error as Error).message;
      for (const name of ["PORT", "DATABASE_URL", "REDIS_PREFIX", "NODE_ENV"])
        expect(message).toContain(`${name}:`);
    }
  });
});

// Temporary folders of this file's tests, removed at the end.
const made: string[] = [];
const dir = () => {
  const path = mkdtempSync(join(tmpdir(), "oryn-config-test-"));
  made.push(path);
  return path;
};
afterAll(() => {
  for (const path of made) rmSync(path, { recursive: true, force: true });
});

describe("secretFromEnvOrDevFile", () => {
  it("uses the environment's value when there is one", () => {
    expect(
      secretFromEnvOrDevFile({
        name: "S",
        value: "from-env",
        nodeEnv: "production",
        secretsDir: dir(),
      }),
    ).toBe("from-env");
  });

  it("refuses to start in production without the secret, naming it", () => {
    expect(() =>
      secretFromEnvOrDevFile({
        name: "JWT_SIGNING_KEYS",
        value: undefined,
        nodeEnv: "production",
        secretsDir: dir(),
      }),
    ).toThrow(/JWT_SIGNING_KEYS: required in production/);
  });

  it("in development generates the secret once into a private file and reuses it", () => {
    const secretsDir = dir();
    const first = secretFromEnvOrDevFile({
      name: "TENANT_DB_PASSWORD_SECRET",
      value: undefined,
      nodeEnv: "development",
      secretsDir,
    });
    const second = secretFromEnvOrDevFile({
      name: "TENANT_DB_PASSWORD_SECRET",
      value: undefined,
      nodeEnv: "development",
      secretsDir,
    });
    expect(first).toHaveLength(43);
    expect(second).toBe(first);
    const file = join(secretsDir, "tenant_db_password_secret");
    expect(readFileSync(file, "utf8")).toBe(first);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });
});

describe("loadDotEnv", () => {
  it("reads a .env file without overriding the real environment", () => {
    const folder = dir();
    const file = join(folder, ".env");
    writeFileSync(file, "ORYN_DOTENV_TEST_A=from-file\nORYN_DOTENV_TEST_B=from-file\n");
    process.env.ORYN_DOTENV_TEST_B = "from-env";
    loadDotEnv(file);
    expect(process.env.ORYN_DOTENV_TEST_A).toBe("from-file");
    expect(process.env.ORYN_DOTENV_TEST_B).toBe("from-env");
    loadDotEnv(join(tmpdir(), "no-such-dir", ".env"));
  });
});
