import type { Sql } from "@oryn/shared";

/**
 * One deleter or restorer per tenant at a time: the delayed job, the sweep, and an operator's
 * `tenants delete --now` or `tenants restore` may meet on the same tenant. A session-level
 * advisory lock in the control plane: a process that dies releases it with its connection, so a
 * crash never leaves a tenant locked.
 */
const tenantLifecycleLockClass = 7_310_010;

/** Runs `work` holding the tenant's lock, or answers `busy` without waiting when someone has it. */
export async function withTenantLifecycleLock<T>(
  controlPlane: Sql,
  tenantId: string,
  work: () => Promise<T>,
): Promise<T | "busy"> {
  const connection = await controlPlane.reserve();
  try {
    const [row] = await connection<{ locked: boolean }[]>`
      select pg_try_advisory_lock(${tenantLifecycleLockClass}, hashtext(${tenantId})) as locked`;
    if (!row?.locked) return "busy";
    try {
      return await work();
    } finally {
      await connection`select pg_advisory_unlock(${tenantLifecycleLockClass}, hashtext(${tenantId}))`;
    }
  } finally {
    connection.release();
  }
}
