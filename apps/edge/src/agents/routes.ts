import { createRoute, z } from "@hono/zod-openapi";
import type { EdgeContext } from "../context.js";
import { bearer, json, jsonBody, problems, router } from "../http/openapi.js";
import { requireJson } from "../http/validate.js";
import { agentStatus } from "./agent-status.js";
import { bulkAgents } from "./bulk-agents.js";
import { createAgent } from "./create-agent.js";
import { deleteAgent } from "./delete-agent.js";
import { getAgent } from "./get-agent.js";
import { listAgents } from "./list-agents.js";
import {
  AgentIdParam,
  AgentInput,
  AgentPatch,
  AgentStatusQuery,
  AgentStatusView,
  AgentView,
  BulkBody,
  BulkView,
  DeleteAgentQuery,
  ListAgentsQuery,
} from "./schemas.js";
import { setAgentEnabled } from "./set-agent-enabled.js";
import { updateAgent } from "./update-agent.js";

const tags = ["Agents"];
const security = bearer;

const listRoute = createRoute({
  method: "get",
  path: "/",
  tags,
  summary: "The caller's agents, newest first",
  description: "Filter by `provider`, `enabled` and `q` (name contains); `nextCursor` continues a page.",
  security,
  request: { query: ListAgentsQuery },
  responses: {
    200: json(z.object({ items: z.array(AgentView), nextCursor: z.uuid().nullable() }), "A page."),
    ...problems(400, 401, 403, 429),
  },
});

const createAgentRoute = createRoute({
  method: "post",
  path: "/",
  tags,
  summary: "Create an agent in the caller's account",
  description:
    "Once a live executor has reported (`GET /v1/providers`), a provider none serves (nor would with the caller's own key) or a model outside the ones named for it is a `422` naming the field.",
  security,
  middleware: [requireJson],
  request: jsonBody(AgentInput),
  responses: {
    201: { ...json(AgentView, "The agent."), headers: z.object({ location: z.string() }) },
    ...problems(400, 401, 403, 409, 413, 422, 429),
  },
});

const bulkRoute = createRoute({
  method: "post",
  path: "/bulk",
  tags,
  summary: "Create, update, enable, disable or delete many agents, with a result per operation",
  description:
    "A malformed request is a 400 and runs nothing. Otherwise each operation runs on its own and its result carries the status and problem it alone would have had.",
  security,
  middleware: [requireJson],
  request: jsonBody(BulkBody),
  responses: {
    200: json(BulkView, "One result per operation, in order."),
    ...problems(400, 401, 403, 413, 429),
  },
});

const getRoute = createRoute({
  method: "get",
  path: "/{id}",
  tags,
  summary: "One of the caller's agents",
  security,
  request: { params: AgentIdParam },
  responses: { 200: json(AgentView, "The agent."), ...problems(400, 401, 403, 404, 429) },
});

const patchRoute = createRoute({
  method: "patch",
  path: "/{id}",
  tags,
  summary: "Change an agent",
  description:
    "Only the fields given change. A turn already running keeps the agent as it found it. A changed provider or model is checked as at create (`422`); an unchanged one never is.",
  security,
  middleware: [requireJson],
  request: { params: AgentIdParam, ...jsonBody(AgentPatch) },
  responses: {
    200: json(AgentView, "The agent as changed."),
    ...problems(400, 401, 403, 404, 409, 413, 422, 429),
  },
});

const deleteRoute = createRoute({
  method: "delete",
  path: "/{id}",
  tags,
  summary: "Delete an agent",
  description: "An agent that sits in groups is a 409 unless `force=true`, which takes it out of them.",
  security,
  request: { params: AgentIdParam, query: DeleteAgentQuery },
  responses: { 204: { description: "Deleted." }, ...problems(400, 401, 403, 404, 409, 429) },
});

const toggleRoute = (action: "enable" | "disable") =>
  createRoute({
    method: "post",
    path: `/{id}/${action}`,
    tags,
    summary:
      action === "enable" ? "Enable an agent" : "Disable an agent: it keeps its seats but does not speak",
    security,
    request: { params: AgentIdParam },
    responses: { 200: json(AgentView, "The agent."), ...problems(400, 401, 403, 404, 429) },
  });

const statusRoute = createRoute({
  method: "get",
  path: "/{id}/status",
  tags,
  summary: "When an agent last answered, and its error rate over a window",
  security,
  request: { params: AgentIdParam, query: AgentStatusQuery },
  responses: { 200: json(AgentStatusView, "The status."), ...problems(400, 401, 403, 404, 429) },
});

/** Agent routes; mounted behind authentication. Fixed paths come before `/{id}`, which would match them. */
export function agentRoutes(ctx: EdgeContext) {
  const app = router();
  app.openapi(listRoute, async (c) =>
    c.json(await listAgents({ ctx, principal: c.get("principal"), input: c.req.valid("query") }), 200),
  );
  app.openapi(createAgentRoute, async (c) => {
    const agent = await createAgent({ ctx, principal: c.get("principal"), input: c.req.valid("json") });
    return c.json(agent, 201, { location: `/v1/agents/${agent.id}` });
  });
  app.openapi(bulkRoute, async (c) =>
    c.json(
      await bulkAgents({ ctx, principal: c.get("principal"), operations: c.req.valid("json").operations }),
      200,
    ),
  );
  app.openapi(getRoute, async (c) =>
    c.json(await getAgent({ ctx, principal: c.get("principal"), id: c.req.valid("param").id }), 200),
  );
  app.openapi(patchRoute, async (c) =>
    c.json(
      await updateAgent({
        ctx,
        principal: c.get("principal"),
        id: c.req.valid("param").id,
        input: c.req.valid("json"),
      }),
      200,
    ),
  );
  app.openapi(deleteRoute, async (c) => {
    await deleteAgent({
      ctx,
      principal: c.get("principal"),
      id: c.req.valid("param").id,
      force: c.req.valid("query").force,
    });
    return c.body(null, 204);
  });
  for (const action of ["enable", "disable"] as const)
    app.openapi(toggleRoute(action), async (c) =>
      c.json(
        await setAgentEnabled({
          ctx,
          principal: c.get("principal"),
          id: c.req.valid("param").id,
          enabled: action === "enable",
        }),
        200,
      ),
    );
  app.openapi(statusRoute, async (c) =>
    c.json(
      await agentStatus({
        ctx,
        principal: c.get("principal"),
        id: c.req.valid("param").id,
        windowHours: c.req.valid("query").windowHours,
      }),
      200,
    ),
  );
  return app;
}
