import { ApiError, type Page, type Sql, type TransactionSql } from "@oryn/shared";
import { andAfterCreatedAt, createdAtCursorColumn, createdAtPage } from "@oryn/shared/pages";
import { versionGuard } from "../lib/etag.ts";
import type { CreateTaskInput, Task, UpdateTaskInput } from "./schemas.ts";

type TaskRow = {
  id: string;
  projectId: string;
  title: string;
  status: Task["status"];
  assigneeId: string | null;
  dueAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  version: number;
};

function toTask(row: TaskRow): Task {
  return {
    id: row.id,
    projectId: row.projectId,
    title: row.title,
    status: row.status,
    assigneeId: row.assigneeId,
    dueAt: row.dueAt ? row.dueAt.toISOString() : null,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    version: row.version,
  };
}

export type TaskFilter = { status?: Task["status"] | undefined; assigneeId?: string | undefined };

async function assertProjectExists(sql: Sql | TransactionSql, projectId: string, lock = false) {
  // FOR KEY SHARE keeps the project from being deleted until the new task has committed.
  const [project] = lock
    ? await sql`select 1 from projects where id = ${projectId} for key share`
    : await sql`select 1 from projects where id = ${projectId}`;
  if (!project) throw new ApiError("not_found", { detail: "No such project" });
}

export async function listTasks(
  sql: Sql,
  projectId: string,
  filter: TaskFilter,
  page: { limit: number; after: [atMicros: string, id: string] | undefined },
): Promise<Page<Task>> {
  await assertProjectExists(sql, projectId);
  // Keyset on (created_at, id), as for projects: rows added or removed between pages neither
  // repeat nor hide others.
  const rows = await sql<(TaskRow & { cursorAt: string })[]>`
    select *, ${createdAtCursorColumn(sql)} from tasks
    where project_id = ${projectId}
    ${filter.status ? sql`and status = ${filter.status}` : sql``}
    ${filter.assigneeId ? sql`and assignee_id = ${filter.assigneeId}` : sql``}
    ${andAfterCreatedAt(sql, page.after)}
    order by created_at, id
    limit ${page.limit + 1}`;
  return createdAtPage(rows, page.limit, toTask);
}

export async function getTask(sql: Sql, projectId: string, taskId: string): Promise<Task> {
  const [row] = await sql<TaskRow[]>`
    select * from tasks where id = ${taskId} and project_id = ${projectId}`;
  if (!row) throw new ApiError("not_found");
  return toTask(row);
}

/** Inside the caller's write transaction (which also holds the idempotency key). */
/** The task as it is before a change, locked until the transaction ends; none if missing. */
export async function lockTask(
  tx: TransactionSql,
  ids: { projectId: string; taskId: string },
): Promise<Task | undefined> {
  const [row] = await tx<TaskRow[]>`
    select * from tasks where id = ${ids.taskId} and project_id = ${ids.projectId} for update`;
  return row ? toTask(row) : undefined;
}

export async function createTask(
  tx: TransactionSql,
  projectId: string,
  input: CreateTaskInput,
): Promise<Task> {
  await assertProjectExists(tx, projectId, true);
  const [row] = await tx<TaskRow[]>`
    insert into tasks (project_id, title, status, assignee_id, due_at)
    values (${projectId}, ${input.title}, ${input.status ?? "todo"}, ${input.assigneeId ?? null},
            date_trunc('milliseconds', ${input.dueAt ?? null}::timestamptz))
    returning *`;
  return toTask(row as TaskRow);
}

/**
 * Inside the caller's write transaction. The version check is in the UPDATE itself: of two
 * writers holding the same ETag, exactly one matches the row and the other gets 412. `null`
 * clears the assignee or due date; a field left out keeps its value.
 */
export async function updateTask(
  tx: TransactionSql,
  ids: { projectId: string; taskId: string },
  input: UpdateTaskInput,
  acceptedVersions: number[] | undefined,
): Promise<Task> {
  const [row] = await tx<TaskRow[]>`
    update tasks set
      title = coalesce(${input.title ?? null}, title),
      status = coalesce(${input.status ?? null}, status),
      assignee_id = case when ${input.assigneeId !== undefined}::boolean
        then ${input.assigneeId ?? null}::uuid else assignee_id end,
      due_at = case when ${input.dueAt !== undefined}::boolean
        then date_trunc('milliseconds', ${input.dueAt ?? null}::timestamptz) else due_at end,
      updated_at = clock_timestamp(),
      version = version + 1
    where id = ${ids.taskId} and project_id = ${ids.projectId}
      ${versionGuard(tx, acceptedVersions)}
    returning *`;
  if (!row) throw await missingOrStale(tx, ids);
  return toTask(row);
}

/** Inside the caller's write transaction. */
export async function deleteTask(
  tx: TransactionSql,
  ids: { projectId: string; taskId: string },
  acceptedVersions: number[] | undefined,
): Promise<void> {
  const deleted = await tx`
    delete from tasks where id = ${ids.taskId} and project_id = ${ids.projectId}
      ${versionGuard(tx, acceptedVersions)}
    returning id`;
  if (deleted.length === 0) throw await missingOrStale(tx, ids);
}

async function missingOrStale(
  tx: TransactionSql,
  ids: { projectId: string; taskId: string },
): Promise<ApiError> {
  const [exists] =
    await tx`select 1 from tasks where id = ${ids.taskId} and project_id = ${ids.projectId}`;
  return exists ? new ApiError("precondition_failed") : new ApiError("not_found");
}
