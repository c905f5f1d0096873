/**
 * The floor of a Node proxy hop, the peer the gateway is measured against besides nginx: a bare
 * `node:http` server forwarding every request through an undici `Pool` (the gateway's pool
 * settings), the answer read whole and written back with the upstream's headers. No
 * authentication, rate limits, logs or metrics: what Node itself costs per proxied answer.
 * `node bench/floor-proxy.ts <port> <upstream URL>`; stops on SIGTERM.
 */
import { createServer } from "node:http";
import { Pool } from "undici";

const pool = new Pool(process.argv[3] ?? "", { connections: 128, pipelining: 1 });
const hopByHop = new Set(["connection", "keep-alive", "transfer-encoding", "content-length"]);
const server = createServer(async (incoming, outgoing) => {
  try {
    const answer = await pool.request({
      path: incoming.url ?? "/",
      method: (incoming.method ?? "GET") as "GET",
      headers: {
        authorization: incoming.headers.authorization ?? "",
        accept: incoming.headers.accept ?? "*/*",
      },
    });
    const body = Buffer.from(await answer.body.arrayBuffer());
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(answer.headers)) {
      if (value !== undefined && !hopByHop.has(name)) headers[name] = value;
    }
    headers["content-length"] = String(body.length);
    outgoing.writeHead(answer.statusCode, headers).end(body);
  } catch {
    outgoing.writeHead(502).end();
  }
});
server.listen(Number(process.argv[2]), "127.0.0.1");
process.on("SIGTERM", () => server.close(() => pool.close().then(() => process.exit(0))));
