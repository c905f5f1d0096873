import type { App } from "@oryn/shared";
import type { GatewayDeps } from "../deps.ts";
import { registerChangeMemberRole } from "./change-member-role.ts";
import { registerListMembers } from "./list-members.ts";
import { registerRemoveMember } from "./remove-member.ts";

export function registerMembers(app: App, deps: GatewayDeps): void {
  registerListMembers(app, deps);
  registerChangeMemberRole(app, deps);
  registerRemoveMember(app, deps);
}
