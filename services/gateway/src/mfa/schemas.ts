import { z } from "@hono/zod-openapi";

const code = z
  .string()
  .regex(/^[0-9]{6}$/, "six digits")
  .openapi({ description: "The six-digit code the authenticator app shows now" });

export const totpEnrolmentSchema = z
  .object({
    secret: z.string().openapi({ description: "Base32, for typing into an authenticator app" }),
    otpauthUrl: z.string().openapi({ description: "The same, as a URI for a QR code" }),
  })
  .openapi("TotpEnrolment");

export const confirmTotpBody = z.object({ code }).openapi("TotpConfirmation");

export const recoveryCodesSchema = z
  .object({
    recoveryCodes: z.array(z.string()).openapi({
      description: "Ten single-use codes, each signing in once without the app; shown only now",
    }),
  })
  .openapi("RecoveryCodes");

export const disableTotpBody = z
  .object({ password: z.string().min(1).max(256) })
  .openapi("TotpDisabling");

export const secondFactorBody = z
  .object({
    mfaToken: z.string().min(1).max(200),
    code: code.optional(),
    recoveryCode: z
      .string()
      .min(1)
      .max(64)
      .optional()
      .openapi({ description: "One of the recovery codes, instead of `code`" }),
  })
  .refine((body) => (body.code === undefined) !== (body.recoveryCode === undefined), {
    message: "give either `code` or `recoveryCode`",
    path: ["code"],
  })
  .openapi("SecondFactor");

export const mfaChallengeSchema = z
  .object({
    mfaRequired: z.literal(true),
    mfaToken: z.string().openapi({
      description: "For POST /v1/auth/mfa with the second factor, within five minutes",
    }),
  })
  .openapi("MfaChallenge");
