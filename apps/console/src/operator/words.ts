import type { components } from "@oryn/client";

export type OperatorTenant = components["schemas"]["OperatorTenant"];
export type TenantStatus = OperatorTenant["status"];

export const statusWords: Record<TenantStatus, string> = {
  provisioning: "Provisioning",
  provisioning_failed: "Provisioning failed",
  active: "Active",
  restricted: "Restricted",
  deleting: "Being deleted",
  deleted: "Deleted",
};

export const statuses = Object.keys(statusWords) as TenantStatus[];

// The provisioner's steps in order, from the list the provisioner runs.
export { stepNames as steps } from "@oryn/shared/provisioning-steps";

export function isStatus(value: string | null): value is TenantStatus {
  return value !== null && (statuses as string[]).includes(value);
}
