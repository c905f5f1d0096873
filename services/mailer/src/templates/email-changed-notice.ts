import type { MailData } from "@oryn/shared";
import {
  appLink,
  formatInstant,
  type RenderedMail,
  renderMail,
  type TemplateContext,
} from "./layout.ts";
import { appPages } from "./links.ts";

/** To the old address, when a change is asked for: its owner can still stop it. */
export function emailChangedNotice(
  data: MailData<"email-changed-notice">,
  context: TemplateContext,
): RenderedMail {
  return renderMail(context, {
    subject: `The email address of your ${context.productName} account is being changed`,
    greeting: data.name,
    paragraphs: [
      `On ${formatInstant(context.requestedAt)}, someone signed in to your ${context.productName} account asked to change its email address to ${data.newEmail}. The change applies once it is confirmed from that address.`,
    ],
    notes: [
      "If this was you, there is nothing to do.",
      `If it was not, reset your password now: ${appLink(context, appPages.forgotPassword)}. That signs everyone out of your account.`,
    ],
  });
}
