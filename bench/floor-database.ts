/**
 * The floor of a Node service that reads a row, the peer workspace is measured against besides
 * the bare endpoint: a bare @hono/node-server endpoint answering `GET /v1/projects/{id}` with one
 * postgres.js query on the tenant's database (`connect` of @oryn/shared, as workspace's tenant
 * connections, five of them: TENANT_POOL_MAX's default) and the row as JSON. No token check,
 * tenant state, connection budget, logs or metrics: what Node, hono and postgres.js themselves
 * cost per answer. `node bench/floor-database.ts <port> <tenant database URL>`; stops on SIGTERM.
 */
import { serve } from "@hono/node-server";
import { connect } from "@oryn/shared";
import { Hono } from "hono";
import { getProject } from "../services/workspace/src/projects/projects.ts";

const sql = connect(process.argv[3] ?? "", { max: 5, idleTimeoutSeconds: 0, fetchTypes: false });
const app = new Hono();
// Workspace's own query and row-to-JSON, without anything around them.
app.get("/v1/projects/:id", async (c) => c.json(await getProject(sql, c.req.param("id"))));
const server = serve({ fetch: app.fetch, port: Number(process.argv[2]), hostname: "127.0.0.1" });
process.on("SIGTERM", () => server.close(() => sql.end().then(() => process.exit(0))));
