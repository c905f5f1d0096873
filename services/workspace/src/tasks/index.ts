import type { App } from "@oryn/shared";
import type { WorkspaceDeps } from "../deps.ts";
import { registerCreateTask } from "./create-task.ts";
import { registerDeleteTask } from "./delete-task.ts";
import { registerGetTask } from "./get-task.ts";
import { registerListTasks } from "./list-tasks.ts";
import { registerUpdateTask } from "./update-task.ts";

export function registerTasks(app: App, deps: WorkspaceDeps): void {
  registerListTasks(app, deps);
  registerCreateTask(app, deps);
  registerGetTask(app, deps);
  registerUpdateTask(app, deps);
  registerDeleteTask(app, deps);
}
