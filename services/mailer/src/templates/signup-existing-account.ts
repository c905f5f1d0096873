import type { MailData } from "@oryn/shared";
import { appLink, type RenderedMail, renderMail, type TemplateContext } from "./layout.ts";
import { appPages } from "./links.ts";

export function signupExistingAccount(
  data: MailData<"signup-existing-account">,
  context: TemplateContext,
): RenderedMail {
  return renderMail(context, {
    subject: `Someone tried to sign up for ${context.productName} with your address`,
    greeting: data.name,
    paragraphs: [
      `Someone asked to sign ${data.companyName} up for ${context.productName} with this email address, which already has an account. No new account was made.`,
      "If it was you, sign in with your password instead; if you forgot it, you can reset it.",
    ],
    action: { label: "Reset your password", url: appLink(context, appPages.forgotPassword, {}) },
    notes: ["If it was not you, ignore this message: your account is unchanged."],
  });
}
