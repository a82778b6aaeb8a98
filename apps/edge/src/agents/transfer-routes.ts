import { createRoute } from "@hono/zod-openapi";
import type { EdgeContext } from "../context.js";
import { bearer, json, problems, router } from "../http/openapi.js";
import { yamlBody } from "../http/yaml-body.js";
import { exportAgents } from "./export-agents.js";
import { importAgents } from "./import-agents.js";
import { ExportQuery, ImportedView, transferDocument } from "./transfer-schemas.js";

const tags = ["Agents"];

/** YAML export and import of agents and a group; mounted behind authentication, before `/{id}`. */
export function transferRoutes(ctx: EdgeContext) {
  const document = transferDocument(ctx.config.MAX_AGENTS_PER_GROUP);
  const exportRoute = createRoute({
    method: "get",
    path: "/export",
    tags,
    summary: "Export agents (and a group) as YAML",
    description:
      "`groupId`: a group the caller owns, with its agents (all the caller's). `ids`: those agents. Neither: all the caller's agents. Importing the document gives the same configuration.",
    security: bearer,
    request: { query: ExportQuery },
    responses: {
      200: { description: "The document.", content: { "application/yaml": { schema: document } } },
      ...problems(400, 401, 403, 404, 409, 429),
    },
  });
  const importRoute = createRoute({
    method: "post",
    path: "/import",
    tags,
    summary: "Import agents (and a group) from YAML",
    description:
      "The whole document is checked first and every issue reported (`body.agents.2.name`); then all of it is created in one transaction, so an error changes nothing. JSON is accepted too.",
    security: bearer,
    request: { body: { required: true, content: { "application/yaml": { schema: document } } } },
    responses: {
      201: json(ImportedView, "What was created."),
      ...problems(400, 401, 403, 409, 413, 422, 429),
    },
  });
  const app = router();
  app.openapi(exportRoute, async (c) => {
    const yaml = await exportAgents({ ctx, principal: c.get("principal"), input: c.req.valid("query") });
    return c.body(yaml, 200, {
      "content-type": "application/yaml; charset=utf-8",
      "content-disposition": 'attachment; filename="conclave-agents.yaml"',
    });
  });
  app.openapi(importRoute, async (c) =>
    c.json(await importAgents({ ctx, principal: c.get("principal"), raw: await yamlBody(c) }), 201),
  );
  return app;
}
