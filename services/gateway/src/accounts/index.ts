import type { App } from "@oryn/shared";
import type { GatewayDeps } from "../deps.ts";
import { registerForgotPassword } from "./forgot-password.ts";
import { registerResetPassword } from "./reset-password.ts";
import { registerVerifyEmail } from "./verify-email.ts";

/** The account flows anyone can reach with a link from a mail. */
export function registerAccounts(app: App, deps: GatewayDeps): void {
  registerVerifyEmail(app, deps);
  registerForgotPassword(app, deps);
  registerResetPassword(app, deps);
}
