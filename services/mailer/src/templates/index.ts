import type { MailMessage, MailTemplate } from "@oryn/shared";
import { confirmSignup } from "./confirm-signup.ts";
import { emailChangeConfirm } from "./email-change-confirm.ts";
import { emailChangedNotice } from "./email-changed-notice.ts";
import { invitation } from "./invitation.ts";
import type { RenderedMail, TemplateContext } from "./layout.ts";
import { mfaChangedNotice } from "./mfa-changed-notice.ts";
import { passwordChangedNotice } from "./password-changed-notice.ts";
import { resetPassword } from "./reset-password.ts";
import { signupExistingAccount } from "./signup-existing-account.ts";
import { verifyEmail } from "./verify-email.ts";
import { webhookEndpointDisabled } from "./webhook-endpoint-disabled.ts";

export type { RenderedMail, TemplateContext };

type Renderers = {
  [T in MailTemplate]: (
    data: Extract<MailMessage, { template: T }>["data"],
    context: TemplateContext,
  ) => RenderedMail;
};

/** Every template of the catalogue (packages/shared/src/mail/messages.ts) has its renderer here. */
const renderers: Renderers = {
  "verify-email": verifyEmail,
  "confirm-signup": confirmSignup,
  "signup-existing-account": signupExistingAccount,
  "reset-password": resetPassword,
  invitation,
  "email-change-confirm": emailChangeConfirm,
  "email-changed-notice": emailChangedNotice,
  "password-changed-notice": passwordChangedNotice,
  "mfa-changed-notice": mfaChangedNotice,
  "webhook-endpoint-disabled": webhookEndpointDisabled,
};

export function renderTemplate(message: MailMessage, context: TemplateContext): RenderedMail {
  const render = renderers[message.template] as (
    data: MailMessage["data"],
    context: TemplateContext,
  ) => RenderedMail;
  return render(message.data, context);
}
