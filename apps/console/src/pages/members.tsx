import type { components } from "@oryn/client";
import { useState } from "react";
import { ErrorNotice, formatTime, Notice, PageTitle, RoleSelect } from "../components.tsx";
import { ResourceTable, RowAction } from "../lists.tsx";
import { useAction, useResource } from "../resource.ts";
import { api, atLeast, type Role, useSignedIn } from "../session.tsx";

type Member = components["schemas"]["Member"];

/** Who is in the organisation; admins change roles and remove people (owners only for owners). */
export function MembersPage() {
  const session = useSignedIn();
  const members = useResource(
    () => api.GET("/v1/members", { params: { query: { limit: 200 } } }),
    "",
  );
  const change = useAction();
  const [done, setDone] = useState<string>();

  async function setRole(member: Member, role: Role) {
    setDone(undefined);
    const answer = await change.run(() =>
      api.PATCH("/v1/members/{userId}", {
        params: { path: { userId: member.userId } },
        body: { role },
      }),
    );
    if (answer?.response.ok) {
      setDone(`${member.name} is now ${role}.`);
      members.reload();
    }
  }

  const canManage = atLeast(session.role, "admin");
  return (
    <section>
      <PageTitle>Members</PageTitle>
      <ErrorNotice failure={change.failure} />
      {done && <Notice>{done}</Notice>}
      <ResourceTable
        list={members}
        caption="Members"
        loadingLabel="Loading members…"
        empty="No members."
        rowKey={(member) => member.userId}
        columns={[
          {
            header: "Name",
            cell: (member) => `${member.name}${member.userId === session.userId ? " (you)" : ""}`,
          },
          { header: "Email", cell: (member) => member.email },
          {
            header: "Role",
            cell: (member) =>
              canManage ? (
                <RoleSelect
                  label={`Role of ${member.name}`}
                  value={member.role}
                  allowOwner={session.role === "owner"}
                  onChange={(role) => setRole(member, role)}
                />
              ) : (
                member.role
              ),
          },
          { header: "Joined", cell: (member) => formatTime(member.createdAt) },
          canManage && {
            header: "Actions",
            cell: (member) => (
              <RowAction
                action={change}
                label={`Remove ${member.name}`}
                request={() => {
                  setDone(undefined);
                  return api.DELETE("/v1/members/{userId}", {
                    params: { path: { userId: member.userId } },
                  });
                }}
                onDone={() => {
                  setDone(`${member.name} was removed.`);
                  members.reload();
                }}
              >
                Remove
              </RowAction>
            ),
          },
        ]}
      />
    </section>
  );
}
