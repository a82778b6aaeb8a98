import type { GroupAction } from "@conclave/auth";
import { z } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import type { EdgeContext } from "../context.js";
import type { EdgeEnv } from "./env.js";
import { params } from "./validate.js";

const GroupId = z.object({ groupId: z.uuid("must be a UUID") });

/**
 * Route middleware: the caller may act in the group named by the path, checked before the body is
 * read, so a non-member learns nothing from how a body would have been judged. The role comes from
 * the edge's cache (dropped on every membership change); services recheck in their transactions.
 */
export function groupAccess(ctx: EdgeContext, action: GroupAction): MiddlewareHandler<EdgeEnv> {
  return async (c, next) => {
    const { groupId } = params(c.req.param(), GroupId, "path");
    await ctx.caches.requireGroupAccess(c.get("principal"), groupId, action);
    await next();
  };
}
