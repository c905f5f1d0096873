/**
 * The provisioning steps in order; a tenant row shows the one being run. Shared with the console
 * (imported as `@oryn/shared/provisioning-steps`, so this file must import nothing): its progress
 * bars count and name these steps.
 */
export const stepNames = [
  "place",
  "prepare_template",
  "create_role",
  "create_database",
  "migrate",
  "grant_access",
  "activate",
] as const;
export type StepName = (typeof stepNames)[number];
