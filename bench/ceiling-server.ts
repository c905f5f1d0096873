/**
 * The ceiling: the least a Node HTTP service on this stack can do, a bare @hono/node-server JSON
 * endpoint with no middleware. `node bench/ceiling-server.ts <port>`; stops on SIGTERM.
 */
import { serve } from "@hono/node-server";
import { Hono } from "hono";

const app = new Hono();
app.get("/", (c) => c.json({ ok: true }));
const server = serve({ fetch: app.fetch, port: Number(process.argv[2]), hostname: "127.0.0.1" });
process.on("SIGTERM", () => server.close(() => process.exit(0)));
