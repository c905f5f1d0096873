import { connect, tenantDatabaseName, tenantRoleName } from "@oryn/shared";
import { Redis } from "ioredis";

/**
 * Removes what one run made: its tenants' databases and roles, the template, the control-plane
 * database, and every Redis key under its prefix. The shared `oryn_tenant` group role goes too,
 * unless another database still grants it something (then PostgreSQL refuses, and it stays).
 */
export async function removeRun(options: {
  postgresUrl: string;
  controlPlaneDatabase: string;
  templateDatabase: string;
  redisUrl: string;
  redisPrefix: string;
}): Promise<void> {
  const admin = connect(options.postgresUrl, { max: 1 });
  try {
    const [exists] =
      await admin`select 1 from pg_database where datname = ${options.controlPlaneDatabase}`;
    let tenantIds: string[] = [];
    if (exists) {
      const controlPlane = connect(
        options.postgresUrl.replace(/\/[^/]*$/, `/${options.controlPlaneDatabase}`),
        { max: 1 },
      );
      try {
        tenantIds = (await controlPlane<{ id: string }[]>`select id from tenants`).map(
          (row) => row.id,
        );
      } catch {
        // Migrations never ran: no tenants.
      } finally {
        await controlPlane.end();
      }
    }
    for (const id of tenantIds) {
      await admin`drop database if exists ${admin(tenantDatabaseName(id))} with (force)`;
      await admin`drop role if exists ${admin(tenantRoleName(id))}`;
    }
    await admin`drop database if exists ${admin(options.templateDatabase)} with (force)`;
    await admin`drop database if exists ${admin(options.controlPlaneDatabase)} with (force)`;
    // Control planes of tests' own (harness/control-planes.ts) that a failed test left behind.
    const extra = await admin<{ datname: string }[]>`
      select datname from pg_database where starts_with(datname, ${`${options.controlPlaneDatabase}_`})`;
    for (const { datname } of extra) {
      await admin`drop database if exists ${admin(datname)} with (force)`;
    }
    // Server-wide roles the migrations made; PostgreSQL refuses while another database uses them.
    for (const role of [
      "oryn_tenant",
      "oryn_gateway",
      "oryn_workspace",
      "oryn_billing",
      "oryn_provisioner",
    ]) {
      await admin`drop role if exists ${admin(role)}`.catch(() => {});
    }
  } finally {
    await admin.end();
  }

  const redis = new Redis(options.redisUrl);
  try {
    // Queue keys ({prefix}:…, and {prefix-suffix}:… for tests that need a queue of their own)
    // and plain keys (prefix:…, the rate limits).
    const patterns = [
      `{${options.redisPrefix}}:*`,
      `{${options.redisPrefix}-*`,
      `${options.redisPrefix}:*`,
      // Rate limits of processes started with a prefix of their own (`<prefix>-<test>`).
      `${options.redisPrefix}-*`,
    ];
    for (const pattern of patterns) {
      let cursor = "0";
      do {
        const [next, keys] = await redis.scan(cursor, "MATCH", pattern, "COUNT", 1000);
        cursor = next;
        if (keys.length > 0) await redis.unlink(...keys);
      } while (cursor !== "0");
    }
  } finally {
    redis.disconnect();
  }
}
