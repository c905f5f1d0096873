import { ApiError, type App, bearerOf, isTenantCredentialShaped } from "@oryn/shared";
import type { GatewayDeps } from "../deps.ts";

/**
 * The operator API, served by the provisioner on its internal port. A verified tenant
 * credential (a person's token or an API key, of any role) is refused here with 403: operators
 * are not a tenant role, and no tenant credential travels to the provisioner. Anything else goes
 * on with its Authorization header as it came, and the provisioner compares it with
 * OPERATOR_TOKEN (401 otherwise), so the gateway never holds the operator secret.
 */
export function registerForwardToProvisioner(app: App, deps: GatewayDeps): void {
  app.all("/v1/operator/*", async (c) => {
    const principal = c.get("principal");
    if (principal) {
      deps.logger.warn(
        {
          requestId: c.get("requestId"),
          tenantId: principal.tenantId,
          path: c.req.path,
          clientIp: deps.clientIp(c),
        },
        "a tenant credential was refused on an operator route",
      );
      throw new ApiError("forbidden", {
        detail: "Operator routes take the operator credential, not a tenant's",
      });
    }
    // Expired, forged or revoked tenant credentials are not principals, and are no more the
    // operator's: anything shaped like one (a JWT, an `oryn_` key or SCIM token) is answered 401
    // here, as a bad credential anywhere is, and never travels to the provisioner. Nor does a
    // header that is not a well-formed bearer token (OPERATOR_TOKEN always is one): it may be a
    // tenant's secret with something around it.
    const header = c.req.header("authorization");
    const bearer = bearerOf(header);
    if (header !== undefined && (bearer === undefined || isTenantCredentialShaped(bearer))) {
      throw new ApiError("unauthorized", {
        detail: "Operator routes take the operator credential, not a tenant's",
      });
    }
    return deps.upstreams.provisioner.forward(c, { clientIp: deps.clientIp(c) });
  });
}
