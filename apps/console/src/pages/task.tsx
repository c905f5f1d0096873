import type { components } from "@oryn/client";
import { type FormEvent, useState } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { Busy, ErrorNotice, Field, Notice, PageTitle } from "../components.tsx";
import { ConflictNotice } from "../conflict.tsx";
import { useAction, useResource } from "../resource.ts";
import { api } from "../session.tsx";

type Task = components["schemas"]["Task"];

/** One task: edit with If-Match, delete. */
export function TaskPage() {
  const params = useParams();
  const id = params.projectId ?? "";
  const taskId = params.taskId ?? "";
  const task = useResource(
    () => api.GET("/v1/projects/{id}/tasks/{taskId}", { params: { path: { id, taskId } } }),
    `${id}/${taskId}`,
  );
  return (
    <section>
      <PageTitle>{task.data ? task.data.title : "Task"}</PageTitle>
      <p>
        <Link to={`/projects/${id}`}>Back to the project</Link>
      </p>
      <ErrorNotice failure={task.failure} />
      {task.loading && !task.data && <Busy label="Loading the task…" />}
      {task.data && task.etag && (
        <EditTask
          key={task.loads}
          task={task.data}
          etag={task.etag}
          onSaved={(saved, etag) => {
            task.setData(saved);
            task.setEtag(etag);
          }}
          onReload={task.reload}
        />
      )}
    </section>
  );
}

function EditTask({
  task,
  etag,
  onSaved,
  onReload,
}: {
  task: Task;
  etag: string;
  onSaved(task: Task, etag: string): void;
  onReload(): void;
}) {
  const save = useAction();
  const remove = useAction();
  const navigate = useNavigate();
  const [saved, setSaved] = useState(false);
  const path = { id: task.projectId, taskId: task.id };

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setSaved(false);
    const form = new FormData(event.currentTarget);
    const due = String(form.get("dueAt") ?? "");
    const answer = await save.run(() =>
      api.PATCH("/v1/projects/{id}/tasks/{taskId}", {
        params: { path, header: { "if-match": etag } },
        body: {
          title: String(form.get("title")),
          status: String(form.get("status")) as Task["status"],
          dueAt: due ? new Date(`${due}T00:00:00Z`).toISOString() : null,
        },
      }),
    );
    if (answer?.data) {
      setSaved(true);
      onSaved(answer.data, answer.response.headers.get("etag") ?? `"${answer.data.version}"`);
    }
  }

  async function destroy() {
    const answer = await remove.run(() =>
      api.DELETE("/v1/projects/{id}/tasks/{taskId}", {
        params: { path, header: { "if-match": etag } },
      }),
    );
    if (answer?.response.ok) navigate(`/projects/${task.projectId}`, { replace: true });
  }

  return (
    <>
      {saved && <Notice>Saved.</Notice>}
      <ConflictNotice failure={save.failure ?? remove.failure} onReload={onReload} />
      <form onSubmit={submit}>
        <Field label="Title" name="title" required defaultValue={task.title} />
        <div className="field">
          <label htmlFor="task-status">Status</label>
          <select id="task-status" name="status" defaultValue={task.status}>
            <option value="todo">To do</option>
            <option value="in_progress">In progress</option>
            <option value="done">Done</option>
          </select>
        </div>
        <Field
          label="Due date"
          name="dueAt"
          type="date"
          defaultValue={task.dueAt ? task.dueAt.slice(0, 10) : ""}
        />
        <button type="submit" disabled={save.busy}>
          {save.busy ? "Saving…" : "Save changes"}
        </button>{" "}
        <button type="button" className="danger-button" onClick={destroy} disabled={remove.busy}>
          Delete task
        </button>
      </form>
    </>
  );
}
