import type { components } from "@oryn/client";
import { useState } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { Busy, ErrorNotice, Field, PageTitle } from "../components.tsx";
import { ActionForm, IfMatchForm } from "../forms.tsx";
import { useAction, useResource } from "../resource.ts";
import { api } from "../session.tsx";

type Project = components["schemas"]["Project"];

/** One project: edit it (If-Match with the ETag it was loaded with), delete it, its tasks. */
export function ProjectPage() {
  const id = useParams().projectId ?? "";
  const project = useResource(() => api.GET("/v1/projects/{id}", { params: { path: { id } } }), id);

  return (
    <section>
      <PageTitle>{project.data ? project.data.name : "Project"}</PageTitle>
      <p>
        <Link to="/projects">All projects</Link>
      </p>
      <ErrorNotice failure={project.failure} />
      {project.loading && !project.data && <Busy label="Loading the project…" />}
      {project.data && project.etag && (
        <>
          <EditProject
            // A reload starts the form afresh from what it loaded; a save keeps it (and its notice).
            key={project.loads}
            project={project.data}
            etag={project.etag}
            onSaved={(saved, etag) => {
              project.setData(saved);
              project.setEtag(etag);
            }}
            onReload={project.reload}
          />
          <Tasks projectId={id} />
        </>
      )}
    </section>
  );
}

function EditProject({
  project,
  etag,
  onSaved,
  onReload,
}: {
  project: Project;
  etag: string;
  onSaved(project: Project, etag: string): void;
  onReload(): void;
}) {
  const remove = useAction();
  const navigate = useNavigate();
  const [confirming, setConfirming] = useState(false);

  async function destroy() {
    const answer = await remove.run(() =>
      api.DELETE("/v1/projects/{id}", {
        params: { path: { id: project.id }, header: { "if-match": etag } },
      }),
    );
    if (answer?.response.ok) navigate("/projects", { replace: true });
  }

  return (
    <>
      <h2>Details</h2>
      <IfMatchForm
        save={(values) =>
          api.PATCH("/v1/projects/{id}", {
            params: { path: { id: project.id }, header: { "if-match": etag } },
            body: {
              name: values.raw("name"),
              description: values.raw("description"),
              status: values.raw("status") === "archived" ? "archived" : "active",
            },
          })
        }
        onSaved={onSaved}
        onReload={onReload}
        otherFailure={remove.failure}
      >
        <Field label="Name" name="name" required defaultValue={project.name} />
        <Field label="Description" name="description" defaultValue={project.description} />
        <div className="field">
          <label htmlFor="project-status">Status</label>
          <select id="project-status" name="status" defaultValue={project.status}>
            <option value="active">Active</option>
            <option value="archived">Archived</option>
          </select>
        </div>
      </IfMatchForm>
      <h2>Delete</h2>
      {confirming ? (
        <div className="danger">
          <p>Delete “{project.name}” and all its tasks? This cannot be undone.</p>
          <button type="button" className="danger-button" onClick={destroy} disabled={remove.busy}>
            Yes, delete the project
          </button>{" "}
          <button type="button" onClick={() => setConfirming(false)}>
            Keep it
          </button>
        </div>
      ) : (
        <button type="button" className="danger-button" onClick={() => setConfirming(true)}>
          Delete project…
        </button>
      )}
    </>
  );
}

function Tasks({ projectId }: { projectId: string }) {
  const tasks = useResource(
    () => api.GET("/v1/projects/{id}/tasks", { params: { path: { id: projectId } } }),
    projectId,
  );
  const create = useAction();
  const [idempotencyKey, setIdempotencyKey] = useState(() => crypto.randomUUID());

  return (
    <>
      <h2>Tasks</h2>
      <ErrorNotice failure={tasks.failure} />
      {tasks.loading && !tasks.data && <Busy label="Loading tasks…" />}
      {tasks.data && tasks.data.items.length === 0 && <p>No tasks yet.</p>}
      {tasks.data && tasks.data.items.length > 0 && (
        <ul className="task-list">
          {tasks.data.items.map((task) => (
            <li key={task.id}>
              <Link to={`/projects/${projectId}/tasks/${task.id}`}>{task.title}</Link>{" "}
              <span className={`badge badge-${task.status}`}>{task.status.replace("_", " ")}</span>
            </li>
          ))}
        </ul>
      )}
      <h3>New task</h3>
      <ActionForm
        action={create}
        submit="Add task"
        busy="Adding…"
        className="inline-form"
        onSubmit={async (values, form) => {
          const answer = await create.run(() =>
            api.POST("/v1/projects/{id}/tasks", {
              params: { path: { id: projectId }, header: { "idempotency-key": idempotencyKey } },
              body: { title: values.raw("title") },
            }),
          );
          if (answer?.data) {
            form.reset();
            setIdempotencyKey(crypto.randomUUID());
            tasks.reload();
          }
        }}
      >
        <Field label="Title" name="title" required />
      </ActionForm>
    </>
  );
}
