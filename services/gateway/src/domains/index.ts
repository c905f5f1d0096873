import type { App } from "@oryn/shared";
import type { GatewayDeps } from "../deps.ts";
import { registerCreateDomain } from "./create-domain.ts";
import { registerDeleteDomain } from "./delete-domain.ts";
import { registerListDomains } from "./list-domains.ts";
import { registerVerifyDomain } from "./verify-domain.ts";

/** A tenant's mail domains, proved by DNS: who single sign-on applies to. */
export function registerDomains(app: App, deps: GatewayDeps): void {
  registerCreateDomain(app, deps);
  registerListDomains(app, deps);
  registerDeleteDomain(app, deps);
  registerVerifyDomain(app, deps);
}
