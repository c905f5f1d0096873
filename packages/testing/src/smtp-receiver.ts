/**
 * A real SMTP server for tests (the `smtp-server` package) on a local port: it accepts what the
 * mailer sends, parses each message with `mailparser`, and lets a test wait for the next message
 * to an address and read the `token=` link out of its text part, as a user would click it.
 *
 * Self-contained on purpose (no other harness file imported), so it can move as it is.
 *
 *   const smtp = await startSmtpReceiver();
 *   // start the mailer with SMTP_URL: smtp.url
 *   const mail = await smtp.waitForMail("ada@acme.test");
 *   const token = mail.token; // from e.g. http://localhost:8080/reset-password?token=…
 *   await smtp.stop();
 */
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { type ParsedMail, simpleParser } from "mailparser";
import { SMTPServer, type SMTPServerOptions } from "smtp-server";

export type ReceivedMail = {
  /** The envelope's sender and recipients (MAIL FROM, RCPT TO): who it was delivered to. */
  envelopeFrom: string;
  envelopeTo: string[];
  subject: string;
  /** The plain-text part ("" if there is none) and the HTML part (undefined if none). */
  text: string;
  html: string | undefined;
  messageId: string | undefined;
  date: Date | undefined;
  /** Every header, lower-cased names. */
  headers: ParsedMail["headers"];
  /** The first link in the text part whose query has `token=`, or undefined. */
  link: string | undefined;
  /** That link's `token` parameter, or undefined. */
  token: string | undefined;
  /** The message as received, bytes and all. */
  raw: Buffer;
};

export type SmtpReceiver = {
  port: number;
  /** `smtp://[user:password@]127.0.0.1:<port>`, the mailer's SMTP_URL. */
  url: string;
  /** Every message received so far, in order of arrival. */
  readonly messages: readonly ReceivedMail[];
  /** Messages delivered to `address` (case-insensitive), in order. */
  messagesTo(address: string): ReceivedMail[];
  /**
   * The next message to `address` that an earlier call did not return, waiting for it if it
   * has not come yet: a second call returns a second message (a resend), not the first again.
   */
  waitForMail(address: string, options?: { timeoutMs?: number }): Promise<ReceivedMail>;
  /** Stops listening and drops open connections at once: from now on, SMTP is down. */
  down(): Promise<void>;
  /** Listens again on the same port, keeping the messages received before. */
  up(): Promise<void>;
  /** Down for good. */
  stop(): Promise<void>;
};

export type SmtpReceiverOptions = {
  /**
   * Port to listen on; default: one the system picks. A test that goes down and up passes one
   * from below the ephemeral range (processes.ts's freePort), which no outgoing connection can
   * take while the receiver is down.
   */
  port?: number;
  /** Require this login (AUTH PLAIN or LOGIN, without TLS); unset, no login is asked for. */
  auth?: { user: string; password: string };
  /** An SMTP code (5xx refuses for good, 4xx for now) for a recipient, or undefined to take it. */
  refuseRecipient?: (address: string) => { code: number; message: string } | undefined;
};

