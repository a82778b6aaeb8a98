import { createRoute } from "@hono/zod-openapi";
import type { EdgeContext } from "../context.js";
import { bearer, json, jsonBody, problems, router } from "../http/openapi.js";
import { requireJson } from "../http/validate.js";
import { draftAgent } from "./draft-agent.js";
import { listTemplates } from "./list-templates.js";
import { TemplatesQuery, TemplatesView, WizardBody, WizardView } from "./schemas.js";

const tags = ["Agent templates"];
const security = bearer;

const listRoute = createRoute({
  method: "get",
  path: "/",
  tags,
  summary: "Industry and role presets, and the wizard's choices",
  security,
  request: { query: TemplatesQuery },
  responses: { 200: json(TemplatesView, "The catalog."), ...problems(400, 401, 403, 429) },
});

const wizardRoute = createRoute({
  method: "post",
  path: "/wizard",
  tags,
  summary: "Compose a draft agent from industry, role, tone and rules (nothing is saved)",
  security,
  middleware: [requireJson],
  request: jsonBody(WizardBody),
  responses: {
    200: json(WizardView, "The draft, and what it was composed from."),
    ...problems(400, 401, 403, 413, 429),
  },
});

/** The template catalog and the wizard; mounted behind authentication. */
export function templateRoutes(ctx: EdgeContext) {
  const app = router();
  app.openapi(listRoute, (c) =>
    c.json(listTemplates({ ctx, principal: c.get("principal"), input: c.req.valid("query") }), 200),
  );
  app.openapi(wizardRoute, (c) =>
    c.json(draftAgent({ ctx, principal: c.get("principal"), input: c.req.valid("json") }), 200),
  );
  return app;
}
