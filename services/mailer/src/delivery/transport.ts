import { mkdir, rename, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { Logger, MailMessage } from "@oryn/shared";
import { createTransport, type SendMailOptions } from "nodemailer";

/** A message ready to go: the job's message, and what nodemailer is to send. */
export type ComposedMail = {
  message: MailMessage;
  /** The link the message is for, if any (logged by the directory transport only). */
  link: string | undefined;
  mail: SendMailOptions;
  requestedAt: Date;
};

export type MailTransport = {
  /** Where messages go, for the start-up log line: never the SMTP credentials. */
  destination: string;
  send(composed: ComposedMail): Promise<void>;
  /** Whether the SMTP server answers and takes our login; unset for the directory. */
  verify?: () => Promise<unknown>;
  close(): void;
};

// The SMTP defaults (2 min to connect, 10 min of silence) would hold a worker slot that long
// against a server that drops packets; a try that fails fast is retried by the queue instead.
const connectionTimeout = 10_000;
const greetingTimeout = 10_000;
const socketTimeout = 60_000;

/**
 * SMTP through nodemailer's pool: up to `connections` open connections, each reused for up to
 * 100 messages. A connection lost mid-message fails that send at once (maxRequeues 0) instead of
 * the pool retrying it behind the queue's back: the queue's backoff and attempts decide retries.
 */
export function smtpTransport(options: { url: string; connections: number }): MailTransport {
  const transporter = createTransport({
    url: options.url,
    pool: true,
    maxConnections: options.connections,
    maxRequeues: 0,
    connectionTimeout,
    greetingTimeout,
    socketTimeout,
  });
  const url = new URL(options.url);
  return {
    destination: `${url.protocol}//${url.host}`,
    async send({ mail }) {
      await transporter.sendMail(mail);
    },
    verify: () => transporter.verify(),
    close: () => transporter.close(),
  };
}

/**
 * Development without SMTP: each message is written to `dir` as an .eml file (open it in any
 * mail client) and its link is logged, so someone running `pnpm start` can follow every flow.
 * The file is named after the message's time, template and id: a retried message overwrites
 * its own file, and an `ls` lists them in order.
 */
export function directoryTransport(options: { dir: string; logger: Logger }): MailTransport {
  const dir = resolve(options.dir);
  const composer = createTransport({ streamTransport: true, buffer: true, newline: "windows" });
  return {
    destination: dir,
    async send({ message, link, mail, requestedAt }) {
      const info = await composer.sendMail(mail);
      const stamp = requestedAt.toISOString().replace(/[:.]/g, "-");
      const file = join(dir, `${stamp}-${message.template}-${message.id}.eml`);
      await mkdir(dir, { recursive: true });
      // Written whole, then renamed: whoever watches the directory never reads half a message.
      await writeFile(`${file}.partial`, info.message as Buffer);
      await rename(`${file}.partial`, file);
      options.logger.info(
        { template: message.template, to: message.to, file, link },
        "mail written (SMTP_URL is unset)",
      );
    },
    close() {},
  };
}
