import { useState } from "react";
import { Link, useSearchParams } from "react-router";
import { Busy, ErrorNotice, formatTime, Notice, PageTitle } from "../components.tsx";
import { useAction, useResource } from "../resource.ts";
import { api } from "../session.tsx";

/** Every change to projects and tasks, newest first, filtered by the URL; and the chain check. */
export function AuditLogPage() {
  const [params, setParams] = useSearchParams();
  const entity = params.get("entity");
  const cursor = params.get("cursor");
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
    params.toString(),
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
          onChange={(event) => setParams(event.target.value ? { entity: event.target.value } : {})}
        >
          <option value="">Everything</option>
          <option value="project">Projects</option>
          <option value="task">Tasks</option>
        </select>
      </div>
      <ErrorNotice failure={log.failure} />
      {log.loading && <Busy label="Loading entries…" />}
      {log.data && log.data.items.length === 0 && <p>No entries.</p>}
      {log.data && log.data.items.length > 0 && (
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">Audit log entries</caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">What</th>
                <th scope="col">Which</th>
                <th scope="col">Who</th>
              </tr>
            </thead>
            <tbody>
              {log.data.items.map((entry) => (
                <tr key={entry.id}>
                  <td>{formatTime(entry.at)}</td>
                  <td>
                    {entry.entity} {entry.action}
                  </td>
                  <td>
                    {entry.entity === "project" && entry.action !== "deleted" ? (
                      <Link to={`/projects/${entry.entityId}`}>{nameOf(entry)}</Link>
                    ) : (
                      nameOf(entry)
                    )}
                  </td>
                  <td>
                    {entry.actorId && names.has(entry.actorId) ? (
                      names.get(entry.actorId)
                    ) : (
                      <code>{entry.actorId?.slice(0, 8) ?? "—"}</code>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {log.data?.nextCursor && (
        <button
          type="button"
          onClick={() =>
            setParams({ ...(entity ? { entity } : {}), cursor: log.data?.nextCursor ?? "" })
          }
        >
          Older entries
        </button>
      )}
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
