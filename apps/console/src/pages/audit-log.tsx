import { useState } from "react";
import { Link } from "react-router";
import { Actor, ErrorNotice, formatTime, Notice, PageTitle } from "../components.tsx";
import { NextPage, ResourceTable, useListParams } from "../lists.tsx";
import { useAction, useResource } from "../resource.ts";
import { api } from "../session.tsx";

/** Every change to projects and tasks, newest first, filtered by the URL; and the chain check. */
export function AuditLogPage() {
  const list = useListParams();
  const entity = list.params.get("entity");
  const { cursor } = list;
  const log = useResource(
    () =>
      api.GET("/v1/audit-log", {
        params: {
          query: {
            limit: 50,
            ...(entity === "project" || entity === "task" ? { entity } : {}),
            ...(cursor ? { cursor } : {}),
          },
        },
      }),
    list.key,
  );
  // Entries name their actor by id: the members list gives the names (an API key or a former
  // member keeps its id).
  const members = useResource(
    () => api.GET("/v1/members", { params: { query: { limit: 200 } } }),
    "",
  );
  const names = new Map(members.data?.items.map((member) => [member.userId, member.name]));
  const verify = useAction();
  const [report, setReport] = useState<{ ok: boolean; checked: number; reason: string | null }>();

  return (
    <section>
      <PageTitle>Audit log</PageTitle>
      <p>
        Changes to projects and tasks. Sign-ins, members and keys are in the{" "}
        <Link to="/security-log">security log</Link>.
      </p>
      <h2>Chain of entries</h2>
      <p>
        Each entry is chained to the one before it; checking the chain shows whether any was
        altered.
      </p>
      <ErrorNotice failure={verify.failure} />
      {report &&
        (report.ok ? (
          <Notice>
            <span data-testid="audit-verified">The chain is intact</span>: {report.checked} entries
            checked.
          </Notice>
        ) : (
          <ErrorNotice
            failure={{
              title: `The chain is broken after ${report.checked} entries.`,
              ...(report.reason ? { detail: report.reason } : {}),
              fields: [],
            }}
          />
        ))}
      <button
        type="button"
        disabled={verify.busy}
        onClick={async () => {
          setReport(undefined);
          const answer = await verify.run(() => api.GET("/v1/audit-log/verify"));
          if (answer?.data) setReport(answer.data);
        }}
      >
        {verify.busy ? "Checking…" : "Check the chain"}
      </button>
      <h2>Entries</h2>
      <div className="field">
        <label htmlFor="audit-entity">Show</label>
        <select
          id="audit-entity"
          value={entity ?? ""}
          onChange={(event) => list.filter("entity", event.target.value)}
        >
          <option value="">Everything</option>
          <option value="project">Projects</option>
          <option value="task">Tasks</option>
        </select>
      </div>
      <ResourceTable
        list={log}
        caption="Audit log entries"
        loadingLabel="Loading entries…"
        empty="No entries."
        rowKey={(entry) => entry.id}
        columns={[
          { header: "When", cell: (entry) => formatTime(entry.at) },
          { header: "What", cell: (entry) => `${entry.entity} ${entry.action}` },
          {
            header: "Which",
            cell: (entry) =>
              entry.entity === "project" && entry.action !== "deleted" ? (
                <Link to={`/projects/${entry.entityId}`}>{nameOf(entry)}</Link>
              ) : (
                nameOf(entry)
              ),
          },
          { header: "Who", cell: (entry) => <Actor id={entry.actorId} names={names} /> },
        ]}
      />
      <NextPage nextCursor={log.data?.nextCursor} onNext={list.next} label="Older entries" />
    </section>
  );
}

function nameOf(entry: {
  after: Record<string, unknown> | null;
  before: Record<string, unknown> | null;
  entityId: string;
}): string {
  const named = entry.after ?? entry.before;
  const name = named?.name ?? named?.title;
  return typeof name === "string" ? name : entry.entityId.slice(0, 8);
}
