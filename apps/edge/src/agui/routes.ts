import { requireScope } from "@conclave/auth";
import { createRoute, z } from "@hono/zod-openapi";
import type { EdgeContext } from "../context.js";
import { GroupIdParam } from "../groups/schemas.js";
import { groupAccess } from "../http/group-access.js";
import { bearer, jsonBody, problems, router } from "../http/openapi.js";
import { requireJson } from "../http/validate.js";
import { runAgUi } from "./run-agui.js";
import { AgUiRunDoc, LastEventIdHeader } from "./schemas.js";

/** A comment line on an idle stream, so proxies and clients know it is alive. */
export const HEARTBEAT_MS = 15_000;
/**
 * How often a running stream rechecks its caller besides on each access change heard: bounds what a
 * lost change notice leaves (the caches' own TTL comes on top).
 */
export const ACCESS_RECHECK_MS = 5_000;

/** The AG-UI endpoint: a RunAgentInput in, the turn's events out as AG-UI events over SSE. */
export function aguiRoutes(ctx: EdgeContext) {
  const route = createRoute({
    method: "post",
    path: "/{groupId}/agui",
    tags: ["AG-UI"],
    summary: "Run a turn as an AG-UI agent run (Server-Sent Events)",
    description: [
      "Speaks the AG-UI protocol: the last `user` message of the RunAgentInput is posted to the group (as `POST …/messages`: the same roles, limits and `concurrentInput` policy; owners and members, with the `post` and `read` scopes), and the answer streams that turn as AG-UI events until it ends:",
      "RUN_STARTED, STATE_SNAPSHOT (the turn's strategy, speakers and their reasons, ballots, tally, outcome) then STATE_DELTA (JSON Patch) for each decision, TEXT_MESSAGE_START/CONTENT/END per agent message (`name` is the agent's; its id is the reply's id in the history), TOOL_CALL_START/ARGS/END and TOOL_CALL_RESULT, then MESSAGES_SNAPSHOT (the input's messages with their ids, then each reply whole, each tool call and result, as recorded) and RUN_FINISHED, or RUN_ERROR (`code` is the turn's failure reason).",
      "`threadId` must be the group's id. The same `runId` again posts nothing: it streams the same turn. Each event's SSE `id` (also in `rawEvent.conclave.id`, beside `rawEvent.conclave.seq`, the stream seq it came from) is a resume point: send it back as `Last-Event-ID` (or `forwardedProps.conclave.lastEventId`) with the same `runId` and the stream goes on after it, with nothing repeated (no second RUN_STARTED: the events continue the first stream's run).",
      "The caller is rechecked whenever an access change is heard and every 5 s: once its credential or its membership is gone, the stream ends with RUN_ERROR `access_lost`.",
      "A comment line every 15 s keeps an idle stream open; 503 (nothing posted) when the edge has as many streams and waits open as `EDGE_MAX_WAITS`.",
    ].join("\n\n"),
    security: bearer,
    middleware: [groupAccess(ctx, "post"), requireJson],
    request: { params: GroupIdParam, headers: LastEventIdHeader, ...jsonBody(AgUiRunDoc) },
    responses: {
      200: {
        description: "The run's AG-UI events, one JSON object per SSE `data:` line, each with an `id:`.",
        content: { "text/event-stream": { schema: z.string() } },
      },
      ...problems(400, 401, 403, 404, 409, 413, 422, 429, 503),
    },
  });

  const app = router();
  app.openapi(route, async (c) => {
    const groupId = c.req.valid("param").groupId;
    const authorization = c.req.header("authorization");
    const run = await runAgUi({
      ctx,
      principal: c.get("principal"),
      input: {
        groupId,
        body: c.req.valid("json"),
        lastEventId: c.req.valid("header")["last-event-id"],
        signal: c.req.raw.signal,
        // The credential and the membership, as a new request would find them (through the caches).
        recheck: async () => {
          const p = await ctx.auth.fromHeader(authorization);
          requireScope(p, "read");
          await ctx.caches.requireGroupAccess(p, groupId, "read");
        },
        recheckMs: ACCESS_RECHECK_MS,
      },
    });
    const encoder = new TextEncoder();
    let heartbeat: ReturnType<typeof setInterval> | undefined;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        const write = (s: string) => {
          try {
            controller.enqueue(encoder.encode(s));
          } catch {
            run.close();
          }
        };
        heartbeat = setInterval(() => write(": keep-alive\n\n"), HEARTBEAT_MS);
        void (async () => {
          try {
            for await (const o of run.outputs()) write(`id: ${o.id}\ndata: ${JSON.stringify(o.event)}\n\n`);
          } catch (err) {
            ctx.log.warn({ err, turnId: run.turnId }, "AG-UI stream failed");
          } finally {
            clearInterval(heartbeat);
            try {
              controller.close();
            } catch {
              // Already cancelled by the client.
            }
          }
        })();
      },
      cancel() {
        clearInterval(heartbeat);
        run.close();
      },
    });
    // zod-openapi types a `text/event-stream` answer as no valid answer at all.
    return c.body(body, 200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store",
      "x-accel-buffering": "no",
      "conclave-turn-id": run.turnId,
    }) as never;
  });
  return app;
}
