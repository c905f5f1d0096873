import { z } from "@hono/zod-openapi";
import { text } from "@oryn/shared";

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

export const listQuery = z.object({
  // Plain decimal digits: Number() would also take "0x10", "1e2" or " 5 ".
  limit: z
    .string()
    .regex(/^\d{1,3}$/, "a whole number from 1 to 200")
    .transform(Number)
    .pipe(z.number().int().min(1).max(200))
    .optional()
    .transform((limit) => limit ?? 50),
  cursor: z.string().max(200).optional(),
});

export const projectListSchema = z
  .object({ items: z.array(projectSchema), nextCursor: z.string().nullable() })
  .openapi("ProjectList");

export type Project = z.infer<typeof projectSchema>;
export type CreateProjectInput = z.infer<typeof createProjectBody>;
export type UpdateProjectInput = z.infer<typeof updateProjectBody>;
