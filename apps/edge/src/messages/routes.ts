import { requireGroupAccess } from "@conclave/auth";
import { Hono } from "hono";
import { z } from "zod";
import type { EdgeContext } from "../context.js";
import { GroupIdParam } from "../groups/schemas.js";
import type { EdgeEnv } from "../http/env.js";
import { jsonBody, params } from "../http/validate.js";
import { getTurn } from "./get-turn.js";
import { listMessages } from "./list-messages.js";
import { postMessage } from "./post-message.js";

const HistoryQuery = z.strictObject({
  afterSeq: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
const IdempotencyHeader = z.strictObject({
  "idempotency-key": z
    .string()
    .regex(/^[A-Za-z0-9_.:-]{1,200}$/, "1 to 200 letters, digits, _ . : -")
    .optional(),
});
const TurnParams = GroupIdParam.extend({ turnId: z.uuid("must be a UUID") });

/** Message and turn routes; mounted behind authentication. Access is checked before the body is read. */
export function messageRoutes(ctx: EdgeContext) {
  const body = z.strictObject({
    content: z.string().trim().min(1).max(ctx.config.MAX_MESSAGE_CHARS),
    authorName: z.string().trim().min(1).max(100).optional(),
  });
  return new Hono<EdgeEnv>()
    .post("/:groupId/messages", async (c) => {
      const { groupId } = params(c.req.param(), GroupIdParam, "path");
      const principal = c.get("principal");
      await requireGroupAccess(ctx.db, principal, groupId, "post");
      const headers = params(
        { "idempotency-key": c.req.header("idempotency-key") },
        IdempotencyHeader,
        "header",
      );
      const input = await jsonBody(c, body);
      const actor = {
        kind: "user" as const,
        id: principal.accountId,
        ...(input.authorName ? { name: input.authorName } : {}),
      };
      const posted = await postMessage({
        ctx,
        input: { groupId, actor, content: input.content, idempotencyKey: headers["idempotency-key"] },
      });
      return c.json(posted, 202);
    })
    .get("/:groupId/messages", async (c) => {
      const { groupId } = params(c.req.param(), GroupIdParam, "path");
      await requireGroupAccess(ctx.db, c.get("principal"), groupId, "read");
      const q = params(c.req.query(), HistoryQuery, "query");
      return c.json(await listMessages({ ctx, groupId, ...q }));
    })
    .get("/:groupId/turns/:turnId", async (c) => {
      const { groupId, turnId } = params(c.req.param(), TurnParams, "path");
      await requireGroupAccess(ctx.db, c.get("principal"), groupId, "read");
      return c.json(await getTurn({ ctx, groupId, turnId }));
    });
}
