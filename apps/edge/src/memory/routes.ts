import { createRoute, z } from "@hono/zod-openapi";
import type { EdgeContext } from "../context.js";
import { GroupIdParam } from "../groups/schemas.js";
import { groupAccess } from "../http/group-access.js";
import { bearer, json, jsonBody, problems, router } from "../http/openapi.js";
import { requireJson } from "../http/validate.js";
import { etagOf } from "./block-view.js";
import { deleteBlock } from "./delete-block.js";
import { getBlock } from "./get-block.js";
import { listBlocks } from "./list-blocks.js";
import { putBlock } from "./put-block.js";
import { resetMemory } from "./reset-memory.js";
import {
  BlockParams,
  ETagHeader,
  IfMatchHeader,
  ifVersionOf,
  MemoryBlocksView,
  MemoryBlockView,
  PutBlockBody,
  ResetBody,
  ResetView,
} from "./schemas.js";

const tags = ["Memory"];

/** A group's memory: its blocks (pinned facts in every agent's system prompt) and resets; behind authentication. */
export function memoryRoutes(ctx: EdgeContext) {
  const listRoute = createRoute({
    method: "get",
    path: "/{groupId}/memory/blocks",
    tags,
    summary: "A group's memory blocks, by label",
    description: "Every agent of the group sees them in its system prompt at the start of each turn.",
    security: bearer,
    middleware: [groupAccess(ctx, "read")],
    request: { params: GroupIdParam },
    responses: {
      200: json(MemoryBlocksView, "The blocks and their limits."),
      ...problems(400, 401, 403, 404, 429),
    },
  });
  const getRoute = createRoute({
    method: "get",
    path: "/{groupId}/memory/blocks/{label}",
    tags,
    summary: "One memory block",
    security: bearer,
    middleware: [groupAccess(ctx, "read")],
    request: { params: BlockParams },
    responses: {
      200: { ...json(MemoryBlockView, "The block."), headers: ETagHeader },
      ...problems(400, 401, 403, 404, 429),
    },
  });
  const putRoute = createRoute({
    method: "put",
    path: "/{groupId}/memory/blocks/{label}",
    tags,
    summary: "Set a memory block's text, creating it (owners and members)",
    description:
      "The whole text; agents see it from the next turn. `409` when `If-Match` names another version than the block's. A value over the block's `limit`, a block past the group's `maxBlocks` or past `maxTotalChars` in all is a `422` naming the field, and nothing changes. Each change publishes one `memory.updated`.",
    security: bearer,
    middleware: [groupAccess(ctx, "post"), requireJson],
    request: { params: BlockParams, headers: IfMatchHeader, ...jsonBody(PutBlockBody) },
    responses: {
      200: { ...json(MemoryBlockView, "Changed."), headers: ETagHeader },
      201: {
        ...json(MemoryBlockView, "Created."),
        headers: ETagHeader.extend({ location: z.string() }),
      },
      ...problems(400, 401, 403, 404, 409, 413, 422, 429, 503),
    },
  });
  const deleteRoute = createRoute({
    method: "delete",
    path: "/{groupId}/memory/blocks/{label}",
    tags,
    summary: "Delete a memory block (owners and members)",
    description:
      "`409` when `If-Match` names another version than the block's. Publishes one `memory.updated` (`delete`).",
    security: bearer,
    middleware: [groupAccess(ctx, "post")],
    request: { params: BlockParams, headers: IfMatchHeader },
    responses: { 204: { description: "Deleted." }, ...problems(400, 401, 403, 404, 409, 429, 503) },
  });
  const resetRoute = createRoute({
    method: "post",
    path: "/{groupId}/memory/reset",
    tags,
    summary: "Make the group's agents forget the conversation so far (owners and members)",
    description:
      "Publishes `memory.reset`; prompts of turns whose message comes after it carry no earlier messages and no summary. The history itself stays, and so do the blocks (pinned facts: delete them one by one). `503` (nothing changed) when the event bus is unreachable.",
    security: bearer,
    middleware: [groupAccess(ctx, "post")],
    request: {
      params: GroupIdParam,
      body: { required: false, content: { "application/json": { schema: ResetBody } } },
    },
    responses: {
      200: json(ResetView, "Reset: later prompts start after `resetSeq`."),
      ...problems(400, 401, 403, 404, 413, 429, 503),
    },
  });

  const app = router();
  app.openapi(listRoute, async (c) =>
    c.json(await listBlocks({ ctx, principal: c.get("principal"), input: c.req.valid("param") }), 200),
  );
  app.openapi(getRoute, async (c) => {
    const block = await getBlock({ ctx, principal: c.get("principal"), input: c.req.valid("param") });
    return c.json(block, 200, { etag: etagOf(block) });
  });
  app.openapi(putRoute, async (c) => {
    const ifVersion = ifVersionOf(c.req.valid("header")["if-match"]);
    const { block, created } = await putBlock({
      ctx,
      principal: c.get("principal"),
      input: {
        ...c.req.valid("param"),
        ...c.req.valid("json"),
        ...(ifVersion === undefined ? {} : { ifVersion }),
      },
    });
    const etag = etagOf(block);
    if (created) {
      const { groupId } = c.req.valid("param");
      return c.json(block, 201, { etag, location: `/v1/groups/${groupId}/memory/blocks/${block.label}` });
    }
    return c.json(block, 200, { etag });
  });
  app.openapi(deleteRoute, async (c) => {
    const ifVersion = ifVersionOf(c.req.valid("header")["if-match"]);
    await deleteBlock({
      ctx,
      principal: c.get("principal"),
      input: { ...c.req.valid("param"), ...(ifVersion === undefined ? {} : { ifVersion }) },
    });
    return c.body(null, 204);
  });
  app.openapi(resetRoute, async (c) => {
    const { reason } = c.req.valid("json");
    return c.json(
      await resetMemory({ ctx, principal: c.get("principal"), input: { ...c.req.valid("param"), reason } }),
      200,
    );
  });
  return app;
}
