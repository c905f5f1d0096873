import type { App } from "@oryn/shared";
import type { ProvisionerDeps } from "../deps.ts";
import { registerQueueBoard } from "./queue-board.ts";

/** What operators reach on the internal port, behind the operator token. */
export function registerAdmin(app: App, deps: ProvisionerDeps): void {
  registerQueueBoard(app, { queues: deps.queues, operatorToken: deps.operatorToken });
}
