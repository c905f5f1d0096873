import { ApiError, isUuid } from "@oryn/shared";

/**
 * A project's or task's id from the path, lower-cased; an id that cannot be one is simply not
 * found: it reveals nothing and needs no query.
 */
export function assertId(id: string): string {
  const lower = id.toLowerCase();
  if (!isUuid(lower)) throw new ApiError("not_found");
  return lower;
}
