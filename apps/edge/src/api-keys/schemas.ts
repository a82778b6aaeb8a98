import { SCOPES } from "@conclave/auth";
import { text } from "@conclave/subjects";
import { z } from "@hono/zod-openapi";

export const CreateKeyBody = z
  .strictObject({
    name: text().trim().min(1).max(100),
    scopes: z.array(z.enum(SCOPES)).min(1).max(3),
    expiresAt: z.iso
      .datetime()
      .optional()
      .refine((v) => v === undefined || Date.parse(v) > Date.now(), "must be in the future"),
    rateLimitPerMinute: z.number().int().min(1).max(100_000).optional(),
  })
  .openapi("CreateApiKey");
export type CreateKeyBody = z.infer<typeof CreateKeyBody>;

export const KeyIdParam = z.object({ id: z.uuid("must be a UUID") });

export const ApiKeyView = z
  .object({
    id: z.uuid(),
    name: z.string(),
    prefix: z.string(),
    scopes: z.array(z.enum(SCOPES)),
    rateLimitPerMinute: z.number().int().nullable(),
    expiresAt: z.string().nullable(),
    lastUsedAt: z.string().nullable(),
    createdAt: z.string(),
  })
  .openapi("ApiKey");

export const CreatedKeyView = ApiKeyView.extend({
  key: z.string().openapi({ description: "The secret: shown this once, stored hashed." }),
}).openapi("CreatedApiKey");
