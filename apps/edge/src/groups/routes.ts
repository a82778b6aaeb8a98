import { createRoute, z } from "@hono/zod-openapi";
import type { EdgeContext } from "../context.js";
import { groupAccess } from "../http/group-access.js";
import { bearer, json, jsonBody, problems, router } from "../http/openapi.js";
import { requireJson } from "../http/validate.js";
import { IdempotencyHeader } from "../messages/schemas.js";
import { createGroup } from "./create-group.js";
import { deleteGroup } from "./delete-group.js";
import { forkGroup } from "./fork-group.js";
import { getGroup } from "./get-group.js";
import { listGroups } from "./list-groups.js";
import {
  createGroupBody,
  FORK_LIMITS,
  forkGroupBody,
  GroupIdParam,
  GroupPatch,
  GroupSummaryView,
  GroupView,
  ListGroupsQuery,
} from "./schemas.js";
import { updateGroup } from "./update-group.js";

const tags = ["Groups"];
const security = bearer;

const listRoute = createRoute({
  method: "get",
  path: "/",
  tags,
  summary: "The caller's groups and role in each, newest first",
  security,
  request: { query: ListGroupsQuery },
  responses: {
    200: json(
      z.object({ items: z.array(GroupSummaryView), nextCursor: z.uuid().nullable() }),
      "A page; `nextCursor` continues it.",
    ),
    ...problems(400, 401, 403, 429),
  },
});

const getRoute = createRoute({
  method: "get",
  path: "/{groupId}",
  tags,
  summary: "A group, its settings and its agents in seat order",
  security,
  request: { params: GroupIdParam },
  responses: { 200: json(GroupView, "The group."), ...problems(400, 401, 403, 404, 429) },
});

const patchRoute = createRoute({
  method: "patch",
  path: "/{groupId}",
  tags,
  summary: "Change a group's name, strategy or settings (owners)",
  description:
    "Settings are a merge patch: given keys change, `null` resets one. A running turn keeps what it started with.",
  security,
  middleware: [requireJson],
  request: { params: GroupIdParam, ...jsonBody(GroupPatch) },
  responses: { 200: json(GroupView, "The group as changed."), ...problems(400, 401, 403, 404, 413, 429) },
});

const deleteRoute = createRoute({
  method: "delete",
  path: "/{groupId}",
  tags,
  summary: "Delete a group (owners); its agents stay in their owners' accounts",
  security,
  request: { params: GroupIdParam },
  responses: { 204: { description: "Deleted." }, ...problems(400, 401, 403, 404, 429) },
});

/** Group routes; mounted behind authentication. */
export function groupRoutes(ctx: EdgeContext) {
  const createGroupRoute = createRoute({
    method: "post",
    path: "/",
    tags,
    summary: "Create a group; the caller is its owner",
    description:
      "`agents` are new agents made in the caller's account; `agentIds` seat existing ones. Names are unique in a group.",
    security,
    middleware: [requireJson],
    request: jsonBody(createGroupBody(ctx.config.MAX_AGENTS_PER_GROUP)),
    responses: {
      201: { ...json(GroupView, "The group."), headers: z.object({ location: z.string() }) },
      ...problems(400, 401, 403, 404, 409, 413, 422, 429),
    },
  });
  const forkRoute = createRoute({
    method: "post",
    path: "/{groupId}/fork",
    tags,
    summary: "Fork a group at a seq into a new live group (owners and members); the caller owns the fork",
    description: [
      "The fork's history is a copy of the original's recorded events up to `fromSeq` (same types, payloads and order;",
      "new ids, each copy's `forkedFrom` naming the original's group, seq and event id), its agents' memory is that history",
      "(summary, blocks, window), and its next message runs a turn with the original's current agents or the `agents` given.",
      "A turn still running at `fromSeq` ends in the fork as failed (`cancelled`). Settings, strategy and description are copied;",
      "files and people are not: the caller is the owner, the owners of the seated agents are members.",
      `At most ${FORK_LIMITS.maxEvents} events per fork. With an \`Idempotency-Key\`, a retry answers (or finishes) the same fork.`,
    ].join(" "),
    security,
    middleware: [groupAccess(ctx, "post"), requireJson],
    request: {
      params: GroupIdParam,
      headers: IdempotencyHeader,
      ...jsonBody(forkGroupBody(ctx.config.MAX_AGENTS_PER_GROUP)),
    },
    responses: {
      201: { ...json(GroupView, "The fork, live."), headers: z.object({ location: z.string() }) },
      200: {
        ...json(GroupView, "The fork a retry with this Idempotency-Key made before."),
        headers: z.object({ location: z.string() }),
      },
      ...problems(400, 401, 403, 404, 413, 422, 429, 503),
    },
  });
  const app = router();
  app.openapi(forkRoute, async (c) => {
    const { group, created } = await forkGroup({
      ctx,
      principal: c.get("principal"),
      input: {
        ...c.req.valid("json"),
        groupId: c.req.valid("param").groupId,
        idempotencyKey: c.req.valid("header")["idempotency-key"],
      },
    });
    return c.json(group, created ? 201 : 200, { location: `/v1/groups/${group.id}` });
  });
  app.openapi(createGroupRoute, async (c) => {
    const group = await createGroup({ ctx, principal: c.get("principal"), input: c.req.valid("json") });
    return c.json(group, 201, { location: `/v1/groups/${group.id}` });
  });
  app.openapi(listRoute, async (c) =>
    c.json(await listGroups({ ctx, principal: c.get("principal"), input: c.req.valid("query") }), 200),
  );
  app.openapi(getRoute, async (c) =>
    c.json(
      await getGroup({ ctx, principal: c.get("principal"), groupId: c.req.valid("param").groupId }),
      200,
    ),
  );
  app.openapi(patchRoute, async (c) =>
    c.json(
      await updateGroup({
        ctx,
        principal: c.get("principal"),
        groupId: c.req.valid("param").groupId,
        input: c.req.valid("json"),
      }),
      200,
    ),
  );
  app.openapi(deleteRoute, async (c) => {
    await deleteGroup({ ctx, principal: c.get("principal"), groupId: c.req.valid("param").groupId });
    return c.body(null, 204);
  });
  return app;
}
