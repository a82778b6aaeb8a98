import { Hono } from "hono";
import type { EdgeContext } from "../context.js";
import type { EdgeEnv } from "../http/env.js";
import { jsonBody, params } from "../http/validate.js";
import { createGroup } from "./create-group.js";
import { getGroup, listGroups } from "./get-group.js";
import { addMember, listMembers } from "./members.js";
import { AddMemberBody, createGroupBody, GroupIdParam } from "./schemas.js";

/** Group routes; mounted behind authentication. */
export function groupRoutes(ctx: EdgeContext) {
  const body = createGroupBody(ctx.config.MAX_AGENTS_PER_GROUP);
  return new Hono<EdgeEnv>()
    .post("/", async (c) => {
      const group = await createGroup({ ctx, principal: c.get("principal"), input: await jsonBody(c, body) });
      return c.json(group, 201, { location: `/v1/groups/${group.id}` });
    })
    .get("/", async (c) => c.json(await listGroups({ ctx, principal: c.get("principal") })))
    .get("/:groupId", async (c) => {
      const { groupId } = params(c.req.param(), GroupIdParam, "path");
      return c.json(await getGroup({ ctx, principal: c.get("principal"), groupId }));
    })
    .post("/:groupId/members", async (c) => {
      const { groupId } = params(c.req.param(), GroupIdParam, "path");
      return c.json(
        await addMember({
          ctx,
          principal: c.get("principal"),
          groupId,
          input: await jsonBody(c, AddMemberBody),
        }),
        201,
      );
    })
    .get("/:groupId/members", async (c) => {
      const { groupId } = params(c.req.param(), GroupIdParam, "path");
      return c.json(await listMembers({ ctx, principal: c.get("principal"), groupId }));
    });
}
