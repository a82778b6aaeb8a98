import { createRoute } from "@hono/zod-openapi";
import type { EdgeContext } from "../context.js";
import { bearer, json, jsonBody, problems, router } from "../http/openapi.js";
import { requireJson } from "../http/validate.js";
import { listRoster } from "./list-roster.js";
import { GroupIdParam, RosterBody, RosterView, SeatAgentBody, SeatParams } from "./schemas.js";
import { seatAgent } from "./seat-agent.js";
import { setRoster } from "./set-roster.js";
import { unseatAgent } from "./unseat-agent.js";

const tags = ["Group agents"];
const security = bearer;

const listRoute = createRoute({
  method: "get",
  path: "/{groupId}/agents",
  tags,
  summary: "A group's agents in seat order",
  security,
  request: { params: GroupIdParam },
  responses: { 200: json(RosterView, "The roster."), ...problems(400, 401, 403, 404, 429) },
});

const seatRoute = createRoute({
  method: "post",
  path: "/{groupId}/agents",
  tags,
  summary: "Seat one of the caller's agents (owners)",
  description: "409 when it already sits here, another seated agent has its name, or the group is full.",
  security,
  middleware: [requireJson],
  request: { params: GroupIdParam, ...jsonBody(SeatAgentBody) },
  responses: { 201: json(RosterView, "The roster."), ...problems(400, 401, 403, 404, 409, 413, 429) },
});

const unseatRoute = createRoute({
  method: "delete",
  path: "/{groupId}/agents/{agentId}",
  tags,
  summary: "Take an agent out of a group (owners)",
  security,
  request: { params: SeatParams },
  responses: { 204: { description: "Removed." }, ...problems(400, 401, 403, 404, 429) },
});

/** The agents of a group and their seats; mounted behind authentication. */
export function rosterRoutes(ctx: EdgeContext) {
  const setRoute = createRoute({
    method: "put",
    path: "/{groupId}/agents",
    tags,
    summary: "Replace the roster: agents in seat order (owners)",
    security,
    middleware: [requireJson],
    request: { params: GroupIdParam, ...jsonBody(RosterBody(ctx.config.MAX_AGENTS_PER_GROUP)) },
    responses: { 200: json(RosterView, "The roster."), ...problems(400, 401, 403, 404, 413, 429) },
  });
  const app = router();
  app.openapi(listRoute, async (c) =>
    c.json(
      await listRoster({ ctx, principal: c.get("principal"), groupId: c.req.valid("param").groupId }),
      200,
    ),
  );
  app.openapi(seatRoute, async (c) =>
    c.json(
      await seatAgent({
        ctx,
        principal: c.get("principal"),
        groupId: c.req.valid("param").groupId,
        input: c.req.valid("json"),
      }),
      201,
    ),
  );
  app.openapi(setRoute, async (c) =>
    c.json(
      await setRoster({
        ctx,
        principal: c.get("principal"),
        groupId: c.req.valid("param").groupId,
        agentIds: c.req.valid("json").agentIds,
      }),
      200,
    ),
  );
  app.openapi(unseatRoute, async (c) => {
    await unseatAgent({ ctx, principal: c.get("principal"), ...c.req.valid("param") });
    return c.body(null, 204);
  });
  return app;
}
