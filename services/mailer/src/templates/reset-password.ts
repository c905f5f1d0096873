import type { MailData } from "@oryn/shared";
import { type RenderedMail, renderLinkMail, type TemplateContext } from "./layout.ts";
import { appPages } from "./links.ts";

export function resetPassword(
  data: MailData<"reset-password">,
  context: TemplateContext,
): RenderedMail {
  return renderLinkMail(context, data, {
    subject: `Reset your ${context.productName} password`,
    greeting: data.name,
    paragraphs: [
      `Someone asked to reset the password of your ${context.productName} account. To choose a new password, open this link.`,
      "Resetting your password signs you out everywhere.",
    ],
    action: { label: "Choose a new password", page: appPages.resetPassword },
    ifNotYou: "If you did not ask for this, ignore this message: your password stays as it is.",
  });
}
