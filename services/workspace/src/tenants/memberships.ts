import { ApiError, type Sql } from "@oryn/shared";
import { isMember } from "@oryn/shared/control-plane/tables/memberships";

/**
 * A task's assignee must be a member of the tenant. Memberships live in the control plane, so a
 * foreign key cannot say it; this is checked before the tenant write. A member removed in the
 * instant between the check and the write keeps the task (as any task of a member who leaves).
 */
export async function assertMember(
  controlPlane: Sql,
  tenantId: string,
  userId: string | null | undefined,
): Promise<void> {
  if (userId === null || userId === undefined) return;
  if (!(await isMember(controlPlane, tenantId, userId))) {
    throw new ApiError("validation_failed", {
      errors: [{ path: "assigneeId", message: "not a member of this tenant" }],
    });
  }
}
