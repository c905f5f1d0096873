import { useState } from "react";
import { Link, useNavigate } from "react-router";
import { Field, formatTime, PageTitle } from "../components.tsx";
import { ActionForm } from "../forms.tsx";
import { NextPage, ResourceTable, useListParams } from "../lists.tsx";
import { useAction, useResource } from "../resource.ts";
import { api } from "../session.tsx";

/** The tenant's projects, a page at a time (the cursor is in the URL), and a form to add one. */
export function ProjectsPage() {
  const list = useListParams();
  const { cursor } = list;
  const projects = useResource(
    () =>
      api.GET("/v1/projects", { params: { query: { limit: 20, ...(cursor ? { cursor } : {}) } } }),
    list.key,
  );
  const create = useAction();
  const navigate = useNavigate();
  const [idempotencyKey, setIdempotencyKey] = useState(() => crypto.randomUUID());

  return (
    <section>
      <PageTitle>Projects</PageTitle>
      <ResourceTable
        list={projects}
        caption="Projects"
        loadingLabel="Loading projects…"
        empty="No projects yet."
        rowKey={(project) => project.id}
        columns={[
          {
            header: "Name",
            cell: (project) => <Link to={`/projects/${project.id}`}>{project.name}</Link>,
          },
          { header: "Status", cell: (project) => project.status },
          { header: "Updated", cell: (project) => formatTime(project.updatedAt) },
        ]}
      />
      <NextPage nextCursor={projects.data?.nextCursor} onNext={list.next} />
      <h2>New project</h2>
      <ActionForm
        action={create}
        submit="Create project"
        busy="Creating…"
        onSubmit={async (values) => {
          const description = values.raw("description");
          const answer = await create.run(() =>
            api.POST("/v1/projects", {
              // A double click or a retry after a lost answer makes one project, not two.
              params: { header: { "idempotency-key": idempotencyKey } },
              body: { name: values.raw("name"), ...(description ? { description } : {}) },
            }),
          );
          if (answer?.data) {
            setIdempotencyKey(crypto.randomUUID());
            navigate(`/projects/${answer.data.id}`);
          }
        }}
      >
        <Field label="Name" name="name" required maxLength={200} />
        <Field label="Description" name="description" maxLength={2000} />
      </ActionForm>
    </section>
  );
}
