import { z } from "@hono/zod-openapi";
import { pageSchema } from "@oryn/shared";

export const createDomainBody = z
  .object({
    domain: z.string().min(1).max(300).openapi({
      description:
        "A mail domain of the organisation, e.g. `acme.com` (lower-cased; other scripts as punycode)",
      example: "acme.com",
    }),
  })
  .openapi("CreateDomain");

export const domainSchema = z
  .object({
    id: z.uuid(),
    domain: z.string(),
    status: z.enum(["pending", "verified"]),
    txtName: z.string().openapi({ description: "Where to publish the TXT record" }),
    txtValue: z.string().openapi({ description: "The TXT record's value" }),
    verifiedAt: z.iso.datetime().nullable(),
    createdAt: z.iso.datetime(),
  })
  .openapi("Domain");

export type Domain = z.infer<typeof domainSchema>;

export const domainListSchema = pageSchema(domainSchema).openapi("DomainList");
