import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import type { LookupFunction } from "node:net";
import type { ResolvedTarget } from "@oryn/shared";

/** How much of an answer the delivery log keeps. */
export const excerptBytes = 1024;

export type SendOutcome = {
  ok: boolean;
  responseStatus: number | null;
  durationMs: number;
  excerpt: string;
};

/**
 * One POST to a checked address: the connection goes to `target.address` whatever DNS says now
 * (TLS still checks the certificate against the host name). No redirect is followed: a 3xx is a
 * failed attempt, since its Location could point anywhere. The whole exchange, answer included,
 * has `timeoutMs`.
 */
export function send(
  target: ResolvedTarget,
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
): Promise<SendOutcome> {
  const started = performance.now();
  const pinned: LookupFunction = (_host, options, callback) => {
    if (options.all) callback(null, [{ address: target.address, family: target.family }]);
    else callback(null, target.address, target.family);
  };
  const request = target.url.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve) => {
    let settled = false;
    const finish = (outcome: Omit<SendOutcome, "durationMs">) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...outcome, durationMs: Math.round(performance.now() - started) });
    };
    const outgoing = request(
      target.url,
      {
        method: "POST",
        lookup: pinned,
        agent: false,
        headers: {
          ...headers,
          "content-type": "application/json",
          "content-length": String(Buffer.byteLength(body)),
          "user-agent": "Oryn-Webhooks/1",
        },
      },
      (answer: IncomingMessage) => {
        const status = answer.statusCode ?? 0;
        const chunks: Buffer[] = [];
        let kept = 0;
        answer.on("data", (chunk: Buffer) => {
          if (kept < excerptBytes) {
            chunks.push(chunk.subarray(0, excerptBytes - kept));
            kept += Math.min(chunk.length, excerptBytes - kept);
          }
        });
        const done = () => {
          const excerpt = Buffer.concat(chunks).toString("utf8");
          const ok = status >= 200 && status < 300;
          finish({
            ok,
            responseStatus: status,
            excerpt:
              status >= 300 && status < 400 ? `redirect not followed: ${excerpt}`.trim() : excerpt,
          });
          outgoing.destroy();
        };
        answer.on("end", done);
        answer.on("error", done);
        answer.on("close", done);
      },
    );
    const timer = setTimeout(() => {
      finish({
        ok: false,
        responseStatus: null,
        excerpt: `timeout: no answer within ${timeoutMs} ms`,
      });
      outgoing.destroy();
    }, timeoutMs);
    outgoing.on("error", (error: NodeJS.ErrnoException) =>
      finish({
        ok: false,
        responseStatus: null,
        excerpt: `${error.code ?? "error"}: ${error.message}`,
      }),
    );
    outgoing.end(body);
  });
}
