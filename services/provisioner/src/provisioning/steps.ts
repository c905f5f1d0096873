// The console shows the same steps: the list lives in packages/shared for both.
export { type StepName, stepNames } from "@oryn/shared/provisioning-steps";
