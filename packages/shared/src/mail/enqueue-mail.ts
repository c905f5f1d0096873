import { randomUUID } from "node:crypto";
import { enqueue, type Queues } from "../jobs.ts";
import type { Logger } from "../logger.ts";
import { type MailData, type MailTemplate, mailMessage } from "./messages.ts";

/** What a producer asks for: a template, the recipient, the template's data, and an id if it has one. */
export type MailRequest = {
  [T in MailTemplate]: {
    template: T;
    to: string;
    data: MailData<T>;
    /**
     * The caller's id for this message (the token's row, the event), `[A-Za-z0-9_.-]`: a second
     * request with the same template and id is dropped while the first is kept. Unset: random.
     */
    id?: string;
  };
}[MailTemplate];

/**
 * Queues one message for the mailer and resolves once Redis has it, or after `timeoutMs` (2 s)
 * if Redis is slow or away. It never throws for that: the request that triggered the mail must
 * answer anyway, so a failure is logged and answered `false` (the message is then probably not
 * sent; the user can ask again). A request that does not fit its template's schema is a bug of
 * the caller and throws.
 */
export async function enqueueMail(
  deps: { queues: Queues; logger: Logger },
  request: MailRequest,
  options: { timeoutMs?: number } = {},
): Promise<boolean> {
  const message = mailMessage.parse({ ...request, id: request.id ?? randomUUID() });
  try {
    await enqueue(deps.queues, "mail.send", message, { timeoutMs: options.timeoutMs ?? 2000 });
    return true;
  } catch (error) {
    // Neither the address nor the data: the data holds the token.
    deps.logger.error(
      { err: error, template: message.template, mailId: message.id },
      "could not enqueue a mail",
    );
    return false;
  }
}
