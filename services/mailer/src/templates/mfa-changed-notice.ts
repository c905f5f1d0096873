import type { MailData } from "@oryn/shared";
import {
  appLink,
  formatInstant,
  type RenderedMail,
  renderMail,
  type TemplateContext,
} from "./layout.ts";
import { appPages } from "./links.ts";

const changes = {
  enabled: {
    subject: "Two-factor authentication is on",
    what: "two-factor authentication was turned on for your account",
  },
  disabled: {
    subject: "Two-factor authentication is off",
    what: "two-factor authentication was turned off for your account",
  },
  recovery_code_used: {
    subject: "A recovery code was used to sign in",
    what: "someone signed in to your account with one of its recovery codes",
  },
} as const;

export function mfaChangedNotice(
  data: MailData<"mfa-changed-notice">,
  context: TemplateContext,
): RenderedMail {
  const change = changes[data.change];
  return renderMail(context, {
    subject: `${change.subject} for your ${context.productName} account`,
    greeting: data.name,
    paragraphs: [`On ${formatInstant(context.requestedAt)}, ${change.what}.`],
    action: {
      label: "Review your account's security",
      url: appLink(context, appPages.accountSecurity),
    },
    notes: [
      "If this was you, there is nothing to do.",
      `If it was not, reset your password now: ${appLink(context, appPages.forgotPassword)}.`,
    ],
  });
}
