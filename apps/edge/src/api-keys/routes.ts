import { createApiKey, listApiKeys, requireScope, revokeApiKey, SCOPES } from "@conclave/auth";
import { AppError } from "@conclave/errors";
import { Hono } from "hono";
import { z } from "zod";
import type { EdgeContext } from "../context.js";
import type { EdgeEnv } from "../http/env.js";
import { authenticated } from "../http/guards.js";
import { jsonBody, params } from "../http/validate.js";

const CreateKey = z.strictObject({
  name: z.string().trim().min(1).max(100),
  scopes: z.array(z.enum(SCOPES)).min(1).max(3),
  expiresAt: z.iso
    .datetime()
    .optional()
    .refine((v) => v === undefined || Date.parse(v) > Date.now(), "must be in the future"),
  rateLimitPerMinute: z.number().int().min(1).max(100_000).optional(),
});
const KeyId = z.object({ id: z.uuid("must be a UUID") });

/** API keys are managed by their owner when signed in, or with an admin-scoped key. */
export function apiKeyRoutes(ctx: EdgeContext) {
  return new Hono<EdgeEnv>()
    .use(authenticated(ctx))
    .use(async (c, next) => {
      const p = c.get("principal");
      if (p.via === "api_key") requireScope(p, "admin");
      await next();
    })
    .post("/", async (c) => {
      const p = c.get("principal");
      const input = await jsonBody(c, CreateKey);
      if (input.scopes.includes("admin") && p.accountRole !== "admin") {
        throw new AppError("forbidden", "only an account admin may create admin-scoped keys", {
          fields: [{ path: "body.scopes", message: "admin not allowed" }],
        });
      }
      const key = await createApiKey(ctx.db, {
        accountId: p.accountId,
        name: input.name,
        scopes: input.scopes,
        ...(input.expiresAt ? { expiresAt: new Date(input.expiresAt) } : {}),
        ...(input.rateLimitPerMinute ? { rateLimitPerMinute: input.rateLimitPerMinute } : {}),
      });
      return c.json(key, 201);
    })
    .get("/", async (c) => c.json({ items: await listApiKeys(ctx.db, c.get("principal").accountId) }))
    .delete("/:id", async (c) => {
      const { id } = params(c.req.param(), KeyId, "path");
      await revokeApiKey(ctx.db, c.get("principal").accountId, id);
      return c.body(null, 204);
    });
}
