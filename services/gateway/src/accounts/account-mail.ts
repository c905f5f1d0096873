import { enqueueMail, type Logger, type MailRequest, type Queues } from "@oryn/shared";

/**
 * Mail a flow decided to send, enqueued only once its transaction has committed: a message must
 * never carry a token that a rollback took away. The request does not wait for SMTP (the mailer
 * sends from the queue); if even Redis is away, `enqueueMail` logs it and the user asks again.
 * Nothing here fails the request: it has committed, and a 500 would misreport it.
 */
export async function sendAfterCommit(
  deps: { queues: Queues; logger: Logger },
  mail: readonly MailRequest[],
): Promise<void> {
  await Promise.all(
    mail.map((request) =>
      enqueueMail(deps, request).catch((error: unknown) => {
        deps.logger.error({ err: error, template: request.template }, "a mail was not queued");
        return false;
      }),
    ),
  );
}

/**
 * A name as mail can carry it (one line, no control characters, 1 to 200 characters): names
 * people chose may hold anything the API accepts, and a header or a line of text must not.
 * Undefined when nothing printable is left (the template then does without).
 */
export function mailLine(name: string): string | undefined {
  const line = name
    .replace(/\p{Cc}+/gu, " ")
    .replace(/ {2,}/g, " ")
    .trim()
    .slice(0, 200)
    .trim();
  return line === "" ? undefined : line;
}

/** A name for a field the template requires: `fallback` when nothing printable is left. */
export function mailLineOr(name: string | null | undefined, fallback: string): string {
  return (name ? mailLine(name) : undefined) ?? fallback;
}

/** `{name}` for a template's optional greeting, or nothing if no printable name is left. */
export function greeting(name: string): { name?: string } {
  const line = mailLine(name);
  return line === undefined ? {} : { name: line };
}
