import type { AuditContext } from "../audit/audit-events.ts";
import { SignInRefused } from "./people.ts";
import { validateSamlResponse } from "./saml.ts";
import { pruneExpiredSeenAssertions, recordSeenAssertion } from "./seen-assertions.ts";
import { finishSignIn, type SignInDeps, spendFlow } from "./sign-in.ts";

/**
 * POST /v1/sso/saml/acs: the SAMLResponse the IdP had the browser post. RelayState names the
 * flow, which must be the one this browser started (its cookie), and is spent at once whatever
 * comes of it: its tenant and connection are the only ones the
 * response is judged against. Then the assertion id is recorded: a second acceptance of the same
 * assertion is a replay and refused. The end is the one OIDC's callback shares (finishSignIn).
 */
export async function finishSamlSignIn(
  deps: SignInDeps,
  form: { samlResponse: string | undefined; relayState: string | undefined },
  context: AuditContext,
  browserState: string | undefined,
): Promise<URL> {
  const flow = await spendFlow(deps.sql, form.relayState, browserState);
  return finishSignIn(deps, flow, context, "saml", async (connection) => {
    if (!form.samlResponse) throw new SignInRefused("invalid_response", "no SAMLResponse posted");
    const identity = await validateSamlResponse(connection, deps.sso, flow, form.samlResponse);
    const first = await recordSeenAssertion(
      deps.sql,
      connection.id,
      identity.assertionId,
      identity.replayableUntil,
    );
    if (!first) {
      throw new SignInRefused(
        "replayed_response",
        `assertion ${identity.assertionId} was accepted before`,
      );
    }
    // Records of assertions that can no longer be replayed go as new ones come.
    await pruneExpiredSeenAssertions(deps.sql);
    return { email: identity.email, name: identity.name, groups: identity.groups };
  });
}
