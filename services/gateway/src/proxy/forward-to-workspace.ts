import type { App, AppEnv } from "@oryn/shared";
import type { Context } from "hono";
import type { GatewayDeps } from "../deps.ts";
import { forwardOptions, upstreamPaths } from "./forwarding.ts";

/** Projects, tasks and the audit log: workspace verifies the token again. */
export function registerForwardToWorkspace(app: App, deps: GatewayDeps): void {
  const toWorkspace = async (c: Context<AppEnv>) =>
    deps.upstreams.workspace.forward(c, await forwardOptions(deps, c));
  for (const prefix of upstreamPaths.workspace) {
    app.all(prefix, toWorkspace);
    app.all(`${prefix}/*`, toWorkspace);
  }
}
