import { ApiError, type TransactionSql } from "@oryn/shared";

export function etagOf(version: number): string {
  return `"${version}"`;
}

/**
 * The versions an `If-Match` header accepts: undefined when there is none (or `*`), so the write
 * is unconditional. If-Match compares strongly (RFC 9110 §13.1.1): weak tags (`W/"1"`) never
 * match. A header naming no version of ours cannot match anything: 412 at once.
 */
export function acceptedVersions(ifMatch: string | undefined): number[] | undefined {
  if (ifMatch === undefined || ifMatch.trim() === "*") return undefined;
  const versions = ifMatch
    .split(",")
    .map((tag) => tag.trim().match(/^"(0|[1-9]\d{0,8})"$/)?.[1])
    .filter((version): version is string => version !== undefined)
    .map(Number);
  if (versions.length === 0) {
    throw new ApiError("precondition_failed", { detail: "If-Match names no current ETag" });
  }
  return versions;
}

/**
 * The `and version in (...)` of a conditional write; nothing when it is unconditional. A value
 * list rather than `= any($1::int[])`: tenant pools do not fetch PostgreSQL's array types (see
 * tenant-pools.ts), so they cannot send arrays as parameters.
 */
export function versionGuard(tx: TransactionSql, versions: number[] | undefined) {
  return versions === undefined ? tx`` : tx`and version in ${tx(versions)}`;
}
