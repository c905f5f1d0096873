import { useId } from "react";
import { Actor, formatTime, PageTitle } from "../components.tsx";
import { NextPage, ResourceTable, useListParams } from "../lists.tsx";
import { useResource } from "../resource.ts";
import { api } from "../session.tsx";

/** `logged_in` → "logged in": the API's action names, read aloud. */
const words = (action: string) => action.replace(/_/g, " ");

/**
 * The organisation's security log (GET /v1/security-log): sign-ins and failed ones, members,
 * invitations, API keys, account changes, newest first; a page at a time and one person's
 * events only, both in the URL.
 */
export function SecurityLogPage() {
  const list = useListParams();
  const actor = list.params.get("actor") ?? "";
  const { cursor } = list;
  const log = useResource(
    () =>
      api.GET("/v1/security-log", {
        params: {
          query: { limit: 50, ...(actor ? { actor } : {}), ...(cursor ? { cursor } : {}) },
        },
      }),
    list.key,
  );
  const members = useResource(
    () => api.GET("/v1/members", { params: { query: { limit: 200 } } }),
    "",
  );
  const names = new Map(members.data?.items.map((member) => [member.userId, member.name]));
  const filterId = useId();

  return (
    <section>
      <PageTitle>Security log</PageTitle>
      <p>
        Sign-ins, members, invitations, API keys and account changes. Changes to projects and tasks
        are in the audit log.
      </p>
      <div className="field">
        <label htmlFor={filterId}>Whose events</label>
        <select
          id={filterId}
          value={actor}
          onChange={(event) => list.filter("actor", event.target.value)}
        >
          <option value="">Everyone's</option>
          {members.data?.items.map((member) => (
            <option key={member.userId} value={member.userId}>
              {member.name}
            </option>
          ))}
        </select>
      </div>
      <ResourceTable
        list={log}
        caption="Security log entries"
        loadingLabel="Loading the security log…"
        empty="No events."
        rowKey={(event) => event.id}
        columns={[
          { header: "When", cell: (event) => formatTime(event.at) },
          { header: "What", cell: (event) => words(event.action) },
          { header: "Who", cell: (event) => <Actor id={event.actorId} names={names} /> },
          { header: "From", cell: (event) => event.ip ?? "—" },
        ]}
      />
      <NextPage nextCursor={log.data?.nextCursor} onNext={list.next} label="Older events" />
    </section>
  );
}
