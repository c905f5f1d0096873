import { type FormEvent, useState } from "react";
import { Link, useNavigate, useSearchParams } from "react-router";
import { Busy, ErrorNotice, Field, formatTime, PageTitle } from "../components.tsx";
import { useAction, useResource } from "../resource.ts";
import { api } from "../session.tsx";

/** The tenant's projects, a page at a time (the cursor is in the URL), and a form to add one. */
export function ProjectsPage() {
  const [params, setParams] = useSearchParams();
  const cursor = params.get("cursor") ?? undefined;
  const projects = useResource(
    () =>
      api.GET("/v1/projects", { params: { query: { limit: 20, ...(cursor ? { cursor } : {}) } } }),
    cursor ?? "",
  );
  const create = useAction();
  const navigate = useNavigate();
  const [idempotencyKey, setIdempotencyKey] = useState(() => crypto.randomUUID());

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const description = String(form.get("description") ?? "");
    const answer = await create.run(() =>
      api.POST("/v1/projects", {
        // A double click or a retry after a lost answer makes one project, not two.
        params: { header: { "idempotency-key": idempotencyKey } },
        body: { name: String(form.get("name")), ...(description ? { description } : {}) },
      }),
    );
    if (answer?.data) {
      setIdempotencyKey(crypto.randomUUID());
      navigate(`/projects/${answer.data.id}`);
    }
  }

  return (
    <section>
      <PageTitle>Projects</PageTitle>
      <ErrorNotice failure={projects.failure} />
      {projects.loading && <Busy label="Loading projects…" />}
      {projects.data && projects.data.items.length === 0 && <p>No projects yet.</p>}
      {projects.data && projects.data.items.length > 0 && (
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">Projects</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Status</th>
                <th scope="col">Updated</th>
              </tr>
            </thead>
            <tbody>
              {projects.data.items.map((project) => (
                <tr key={project.id}>
                  <td>
                    <Link to={`/projects/${project.id}`}>{project.name}</Link>
                  </td>
                  <td>{project.status}</td>
                  <td>{formatTime(project.updatedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {projects.data?.nextCursor && (
        <button
          type="button"
          onClick={() => setParams({ cursor: projects.data?.nextCursor ?? "" })}
        >
          Next page
        </button>
      )}
      <h2>New project</h2>
      <ErrorNotice failure={create.failure} />
      <form onSubmit={submit}>
        <Field label="Name" name="name" required maxLength={200} />
        <Field label="Description" name="description" maxLength={2000} />
        <button type="submit" disabled={create.busy}>
          {create.busy ? "Creating…" : "Create project"}
        </button>
      </form>
    </section>
  );
}
