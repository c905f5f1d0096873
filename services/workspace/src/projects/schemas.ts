import { z } from "@hono/zod-openapi";
import { pageSchema, text } from "@oryn/shared";

export const projectStatuses = ["active", "archived"] as const;

export const projectSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    description: z.string(),
    status: z.enum(projectStatuses),
    createdAt: z.string().openapi({ format: "date-time" }),
    updatedAt: z.string().openapi({ format: "date-time" }),
    version: z.number().int(),
  })
  .openapi("Project");

const name = text({ min: 1, max: 200 }).openapi({ example: "Website relaunch" });
// Descriptions keep their whitespace: it may be formatting.
const description = text({ max: 10_000, trim: false });

export const createProjectBody = z
  .object({ name, description: description.optional(), status: z.enum(projectStatuses).optional() })
  .strict()
  .openapi("CreateProject");

export const updateProjectBody = z
  .object({
    name: name.optional(),
    description: description.optional(),
    status: z.enum(projectStatuses).optional(),
  })
  .strict()
  .refine((body) => Object.keys(body).length > 0, "name at least one field to change")
  .openapi("UpdateProject");

export const projectIdParams = z.object({
  id: z.string().openapi({ param: { name: "id", in: "path" }, format: "uuid" }),
});

export const projectListSchema = pageSchema(projectSchema).openapi("ProjectList");

export type Project = z.infer<typeof projectSchema>;
export type CreateProjectInput = z.infer<typeof createProjectBody>;
export type UpdateProjectInput = z.infer<typeof updateProjectBody>;
