import { z } from "zod";
import { roles } from "../tokens.ts";

/**
 * The mail Oryn sends: each template's name and the data it needs. Producers (the gateway, the
 * webhooks service) enqueue a message through `enqueueMail`; the mailer (services/mailer) owns
 * the wording, the layout and the links, built from `APP_URL`. So a producer passes a token,
 * never a link.
 */

/** One line someone chose (a name, a company): control characters would break headers and text. */
const line = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[^\p{Cc}]+$/u, "must not contain control characters");

/**
 * A single-use token as the flows mint them (base64url, with a prefix). Limited to characters
 * a URL query carries unencoded, so the token in the link is the token the user clicks.
 */
const token = z.string().regex(/^[A-Za-z0-9._-]{16,512}$/, "16 to 512 of A-Z a-z 0-9 . _ -");

/** A moment, as ISO-8601 with its offset (`new Date().toISOString()`). */
const instant = z.iso.datetime({ offset: true });

/** Link tokens: how long the link works, said in the mail when given. */
const tokenData = { token, name: line.optional(), expiresAt: instant.optional() };

export const mailTemplates = {
  /** Confirm the address of an account (signup, invitation acceptance, a new verification mail). */
  "verify-email": z.strictObject(tokenData),
  /**
   * With SIGNUP_CONFIRMATION=email: the link that finishes a signup (`POST /v1/signup/confirm`),
   * to an address that has no account yet.
   */
  "confirm-signup": z.strictObject({ ...tokenData, companyName: line }),
  /**
   * With SIGNUP_CONFIRMATION=email: someone asked to sign a company up with an address that
   * already has an account. Sent instead of a link, so the answer to the signup need not differ.
   */
  "signup-existing-account": z.strictObject({ name: line.optional(), companyName: line }),
  /** A password reset link. */
  "reset-password": z.strictObject(tokenData),
  /** An invitation to join a tenant; the token is accepted at `POST /v1/invitations/accept`. */
  invitation: z.strictObject({
    token,
    inviterName: line,
    tenantName: line,
    role: z.enum(roles),
    expiresAt: instant.optional(),
  }),
  /** To the new address of an email change: confirming it applies the change. */
  "email-change-confirm": z.strictObject(tokenData),
  /** To the old address of an email change, when it is requested. */
  "email-changed-notice": z.strictObject({ newEmail: z.email(), name: line.optional() }),
  /** The account's password was changed or reset. */
  "password-changed-notice": z.strictObject({ name: line.optional() }),
  /** Two-factor authentication was turned on or off, or a recovery code was used to sign in. */
  "mfa-changed-notice": z.strictObject({
    name: line.optional(),
    change: z.enum(["enabled", "disabled", "recovery_code_used"]),
  }),
  /** To a tenant's admins: deliveries to a webhook endpoint kept failing, so it was disabled. */
  "webhook-endpoint-disabled": z.strictObject({
    tenantName: line,
    endpointUrl: z.url({ protocol: /^https?$/ }).max(2048),
    /** When deliveries started failing. */
    failingSince: instant,
  }),
} as const;

export type MailTemplate = keyof typeof mailTemplates;
export type MailData<T extends MailTemplate> = z.infer<(typeof mailTemplates)[T]>;
export const mailTemplateNames = Object.keys(mailTemplates) as MailTemplate[];

/**
 * Names one message for deduplication: the job id and the Message-ID header derive from it, so
 * a message enqueued twice is sent once, and a retried delivery carries the same Message-ID.
 */
export const mailId = z.string().regex(/^[A-Za-z0-9_.-]{1,200}$/, "1 to 200 of A-Z a-z 0-9 _ . -");

/** A `mail.send` job's payload. */
export type MailMessage = {
  [T in MailTemplate]: { id: string; template: T; to: string; data: MailData<T> };
}[MailTemplate];

function messageSchema<T extends MailTemplate>(template: T) {
  return z.strictObject({
    id: mailId,
    template: z.literal(template),
    to: z.email(),
    data: mailTemplates[template],
  });
}

/** The payload schema of `mail.send`: one variant per template, told apart by `template`. */
export const mailMessage = z.discriminatedUnion(
  "template",
  mailTemplateNames.map(messageSchema) as unknown as [
    ReturnType<typeof messageSchema>,
    ...ReturnType<typeof messageSchema>[],
  ],
) as unknown as z.ZodType<MailMessage>;
