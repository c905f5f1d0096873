import type { App } from "@oryn/shared";
import type { WorkspaceDeps } from "../deps.ts";
import { registerCreateProject } from "./create-project.ts";
import { registerDeleteProject } from "./delete-project.ts";
import { registerGetProject } from "./get-project.ts";
import { registerListProjects } from "./list-projects.ts";
import { registerUpdateProject } from "./update-project.ts";

export function registerProjects(app: App, deps: WorkspaceDeps): void {
  registerListProjects(app, deps);
  registerCreateProject(app, deps);
  registerGetProject(app, deps);
  registerUpdateProject(app, deps);
  registerDeleteProject(app, deps);
}
