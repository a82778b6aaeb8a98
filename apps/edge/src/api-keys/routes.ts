import { listApiKeys, requireScope, revokeApiKey } from "@conclave/auth";
import { createRoute, z } from "@hono/zod-openapi";
import type { EdgeContext } from "../context.js";
import { authenticated } from "../http/guards.js";
import { bearer, json, jsonBody, problems, router } from "../http/openapi.js";
import { requireJson } from "../http/validate.js";
import { createKey } from "./create-key.js";
import { ApiKeyView, CreatedKeyView, CreateKeyBody, KeyIdParam } from "./schemas.js";

const tags = ["API keys"];
const security = bearer;

const createKeyRoute = createRoute({
  method: "post",
  path: "/",
  tags,
  summary: "Create an API key (the secret is shown once)",
  security,
  middleware: [requireJson],
  request: jsonBody(CreateKeyBody),
  responses: { 201: json(CreatedKeyView, "The key, with its secret."), ...problems(400, 401, 403, 413, 429) },
});

const listKeysRoute = createRoute({
  method: "get",
  path: "/",
  tags,
  summary: "The caller's API keys (no secrets)",
  security,
  responses: { 200: json(z.object({ items: z.array(ApiKeyView) }), "The keys."), ...problems(401, 403, 429) },
});

const revokeKeyRoute = createRoute({
  method: "delete",
  path: "/{id}",
  tags,
  summary: "Revoke an API key",
  security,
  request: { params: KeyIdParam },
  responses: { 204: { description: "Revoked." }, ...problems(400, 401, 403, 404, 429) },
});

/** API keys are managed by their owner when signed in, or with an admin-scoped key. */
export function apiKeyRoutes(ctx: EdgeContext) {
  const app = router();
  app.use(authenticated(ctx));
  app.use(async (c, next) => {
    const p = c.get("principal");
    if (p.via === "api_key") requireScope(p, "admin");
    await next();
  });
  app.openapi(createKeyRoute, async (c) =>
    c.json(await createKey({ ctx, principal: c.get("principal"), input: c.req.valid("json") }), 201),
  );
  app.openapi(listKeysRoute, async (c) =>
    c.json({ items: await listApiKeys(ctx.db, c.get("principal").accountId) }, 200),
  );
  app.openapi(revokeKeyRoute, async (c) => {
    const { id } = c.req.valid("param");
    await revokeApiKey(ctx.db, c.get("principal").accountId, id);
    await ctx.caches.changed({ kind: "api_key", apiKeyId: id });
    return c.body(null, 204);
  });
  return app;
}
