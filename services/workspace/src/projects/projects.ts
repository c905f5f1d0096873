import { ApiError, type Page, type Sql, type TransactionSql } from "@oryn/shared";
import { andAfterCreatedAt, createdAtCursorColumn, createdAtPage } from "@oryn/shared/pages";
import { versionGuard } from "../lib/etag.ts";
import type { CreateProjectInput, Project, UpdateProjectInput } from "./schemas.ts";

type ProjectRow = {
  id: string;
  name: string;
  description: string;
  status: Project["status"];
  createdAt: Date;
  updatedAt: Date;
  version: number;
};

function toProject(row: ProjectRow): Project {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    status: row.status,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    version: row.version,
  };
}

export async function listProjects(
  sql: Sql,
  page: { limit: number; after: [atMicros: string, id: string] | undefined },
): Promise<Page<Project>> {
  const rows = await sql<(ProjectRow & { cursorAt: string })[]>`
    select *, ${createdAtCursorColumn(sql)} from projects
    where true ${andAfterCreatedAt(sql, page.after)}
    order by created_at, id
    limit ${page.limit + 1}`;
  return createdAtPage(rows, page.limit, toProject);
}

export async function getProject(sql: Sql, id: string): Promise<Project> {
  const [row] = await sql<ProjectRow[]>`select * from projects where id = ${id}`;
  if (!row) throw new ApiError("not_found");
  return toProject(row);
}

/** The project as it is before a change, locked until the transaction ends; none if missing. */
export async function lockProject(tx: TransactionSql, id: string): Promise<Project | undefined> {
  const [row] = await tx<ProjectRow[]>`select * from projects where id = ${id} for update`;
  return row ? toProject(row) : undefined;
}

// Advisory lock held while a project is counted and created: creates in one tenant take turns,
// so two at the cap cannot both see room (each tenant has its own database, so one key is enough).
const projectCapLock = 7_310_005;

/**
 * Creates a project inside the caller's write transaction, refusing with 402 past the plan's
 * cap. The count and the insert happen under a lock, so concurrent creates at the cap cannot
 * overshoot it.
 */
export async function createProject(
  tx: TransactionSql,
  input: CreateProjectInput,
  cap: { plan: string; maxProjects: number },
): Promise<Project> {
  await tx`select pg_advisory_xact_lock(${projectCapLock}, 0)`;
  const [held] = await tx<{ count: number }[]>`select count(*)::int as count from projects`;
  if ((held?.count ?? 0) >= cap.maxProjects) {
    throw new ApiError("plan_limit_reached", {
      detail: `The ${cap.plan} plan allows ${cap.maxProjects} projects; delete one or upgrade`,
    });
  }
  const [row] = await tx<ProjectRow[]>`
    insert into projects (name, description, status)
    values (${input.name}, ${input.description ?? ""}, ${input.status ?? "active"})
    returning *`;
  return toProject(row as ProjectRow);
}

/**
 * Inside the caller's write transaction. `acceptedVersions` come from If-Match. The version check
 * is in the UPDATE itself: of two writers holding the same ETag, exactly one matches the row and
 * the other gets 412.
 */
export async function updateProject(
  tx: TransactionSql,
  id: string,
  input: UpdateProjectInput,
  acceptedVersions: number[] | undefined,
): Promise<Project> {
  const [row] = await tx<ProjectRow[]>`
    update projects set
      name = coalesce(${input.name ?? null}, name),
      description = coalesce(${input.description ?? null}, description),
      status = coalesce(${input.status ?? null}, status),
      updated_at = clock_timestamp(),
      version = version + 1
    where id = ${id} ${versionGuard(tx, acceptedVersions)}
    returning *`;
  if (!row) throw await missingOrStale(tx, id);
  return toProject(row);
}

/** Inside the caller's write transaction; its tasks go with it. */
export async function deleteProject(
  tx: TransactionSql,
  id: string,
  acceptedVersions: number[] | undefined,
): Promise<void> {
  const deleted =
    await tx`delete from projects where id = ${id} ${versionGuard(tx, acceptedVersions)} returning id`;
  if (deleted.length === 0) throw await missingOrStale(tx, id);
}

async function missingOrStale(tx: TransactionSql, id: string): Promise<ApiError> {
  const [exists] = await tx`select 1 from projects where id = ${id}`;
  return exists ? new ApiError("precondition_failed") : new ApiError("not_found");
}
