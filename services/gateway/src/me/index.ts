import type { App } from "@oryn/shared";
import type { GatewayDeps } from "../deps.ts";
import { registerChangeEmail } from "./change-email.ts";
import { registerChangePassword } from "./change-password.ts";
import { registerGetMe } from "./get-me.ts";
import { registerResendVerification } from "./resend-verification.ts";
import { registerUpdateMe } from "./update-me.ts";

export function registerMe(app: App, deps: GatewayDeps): void {
  registerGetMe(app, deps);
  registerUpdateMe(app, deps);
  registerResendVerification(app, deps);
  registerChangePassword(app, deps);
  registerChangeEmail(app, deps);
}
