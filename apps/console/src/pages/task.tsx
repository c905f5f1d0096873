import type { components } from "@oryn/client";
import { Link, useNavigate, useParams } from "react-router";
import { Busy, ErrorNotice, Field, PageTitle } from "../components.tsx";
import { IfMatchForm } from "../forms.tsx";
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
  const remove = useAction();
  const navigate = useNavigate();
  const path = { id: task.projectId, taskId: task.id };

  async function destroy() {
    const answer = await remove.run(() =>
      api.DELETE("/v1/projects/{id}/tasks/{taskId}", {
        params: { path, header: { "if-match": etag } },
      }),
    );
    if (answer?.response.ok) navigate(`/projects/${task.projectId}`, { replace: true });
  }

  return (
    <IfMatchForm
      save={(values) => {
        const due = values.raw("dueAt");
        return api.PATCH("/v1/projects/{id}/tasks/{taskId}", {
          params: { path, header: { "if-match": etag } },
          body: {
            title: values.raw("title"),
            status: values.raw("status") as Task["status"],
            dueAt: due ? new Date(`${due}T00:00:00Z`).toISOString() : null,
          },
        });
      }}
      onSaved={onSaved}
      onReload={onReload}
      otherFailure={remove.failure}
      also={
        <>
          {" "}
          <button type="button" className="danger-button" onClick={destroy} disabled={remove.busy}>
            Delete task
          </button>
        </>
      }
    >
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
    </IfMatchForm>
  );
}
