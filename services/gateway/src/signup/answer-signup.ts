import {
  type AppEnv,
  type IdempotentRequest,
  onceForKey,
  setAnswerHeaders,
  type TransactionSql,
} from "@oryn/shared";
import type { Context } from "hono";
import type { AuditContext } from "../audit/audit-events.ts";
import { deliverTokens } from "../auth/session-cookie.ts";
import type { GatewayDeps } from "../deps.ts";
import { afterSignup, type FreshSignup, type StoredSignup } from "./signups.ts";

/**
 * The 202 of a signup that creates the tenant (`POST /v1/signup`, or its confirmation by mail):
 * `create` runs once per Idempotency-Key in a transaction and gives what is stored (no tokens)
 * and what only this request has (tokens, mail); after the commit, `afterSignup` sends the job
 * and the mail, or mints fresh tokens for a replay, and cookie mode takes the refresh token.
 */
export async function answerSignup(
  c: Context<AppEnv>,
  deps: GatewayDeps,
  context: AuditContext,
  idempotency: IdempotentRequest | undefined,
  create: (tx: TransactionSql) => Promise<{ stored: StoredSignup; fresh: FreshSignup }>,
) {
  let fresh: FreshSignup | undefined;
  const answer = await deps.sql.begin((tx) =>
    onceForKey<StoredSignup>(tx, idempotency, async () => {
      const created = await create(tx);
      fresh = created.fresh;
      return { status: 202, body: created.stored, headers: {} };
    }),
  );
  setAnswerHeaders(c, answer);
  const done = await afterSignup(deps, c.get("logger"), context, answer.body, fresh);
  return { ...done, tokens: deliverTokens(c, done.tokens, deps.tokens.refreshTtlSeconds) };
}
