import { connect } from "@oryn/shared";
import { Redis } from "ioredis";
import {
  GenericContainer,
  getContainerRuntimeClient,
  type StartedTestContainer,
  Wait,
} from "testcontainers";

/** PostgreSQL (an admin URL to its `postgres` database) and Redis for one test run. */
export type Infrastructure = {
  postgresUrl: string;
  redisUrl: string;
  source: "environment" | "testcontainers" | "local servers";
  stop(): Promise<void>;
};

/**
 * Services named by ORYN_TEST_POSTGRES_URL and ORYN_TEST_REDIS_URL first; containers where a
 * Docker engine answers; otherwise the servers on 127.0.0.1 (as on CI, where no engine runs).
 */
export async function resolveInfrastructure(env = process.env): Promise<Infrastructure> {
  if (env.ORYN_TEST_POSTGRES_URL && env.ORYN_TEST_REDIS_URL) {
    return checked({
      postgresUrl: env.ORYN_TEST_POSTGRES_URL,
      redisUrl: env.ORYN_TEST_REDIS_URL,
      source: "environment",
      stop: async () => {},
    });
  }
  if (await dockerAnswers()) {
    const [postgres, redis] = await Promise.all([
      new GenericContainer("postgres:15")
        .withEnvironment({ POSTGRES_HOST_AUTH_METHOD: "trust" })
        .withExposedPorts(5432)
        .withWaitStrategy(Wait.forLogMessage(/database system is ready to accept connections/, 2))
        .start(),
      new GenericContainer("redis:7")
        .withExposedPorts(6379)
        .withWaitStrategy(Wait.forLogMessage(/Ready to accept/))
        .start(),
    ]);
    return checked({
      postgresUrl: `postgres://postgres@${postgres.getHost()}:${postgres.getMappedPort(5432)}/postgres`,
      redisUrl: `redis://${redis.getHost()}:${redis.getMappedPort(6379)}`,
      source: "testcontainers",
      stop: async () => {
        await Promise.all(
          [postgres, redis].map((container: StartedTestContainer) => container.stop()),
        );
      },
    });
  }
  return checked({
    postgresUrl: "postgres://postgres@127.0.0.1:5432/postgres",
    redisUrl: "redis://127.0.0.1:6379",
    source: "local servers",
    stop: async () => {},
  });
}

async function dockerAnswers(): Promise<boolean> {
  try {
    // Without an engine this fails within milliseconds.
    await getContainerRuntimeClient();
    return true;
  } catch {
    return false;
  }
}

/** Fails the run at once, naming what does not answer, rather than in every test. */
async function checked(infrastructure: Infrastructure): Promise<Infrastructure> {
  const sql = connect(infrastructure.postgresUrl, { max: 1 });
  try {
    await sql`select 1`;
  } catch (error) {
    throw new Error(
      `PostgreSQL at ${infrastructure.postgresUrl} (${infrastructure.source}) does not answer: ${error}`,
    );
  } finally {
    await sql.end();
  }
  const redis = new Redis(infrastructure.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    throw new Error(
      `Redis at ${infrastructure.redisUrl} (${infrastructure.source}) does not answer: ${error}`,
    );
  } finally {
    redis.disconnect();
  }
  return infrastructure;
}
