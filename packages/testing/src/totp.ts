import { Secret, TOTP } from "otpauth";
import type { jsonCaller } from "./http.ts";

/** The code an authenticator app shows `steps` periods of 30 s after `now`. */
export function codeAt(secret: string, steps = 0, now = Date.now()): string {
  return TOTP.generate({ secret: Secret.fromBase32(secret), timestamp: now + steps * 30_000 });
}

/**
 * Enrols the token's user in TOTP through the API with a code of the current step, s0 (`now`):
 * a later code of the test is `codeAt(secret, 1, now)`, since a step once used is refused.
 * Returns the secret, the recovery codes and `now`.
 */
export async function enrolTotp(
  call: ReturnType<typeof jsonCaller>,
  token: string,
): Promise<{ secret: string; recoveryCodes: string[]; now: number }> {
  const started = await call("POST", "/v1/me/mfa/totp", { token });
  if (started.status !== 201) throw new Error(`enrolment answered ${started.status}`);
  const now = Date.now();
  const confirmed = await call("POST", "/v1/me/mfa/totp/confirm", {
    token,
    body: { code: codeAt(started.json.secret, 0, now) },
  });
  if (confirmed.status !== 200) {
    throw new Error(`confirming the enrolment answered ${confirmed.status}`);
  }
  return { secret: started.json.secret, recoveryCodes: confirmed.json.recoveryCodes, now };
}
