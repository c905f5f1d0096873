import { ApiError } from "@oryn/shared";

export function etagOf(version: number): string {
  return `"${version}"`;
}

/**
 * The version an `If-Match` header asks for: undefined when there is none (or `*`), so the
 * write is unconditional. A value that names no version of ours cannot match: 412.
 */
export function expectedVersion(ifMatch: string | undefined): number | undefined {
  if (ifMatch === undefined || ifMatch.trim() === "*") return undefined;
  const match = ifMatch.trim().match(/^(?:W\/)?"(\d{1,9})"$/);
  if (!match?.[1])
    throw new ApiError("precondition_failed", { detail: "If-Match does not name a current ETag" });
  return Number(match[1]);
}
