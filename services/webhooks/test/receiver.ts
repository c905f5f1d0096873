import { once } from "node:events";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";

export type Received = {
  path: string;
  id: string;
  timestamp: string;
  signature: string;
  body: { id: string; type: string; sequence: number | null; tenantId: string; data: unknown };
  /** The secrets (of those the receiver was told) whose standardwebhooks verification passed. */
  verifiedBy: string[];
};

/** What a path answers: a status, or nothing at all (a black hole: the request hangs). */
export type Behaviour = number | "hang" | ((count: number) => number | "hang");

/**
 * A webhook consumer on a local port: it verifies each delivery with the `standardwebhooks`
 * package (the reference implementation, not our code) against the secrets it was told, and
 * answers each path as told.
 */
export async function startReceiver() {
  const received: Received[] = [];
  const secrets: string[] = [];
  const behaviours = new Map<string, Behaviour>();
  const counts = new Map<string, number>();
  const hanging = new Set<ServerResponse>();
  let waiters: (() => void)[] = [];

  const server = createServer(async (request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString("utf8");
    const path = request.url ?? "/";
    const count = (counts.get(path) ?? 0) + 1;
    counts.set(path, count);
    const headers = {
      "webhook-id": String(request.headers["webhook-id"]),
      "webhook-timestamp": String(request.headers["webhook-timestamp"]),
      "webhook-signature": String(request.headers["webhook-signature"]),
    };
    const verifiedBy = secrets.filter((secret) => {
      try {
        new Webhook(secret).verify(raw, headers);
        return true;
      } catch {
        return false;
      }
    });
    received.push({
      path,
      id: headers["webhook-id"],
      timestamp: headers["webhook-timestamp"],
      signature: headers["webhook-signature"],
      body: JSON.parse(raw),
      verifiedBy,
    });
    const waiting = waiters;
    waiters = [];
    for (const wake of waiting) wake();
    const behaviour = behaviours.get(path) ?? 200;
    const answer = typeof behaviour === "function" ? behaviour(count) : behaviour;
    if (answer === "hang") {
      hanging.add(response);
      return;
    }
    response.writeHead(answer, answer >= 300 && answer < 400 ? { location: "/elsewhere" } : {});
    response.end(`answer ${answer} to ${path}`);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;

  return {
    url: (path: string) => `http://127.0.0.1:${port}${path}`,
    received,
    /** Trust this secret from now on (what a consumer does with the secret shown once). */
    trust(secret: string) {
      secrets.push(secret);
    },
    answer(path: string, behaviour: Behaviour) {
      behaviours.set(path, behaviour);
    },
    /** Resolves once `predicate` holds over what was received (checked at each arrival). */
    async until(predicate: (received: Received[]) => boolean, what: string, timeoutMs = 60_000) {
      const deadline = setTimeout(() => {}, 0);
      clearTimeout(deadline);
      const started = Date.now();
      while (!predicate(received)) {
        if (Date.now() - started > timeoutMs)
          throw new Error(`receiver: still waiting for ${what} (${received.length} received)`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 200);
        });
      }
    },
    async close() {
      for (const response of hanging) response.destroy();
      server.closeAllConnections();
      server.close();
    },
  };
}

export type Receiver = Awaited<ReturnType<typeof startReceiver>>;
