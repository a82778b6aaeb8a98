import { Hono } from "hono";
import type { EdgeContext } from "../context.js";
import { jsonBody, params } from "../http/validate.js";
import { createGroup } from "./create-group.js";
import { getGroup } from "./get-group.js";
import { createGroupBody, GroupIdParam } from "./schemas.js";

export function groupRoutes(ctx: EdgeContext) {
  const body = createGroupBody(ctx.config.MAX_AGENTS_PER_GROUP);
  return new Hono()
    .post("/", async (c) => {
      const input = await jsonBody(c, body);
      const group = await createGroup({ ctx, input });
      return c.json(group, 201, { location: `/v1/groups/${group.id}` });
    })
    .get("/:groupId", async (c) => {
      const { groupId } = params(c.req.param(), GroupIdParam, "path");
      return c.json(await getGroup({ ctx, groupId }));
    });
}
