import type { MailData } from "@oryn/shared";
import {
  appLink,
  formatInstant,
  type RenderedMail,
  renderMail,
  type TemplateContext,
} from "./layout.ts";
import { appPages } from "./links.ts";

export function passwordChangedNotice(
  data: MailData<"password-changed-notice">,
  context: TemplateContext,
): RenderedMail {
  return renderMail(context, {
    subject: `Your ${context.productName} password was changed`,
    greeting: data.name,
    paragraphs: [
      `The password of your ${context.productName} account was changed on ${formatInstant(context.requestedAt)}.`,
    ],
    notes: [
      "If this was you, there is nothing to do.",
      `If it was not, reset your password now: ${appLink(context, appPages.forgotPassword)}.`,
    ],
  });
}
