import { z } from "@hono/zod-openapi";
import { pageQuery, pageSchema, text } from "@oryn/shared";

export const taskStatuses = ["todo", "in_progress", "done"] as const;

export const taskSchema = z
  .object({
    id: z.uuid(),
    projectId: z.uuid(),
    title: z.string(),
    status: z.enum(taskStatuses),
    assigneeId: z.uuid().nullable(),
    dueAt: z.string().nullable().openapi({ format: "date-time" }),
    createdAt: z.string().openapi({ format: "date-time" }),
    updatedAt: z.string().openapi({ format: "date-time" }),
    version: z.number().int(),
  })
  .openapi("Task");

const title = text({ min: 1, max: 500 }).openapi({ example: "Write the launch post" });
// A user id; it must be a member of the tenant (checked against the control plane).
const assigneeId = z
  .uuid()
  .transform((id) => id.toLowerCase())
  .nullable();
// With an offset (`Z` or `+02:00`), so the instant is unambiguous; kept to the millisecond.
const dueAt = z.iso.datetime({ offset: true }).nullable();

export const createTaskBody = z
  .object({
    title,
    status: z.enum(taskStatuses).optional(),
    assigneeId: assigneeId.optional(),
    dueAt: dueAt.optional(),
  })
  .strict()
  .openapi("CreateTask");

export const updateTaskBody = z
  .object({
    title: title.optional(),
    status: z.enum(taskStatuses).optional(),
    assigneeId: assigneeId.optional(),
    dueAt: dueAt.optional(),
  })
  .strict()
  .refine((body) => Object.keys(body).length > 0, "name at least one field to change")
  .openapi("UpdateTask");

export const projectParams = z.object({
  id: z.string().openapi({ param: { name: "id", in: "path" }, format: "uuid" }),
});

export const taskParams = projectParams.extend({
  taskId: z.string().openapi({ param: { name: "taskId", in: "path" }, format: "uuid" }),
});

export const listTasksQuery = pageQuery.extend({
  status: z.enum(taskStatuses).optional(),
  assigneeId: z
    .uuid()
    .transform((id) => id.toLowerCase())
    .optional(),
});

export const taskListSchema = pageSchema(taskSchema).openapi("TaskList");

export type Task = z.infer<typeof taskSchema>;
export type CreateTaskInput = z.infer<typeof createTaskBody>;
export type UpdateTaskInput = z.infer<typeof updateTaskBody>;
