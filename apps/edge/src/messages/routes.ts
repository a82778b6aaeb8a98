import { createRoute, z } from "@hono/zod-openapi";
import type { EdgeContext } from "../context.js";
import { GroupIdParam } from "../groups/schemas.js";
import { groupAccess } from "../http/group-access.js";
import { bearer, json, jsonBody, problems, router } from "../http/openapi.js";
import { requireJson } from "../http/validate.js";
import { WIDGET_AUTHOR_NAME } from "../widget/embed-code.js";
import { askGroup } from "./ask-group.js";
import { awaitTurn } from "./await-turn.js";
import { cancelTurn } from "./cancel-turn.js";
import { decideToolCall } from "./decide-tool-call.js";
import { getTurn } from "./get-turn.js";
import { listMessages } from "./list-messages.js";
import { postMessage } from "./post-message.js";
import {
  CancelRequestedView,
  CancelTurnBody,
  FinishedTurnView,
  HistoryQuery,
  HistoryView,
  IdempotencyHeader,
  PostedView,
  postMessageBody,
  ToolDecisionBody,
  ToolDecisionView,
  TurnParams,
  TurnView,
  WaitQuery,
} from "./schemas.js";

const tags = ["Messages"];

/** Message and turn routes; mounted behind authentication. Access is checked before the body is read. */
export function messageRoutes(ctx: EdgeContext) {
  const postRoute = createRoute({
    method: "post",
    path: "/{groupId}/messages",
    tags,
    summary: "Post a message; it opens a turn",
    description:
      "Answers 202 once JetStream stored the message; 409 when the group's `concurrentInput` is `reject` and another message's turn holds the group; 503 (nothing published) when the event bus is unreachable. With `wait` (the exchange: ask, then wait for the answer; the credential needs the `read` scope too), the edge then waits for the turn's outcome on the stream: 200 with the finished turn as soon as it ends, 202 with its status when the wait ends first. A bad `wait` is a 400 and publishes nothing.",
    security: bearer,
    middleware: [groupAccess(ctx, "post"), requireJson],
    request: {
      params: GroupIdParam,
      query: WaitQuery,
      headers: IdempotencyHeader,
      ...jsonBody(postMessageBody(ctx.config.MAX_MESSAGE_CHARS)),
    },
    responses: {
      200: json(FinishedTurnView, "With `wait`: the turn ended in time; its replies, vote and usage."),
      202: json(
        PostedView,
        "Accepted: the message and its turn (with `wait`: not ended yet, and its status).",
      ),
      ...problems(400, 401, 403, 404, 409, 413, 422, 429, 503),
    },
  });
  const historyRoute = createRoute({
    method: "get",
    path: "/{groupId}/messages",
    tags,
    summary: "A group's history in stream order",
    security: bearer,
    middleware: [groupAccess(ctx, "read")],
    request: { params: GroupIdParam, query: HistoryQuery },
    responses: {
      200: json(HistoryView, "A page; `nextAfterSeq` continues it."),
      ...problems(400, 401, 403, 404, 429),
    },
  });
  const turnRoute = createRoute({
    method: "get",
    path: "/{groupId}/turns/{turnId}",
    tags,
    summary: "A turn's recorded status, or (with `wait`) its outcome",
    description:
      "Without `wait`, the turn as recorded in PostgreSQL (`Turn`). With `wait`, the same answers as a post with `wait`, read from the stream from any edge: 200 `FinishedTurn` as soon as the turn ends (at once for one that ended), 202 `Posted` with its status when the wait ends first. A turn accepted a moment ago is looked for for about 2 s before a 404.",
    security: bearer,
    middleware: [groupAccess(ctx, "read")],
    request: { params: TurnParams, query: WaitQuery },
    responses: {
      200: json(
        z.union([TurnView, FinishedTurnView]),
        "The turn: `Turn` without `wait`, `FinishedTurn` with it.",
      ),
      202: json(PostedView, "With `wait`: the turn has not ended yet; its ids and status."),
      ...problems(400, 401, 403, 404, 429, 503),
    },
  });

  const decisionRoute = createRoute({
    method: "post",
    path: "/{groupId}/turns/{turnId}/tool-decisions",
    tags,
    summary: "Approve or deny a tool call that waits for a person",
    description:
      "For tools configured to need approval; members and owners of the group. The first decision about a call counts. 404 unless the turn is this group's and the call asked for approval in it (looked for up to about 2 s, as the request may be recorded a moment late).",
    security: bearer,
    middleware: [groupAccess(ctx, "post"), requireJson],
    request: { params: TurnParams, ...jsonBody(ToolDecisionBody) },
    responses: { 202: json(ToolDecisionView, "Recorded."), ...problems(400, 401, 403, 404, 429, 503) },
  });

  const cancelRoute = createRoute({
    method: "post",
    path: "/{groupId}/turns/{turnId}/cancel",
    tags,
    summary: "Ask to stop a turn, running or still queued",
    description:
      "Members and owners. The orchestrator ends the turn with `turn.failed` (reason `cancelled`); asking again changes nothing. 404 for a turn the group does not know, 409 for one that already ended.",
    security: bearer,
    middleware: [groupAccess(ctx, "post")],
    request: {
      params: TurnParams,
      body: { required: false, content: { "application/json": { schema: CancelTurnBody } } },
    },
    responses: {
      202: json(CancelRequestedView, "Asked; the turn's end follows as an event."),
      ...problems(400, 401, 403, 404, 409, 429, 503),
    },
  });

  const app = router();
  app.openapi(cancelRoute, async (c) => {
    const actor = { kind: "user" as const, id: c.get("principal").accountId };
    const { reason } = c.req.valid("json");
    return c.json(await cancelTurn({ ctx, input: { ...c.req.valid("param"), reason, actor } }), 202);
  });
  app.openapi(decisionRoute, async (c) =>
    c.json(
      await decideToolCall({
        ctx,
        principal: c.get("principal"),
        input: { ...c.req.valid("param"), ...c.req.valid("json") },
      }),
      202,
    ),
  );
  app.openapi(postRoute, async (c) => {
    const principal = c.get("principal");
    const input = c.req.valid("json");
    // A widget's visitors are anonymous: their messages are the key's, under one name they cannot change.
    const actor = principal.widget
      ? { kind: "user" as const, id: `widget:${principal.apiKeyId}`, name: WIDGET_AUTHOR_NAME }
      : {
          kind: "user" as const,
          id: principal.accountId,
          ...(input.authorName ? { name: input.authorName } : {}),
        };
    const post = {
      groupId: c.req.valid("param").groupId,
      actor,
      content: input.content,
      idempotencyKey: c.req.valid("header")["idempotency-key"],
    };
    const { wait } = c.req.valid("query");
    if (wait === undefined) return c.json(await postMessage({ ctx, input: post }), 202);
    const watched = await askGroup({
      ctx,
      principal,
      input: { ...post, waitMs: wait * 1000, signal: c.req.raw.signal },
    });
    return watched.ended ? c.json(watched.turn, 200) : c.json(watched.pending, 202);
  });
  app.openapi(historyRoute, async (c) =>
    c.json(await listMessages({ ctx, groupId: c.req.valid("param").groupId, ...c.req.valid("query") }), 200),
  );
  app.openapi(turnRoute, async (c) => {
    const { wait } = c.req.valid("query");
    if (wait === undefined) return c.json(await getTurn({ ctx, ...c.req.valid("param") }), 200);
    const watched = await awaitTurn({
      ctx,
      principal: c.get("principal"),
      input: { ...c.req.valid("param"), waitMs: wait * 1000, signal: c.req.raw.signal },
    });
    return watched.ended ? c.json(watched.turn, 200) : c.json(watched.pending, 202);
  });
  return app;
}
