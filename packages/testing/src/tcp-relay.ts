import { once } from "node:events";
import { createServer, connect as dial, type Server, type Socket } from "node:net";

/**
 * Relays every connection on 127.0.0.1:`port` to the PostgreSQL server of `targetUrl`, until
 * closed: a stand-in for a server that can be stopped (close) and started again (a new relay on
 * the same port) without touching the real one.
 */
export async function relay(port: number, targetUrl: string): Promise<{ close(): Promise<void> }> {
  const target = new URL(targetUrl);
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = dial({ host: target.hostname, port: Number(target.port || 5432) });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("error", () => {});
      socket.on("close", () => sockets.delete(socket));
    }
    client.pipe(upstream).pipe(client);
  });
  server.listen(port, "127.0.0.1");
  await once(server, "listening");
  return {
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
