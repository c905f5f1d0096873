import { runService } from "@oryn/shared";
import { type StepName, stepNames } from "@oryn/shared/provisioning-steps";
import { provisionerService } from "../src/service.ts";

/**
 * The provisioner as a crash test runs it (crash.test.ts): the real process, which SIGKILLs
 * itself, as abruptly as an OOM kill would, mid-job and holding its lock, when a job reaches
 * ORYN_TEST_CRASH_AT_STEP (`spare_claimed`: between recording a spare's claim and renaming it).
 * The hook lives here, not in the service's settings: production has no way to turn it on.
 */
const crashAt = process.env.ORYN_TEST_CRASH_AT_STEP as StepName | "spare_claimed" | undefined;
if (crashAt !== undefined && crashAt !== "spare_claimed" && !stepNames.includes(crashAt)) {
  throw new Error(`ORYN_TEST_CRASH_AT_STEP: no step named ${crashAt}`);
}
const crash = () => process.kill(process.pid, "SIGKILL");

await runService(
  provisionerService({
    beforeStep: (step) => {
      if (step === crashAt) crash();
    },
    afterSpareClaimed: () => {
      if (crashAt === "spare_claimed") crash();
    },
  }),
);
