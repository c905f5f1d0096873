import { runService } from "@oryn/shared";
import { provisionerService } from "./service.ts";

await runService(provisionerService());
