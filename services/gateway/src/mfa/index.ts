import type { App } from "@oryn/shared";
import type { GatewayDeps } from "../deps.ts";
import { registerConfirmTotpEnrolment } from "./confirm-totp-enrolment.ts";
import { registerDisableTotp } from "./disable-totp.ts";
import { registerStartTotpEnrolment } from "./start-totp-enrolment.ts";

export function registerMfa(app: App, deps: GatewayDeps): void {
  registerStartTotpEnrolment(app, deps);
  registerConfirmTotpEnrolment(app, deps);
  registerDisableTotp(app, deps);
}
