import { createBullBoard } from "@bull-board/api";
import { BullMQAdapter } from "@bull-board/api/bullMQAdapter";
import { HonoAdapter } from "@bull-board/hono";
import { serveStatic } from "@hono/node-server/serve-static";
import { type App, type Queues, queueNames } from "@oryn/shared";
import { basicAuth } from "hono/basic-auth";

const boardPath = "/admin/queues";

/**
 * Bull Board, the queues' web UI (waiting, failed and delayed jobs, retries), on the
 * provisioner's internal port and behind the operator token: HTTP Basic, user `operator` and
 * the token as password, so a browser asks for it. It can retry and remove jobs: operators only.
 */
export function registerQueueBoard(app: App, options: { queues: Queues; operatorToken: string }) {
  const serverAdapter = new HonoAdapter(serveStatic);
  createBullBoard({
    queues: queueNames.map((name) => new BullMQAdapter(options.queues.get(name))),
    serverAdapter,
    options: { uiConfig: { boardTitle: "Oryn queues" } },
  });
  serverAdapter.setBasePath(boardPath);
  // hono's basicAuth compares user and password in constant time.
  const guard = basicAuth({
    username: "operator",
    password: options.operatorToken,
    realm: "Oryn operators",
  });
  app.use(boardPath, guard);
  app.use(`${boardPath}/*`, guard);
  app.route(boardPath, serverAdapter.registerPlugin());
}