export async function startSmtpReceiver(options: SmtpReceiverOptions = {}): Promise<SmtpReceiver> {
  const messages: ReceivedMail[] = [];
  const handedOut = new Set<ReceivedMail>();
  const waiters = new Set<() => void>();
  let server: SMTPServer | undefined;
  let port = options.port ?? 0;
  // Counts the times the server went down: a message still being parsed when it did was never
  // answered 250 (its connection was dropped), so it is not received; the client sends it again.
  let downs = 0;

  const settings: SMTPServerOptions = {
    logger: false,
    // No TLS here: tests talk to 127.0.0.1, and nodemailer would otherwise try STARTTLS.
    disabledCommands: options.auth ? ["STARTTLS"] : ["STARTTLS", "AUTH"],
    authOptional: !options.auth,
    allowInsecureAuth: true,
    // A "down" server drops its connections at once (0 would mean the 30 s default).
    closeTimeout: 1,
    onAuth(auth, _session, callback) {
      const ok =
        options.auth !== undefined &&
        auth.username === options.auth.user &&
        auth.password === options.auth.password;
      if (ok) callback(null, { user: auth.username });
      else
        callback(Object.assign(new Error("Invalid username or password"), { responseCode: 535 }));
    },
    onRcptTo(address, _session, callback) {
      const refusal = options.refuseRecipient?.(address.address);
      if (refusal)
        callback(Object.assign(new Error(refusal.message), { responseCode: refusal.code }));
      else callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", () => {
        const raw = Buffer.concat(chunks);
        const downsAtEnd = downs;
        simpleParser(raw).then(
          (parsed) => {
            if (downs !== downsAtEnd) {
              callback(new Error("the server went down before answering"));
              return;
            }
            messages.push(received(raw, parsed, session.envelope));
            for (const wake of waiters) wake();
            callback();
          },
          (error: Error) => callback(error),
        );
      });
    },
  };

  async function up(): Promise<void> {
    if (server) return;
    const listening = new SMTPServer(settings);
    // A client dropping its connection must not end the test process.
    listening.on("error", () => {});
    listening.listen(port, "127.0.0.1");
    await once(listening.server, "listening");
    port = (listening.server.address() as AddressInfo).port;
    server = listening;
  }

  async function down(): Promise<void> {
    const closing = server;
    server = undefined;
    if (!closing) return;
    downs++;
    const closed = new Promise<void>((done) => closing.close(() => done()));
    // smtp-server's close is graceful: a client's pooled connection may go on delivering until
    // it hangs up, so "down" would not be down. Open connections are dropped at once instead; a
    // message whose DATA had ended but that was still being parsed is dropped with them (see
    // `downs`), as a real server's crash loses what it had not yet answered 250 to.
    const open = (closing as unknown as { connections: Set<{ close(): void }> }).connections;
    for (const connection of open) connection.close();
    await closed;
  }

  await up();
  const credentials = options.auth
    ? `${encodeURIComponent(options.auth.user)}:${encodeURIComponent(options.auth.password)}@`
    : "";
  const messagesTo = (address: string) =>
    messages.filter((mail) =>
      mail.envelopeTo.some((to) => to.toLowerCase() === address.toLowerCase()),
    );

  return {
    port,
    url: `smtp://${credentials}127.0.0.1:${port}`,
    messages,
    messagesTo,
    async waitForMail(address, { timeoutMs = 20_000 } = {}) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const next = messagesTo(address).find((mail) => !handedOut.has(mail));
        if (next) {
          handedOut.add(next);
          return next;
        }
        const left = deadline - Date.now();
        if (left <= 0) {
          const seen = messages.map((mail) => `${mail.envelopeTo.join(",")}: ${mail.subject}`);
          throw new Error(
            `no new mail to ${address} within ${timeoutMs} ms; received: ${JSON.stringify(seen)}`,
          );
        }
        await new Promise<void>((resolve) => {
          const wake = () => {
            clearTimeout(timer);
            waiters.delete(wake);
            resolve();
          };
          const timer = setTimeout(wake, left);
          waiters.add(wake);
        });
      }
    },
    down,
    up,
    stop: down,
  };
}

function received(
  raw: Buffer,
  parsed: ParsedMail,
  envelope: { mailFrom: { address: string } | false; rcptTo: { address: string }[] },
): ReceivedMail {
  const text = parsed.text ?? "";
  const link = text
    .match(/https?:\/\/\S+/g)
    ?.find((candidate) => URL.canParse(candidate) && new URL(candidate).searchParams.has("token"));
  return {
    envelopeFrom: envelope.mailFrom ? envelope.mailFrom.address : "",
    envelopeTo: envelope.rcptTo.map((rcpt) => rcpt.address),
    subject: parsed.subject ?? "",
    text,
    html: parsed.html === false ? undefined : parsed.html,
    messageId: parsed.messageId,
    date: parsed.date,
    headers: parsed.headers,
    link,
    token: link ? (new URL(link).searchParams.get("token") ?? undefined) : undefined,
    raw,
  };
}
