import type { MailData } from "@oryn/shared";
import {
  appLink,
  expiryNotes,
  type RenderedMail,
  renderMail,
  type TemplateContext,
} from "./layout.ts";
import { appPages } from "./links.ts";

export function resetPassword(
  data: MailData<"reset-password">,
  context: TemplateContext,
): RenderedMail {
  return renderMail(context, {
    subject: `Reset your ${context.productName} password`,
    greeting: data.name,
    paragraphs: [
      `Someone asked to reset the password of your ${context.productName} account. To choose a new password, open this link.`,
      "Resetting your password signs you out everywhere.",
    ],
    action: {
      label: "Choose a new password",
      url: appLink(context, appPages.resetPassword, { token: data.token }),
    },
    notes: [
      ...expiryNotes(data.expiresAt),
      "If you did not ask for this, ignore this message: your password stays as it is.",
    ],
  });
}
