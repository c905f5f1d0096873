import { parseConfig, runService } from "@oryn/shared";
import { createWorkspaceApp } from "./app.ts";
import { createWorkspaceDeps } from "./deps.ts";
import { workspaceEnv } from "./env.ts";

await runService({
  name: "workspace",
  config: () => parseConfig(workspaceEnv),
  deps: createWorkspaceDeps,
  async start({ config, deps, logger }, run) {
    const server = await run.listen(createWorkspaceApp(deps), {
      port: config.PORT,
      host: config.HOST,
    });
    // The id its outbox marks carry (`event_outbox_marks.marked_by`), drawn at each start.
    logger.info({ port: server.port, marksAs: deps.events.processId }, "workspace listening");
    // Events a crash left in outboxes (committed, not yet moved): looked for at start and then
    // regularly, under this process's marks, marks of no process, and orphaned ones (a previous
    // run's marks become orphans three periods after they were made), each of the last two
    // claimed by one replica's sweep.
    run
      .every("event outbox sweep", config.EVENT_OUTBOX_SWEEP_SECONDS * 1000, () =>
        deps.events.sweep(),
      )
      .runNow();
  },
});
