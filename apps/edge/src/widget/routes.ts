import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { EdgeContext } from "../context.js";
import { GroupIdParam } from "../groups/schemas.js";
import type { EdgeEnv } from "../http/env.js";
import { groupAccess } from "../http/group-access.js";
import { bearer, json, jsonBody, problems, router } from "../http/openapi.js";
import { requireJson } from "../http/validate.js";
import { createWidgetKey } from "./create-widget-key.js";
import { listWidgetKeys } from "./list-widget-keys.js";
import { revokeWidgetKey } from "./revoke-widget-key.js";
import {
  CreatedWidgetKeyView,
  CreateWidgetKeyBody,
  EmbedView,
  WidgetKeyParams,
  WidgetKeyView,
} from "./schemas.js";
import { widgetEmbed } from "./widget-embed.js";

const tags = ["Widget"];

/** Widget keys of a group, for its owners; mounted behind authentication. */
export function widgetKeyRoutes(ctx: EdgeContext) {
  const baseUrl = (c: Context<EdgeEnv>) => ctx.config.WIDGET_PUBLIC_URL ?? new URL(c.req.url).origin;

  const createKeyRoute = createRoute({
    method: "post",
    path: "/{groupId}/widget-keys",
    tags,
    summary: "Create a widget key and its embed code (the secret is shown once)",
    description:
      "Owners only. The key posts to and reads this group only (its messages, and its events from the fanout), and only from pages on the listed `origins` (exact scheme, host and port); everything else answers 403, another group 404. Its messages are authored `{ kind: user, id: widget:<keyId>, name: Visitor }`.",
    security: bearer,
    middleware: [groupAccess(ctx, "manage"), requireJson],
    request: { params: GroupIdParam, ...jsonBody(CreateWidgetKeyBody) },
    responses: {
      201: json(CreatedWidgetKeyView, "The key, with its secret and the embed code holding it."),
      ...problems(400, 401, 403, 404, 413, 429),
    },
  });
  const listKeysRoute = createRoute({
    method: "get",
    path: "/{groupId}/widget-keys",
    tags,
    summary: "The group's widget keys (no secrets)",
    security: bearer,
    middleware: [groupAccess(ctx, "manage")],
    request: { params: GroupIdParam },
    responses: {
      200: json(z.object({ items: z.array(WidgetKeyView) }), "The keys."),
      ...problems(400, 401, 403, 404, 429),
    },
  });
  const embedRoute = createRoute({
    method: "get",
    path: "/{groupId}/widget-keys/{keyId}/embed",
    tags,
    summary: "A widget key's embed code, with a placeholder for the key",
    description:
      "The secret is stored hashed and was shown only at creation: the code holds `keyPlaceholder` where it goes. A lost key is replaced by creating a new one (and revoking the old).",
    security: bearer,
    middleware: [groupAccess(ctx, "manage")],
    request: { params: WidgetKeyParams },
    responses: { 200: json(EmbedView, "The embed code."), ...problems(400, 401, 403, 404, 429) },
  });
  const revokeKeyRoute = createRoute({
    method: "delete",
    path: "/{groupId}/widget-keys/{keyId}",
    tags,
    summary: "Revoke a widget key",
    security: bearer,
    middleware: [groupAccess(ctx, "manage")],
    request: { params: WidgetKeyParams },
    responses: { 204: { description: "Revoked." }, ...problems(400, 401, 403, 404, 429) },
  });

  const app = router();
  app.openapi(createKeyRoute, async (c) => {
    const { groupId } = c.req.valid("param");
    const input = { groupId, body: c.req.valid("json"), baseUrl: baseUrl(c) };
    return c.json(await createWidgetKey({ ctx, principal: c.get("principal"), input }), 201);
  });
  app.openapi(listKeysRoute, async (c) =>
    c.json(await listWidgetKeys({ ctx, principal: c.get("principal"), input: c.req.valid("param") }), 200),
  );
  app.openapi(embedRoute, async (c) => {
    const input = { ...c.req.valid("param"), baseUrl: baseUrl(c) };
    return c.json(await widgetEmbed({ ctx, principal: c.get("principal"), input }), 200);
  });
  app.openapi(revokeKeyRoute, async (c) => {
    await revokeWidgetKey({ ctx, principal: c.get("principal"), input: c.req.valid("param") });
    return c.body(null, 204);
  });
  return app;
}
