import { createRoute } from "@hono/zod-openapi";
import type { EdgeContext } from "../context.js";
import { GroupIdParam } from "../groups/schemas.js";
import { groupAccess } from "../http/group-access.js";
import { bearer, json, jsonBody, problems, router } from "../http/openapi.js";
import { requireJson } from "../http/validate.js";
import { cancelTurn } from "./cancel-turn.js";
import { decideToolCall } from "./decide-tool-call.js";
import { getTurn } from "./get-turn.js";
import { listMessages } from "./list-messages.js";
import { postMessage } from "./post-message.js";
import {
  CancelRequestedView,
  CancelTurnBody,
  HistoryQuery,
  HistoryView,
  IdempotencyHeader,
  PostedView,
  postMessageBody,
  ToolDecisionBody,
  ToolDecisionView,
  TurnParams,
  TurnView,
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
      "Answers 202 once JetStream stored the message; 409 when the group's `concurrentInput` is `reject` and another message's turn holds the group; 503 (nothing published) when the event bus is unreachable.",
    security: bearer,
    middleware: [groupAccess(ctx, "post"), requireJson],
    request: {
      params: GroupIdParam,
      headers: IdempotencyHeader,
      ...jsonBody(postMessageBody(ctx.config.MAX_MESSAGE_CHARS)),
    },
    responses: {
      202: json(PostedView, "Accepted: the message and its turn."),
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
    summary: "A turn's recorded status",
    security: bearer,
    middleware: [groupAccess(ctx, "read")],
    request: { params: TurnParams },
    responses: { 200: json(TurnView, "The turn."), ...problems(400, 401, 403, 404, 429) },
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
    const actor = {
      kind: "user" as const,
      id: principal.accountId,
      ...(input.authorName ? { name: input.authorName } : {}),
    };
    const posted = await postMessage({
      ctx,
      input: {
        groupId: c.req.valid("param").groupId,
        actor,
        content: input.content,
        idempotencyKey: c.req.valid("header")["idempotency-key"],
      },
    });
    return c.json(posted, 202);
  });
  app.openapi(historyRoute, async (c) =>
    c.json(await listMessages({ ctx, groupId: c.req.valid("param").groupId, ...c.req.valid("query") }), 200),
  );
  app.openapi(turnRoute, async (c) => c.json(await getTurn({ ctx, ...c.req.valid("param") }), 200));
  return app;
}
