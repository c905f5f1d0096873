/** The provisioning steps in order; a tenant row shows the one being run. */
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
