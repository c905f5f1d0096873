import type { App } from "@oryn/shared";
import type { GatewayDeps } from "../deps.ts";
import { registerAcceptInvitation } from "./accept-invitation.ts";
import { registerCreateInvitation } from "./create-invitation.ts";
import { registerListInvitations } from "./list-invitations.ts";
import { registerResendInvitation } from "./resend-invitation.ts";
import { registerRevokeInvitation } from "./revoke-invitation.ts";

export function registerInvitations(app: App, deps: GatewayDeps): void {
  registerCreateInvitation(app, deps);
  registerListInvitations(app, deps);
  registerRevokeInvitation(app, deps);
  registerResendInvitation(app, deps);
  registerAcceptInvitation(app, deps);
}
