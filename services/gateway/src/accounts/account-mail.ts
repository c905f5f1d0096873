import { enqueueMail, type Logger, type MailRequest, type Queues } from "@oryn/shared";

/**
 * Mail a flow decided to send, enqueued only once its transaction has committed: a message must
 * never carry a token that a rollback took away. The request does not wait for SMTP (the mailer
 * sends from the queue); if even Redis is away, `enqueueMail` logs it and the user asks again.
 */
export async function sendAfterCommit(
  deps: { queues: Queues; logger: Logger },
  mail: readonly MailRequest[],
): Promise<void> {
  await Promise.all(mail.map((request) => enqueueMail(deps, request)));
}
