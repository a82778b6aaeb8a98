import { createRoute, z } from "@hono/zod-openapi";
import type { EdgeContext } from "../context.js";
import { GroupIdParam } from "../groups/schemas.js";
import { groupAccess } from "../http/group-access.js";
import { bearer, json, problems, router } from "../http/openapi.js";
import { type ReplayInput, replayEvents } from "./replay-events.js";
import { REPLAY_LIMITS, ReplayLine, ReplayQuery, TimelineView } from "./schemas.js";
import { turnTimeline } from "./turn-timeline.js";

const TimelineParams = GroupIdParam.extend({ turnId: z.uuid("must be a UUID") });

export const NDJSON = "application/x-ndjson";

/** A group's recorded events, replayed as NDJSON; mounted behind authentication. */
export function replayRoutes(ctx: EdgeContext) {
  const route = createRoute({
    method: "get",
    path: "/{groupId}/replay",
    tags: ["Debugging"],
    summary: "Replay a group's recorded events by turn, seq range or time range",
    description: [
      "The group's events as recorded, in stream seq order, one `{ seq, event }` JSON object per line, streamed as they are read (in pages of",
      `${REPLAY_LIMITS.batch}). Filters combine: \`turnId\`, \`fromSeq\`..\`toSeq\` (inclusive), \`since\`..\`until\` (the events' \`at\`, inclusive). Its owners and members may replay it (a viewer gets 403); to anyone else the group does not exist (404).`,
      `At most \`limit\` (≤ ${REPLAY_LIMITS.maxEvents}) events per request: a longer range answers its first \`limit\` events and a \`Link: <…&fromSeq=N>; rel="next"\` header for the rest.`,
      "Read from PostgreSQL (the read model), which trails the stream by the recorder's lag: to follow live, subscribe to the WebSocket with `afterSeq` = `Replay-Through-Seq`.",
      "Nothing is published and no LLM or tool runs. An answer that ends without its last newline was cut short (a failure mid-stream): ask again from the last seq + 1.",
    ].join(" "),
    security: bearer,
    middleware: [groupAccess(ctx, "debug")],
    request: { params: GroupIdParam, query: ReplayQuery },
    responses: {
      200: {
        description: "The events, one JSON object per line (NDJSON).",
        headers: z.object({
          "replay-count": z.string().openapi({ description: "Events in this answer." }),
          "replay-through-seq": z.string().openapi({
            description:
              "The answer covers the group's recorded events up to this seq: continue (or follow live) after it.",
          }),
          link: z.string().optional().openapi({
            description: 'When the range holds more than `limit` events: `rel="next"`, the rest of it.',
          }),
        }),
        content: { [NDJSON]: { schema: ReplayLine } },
      },
      ...problems(400, 401, 403, 404, 429, 503),
    },
  });

  const timelineRoute = createRoute({
    method: "get",
    path: "/{groupId}/turns/{turnId}/timeline",
    tags: ["Debugging"],
    summary: "A turn's events with the prompt, reply, time and tokens of each LLM call",
    description: [
      "The turn's recorded events in seq order (as replay answers them); each outcome of an LLM call (`agent.replied`, `agent.failed`, `agent.tool_requested`, `memory.summarized`)",
      "carries `call`: the call as the executor recorded it, with the system prompt and messages exactly as sent. Its owners and members may read it (a viewer gets 403); to anyone else the group does not exist (404), and so does a turn with no recorded events in this group.",
    ].join(" "),
    security: bearer,
    middleware: [groupAccess(ctx, "debug")],
    request: { params: TimelineParams },
    responses: {
      200: json(TimelineView, "The turn's steps."),
      ...problems(400, 401, 403, 404, 429, 503),
    },
  });

  const app = router();
  app.openapi(timelineRoute, async (c) => {
    const input = c.req.valid("param");
    return c.json(await turnTimeline({ ctx, principal: c.get("principal"), input }), 200);
  });
  app.openapi(route, async (c) => {
    const { groupId } = c.req.valid("param");
    const query = c.req.valid("query");
    const input: ReplayInput = { groupId, ...query };
    const replay = await replayEvents({ ctx, principal: c.get("principal"), input });
    const pages = replay.pages();
    // The first page is read before the answer starts: a database failure is still a 503 problem.
    const first = await pages.next();
    const encoder = new TextEncoder();
    const encode = (lines: ReplayLine[]) =>
      encoder.encode(lines.map((l) => `${JSON.stringify(l)}\n`).join(""));
    let pending: ReplayLine[] | undefined = first.done ? undefined : first.value;
    let done = first.done === true;
    const body = new ReadableStream<Uint8Array>(
      {
        // One page at a time, when the client has taken the previous one.
        async pull(controller) {
          if (pending) {
            controller.enqueue(encode(pending));
            pending = undefined;
            return;
          }
          if (done) return controller.close();
          try {
            const next = await pages.next();
            if (next.done) {
              done = true;
              controller.close();
            } else controller.enqueue(encode(next.value));
          } catch (err) {
            ctx.log.error({ err, groupId }, "replay failed mid-stream");
            controller.error(err);
          }
        },
        async cancel() {
          await pages.return(undefined);
        },
      },
      { highWaterMark: 0 },
    );
    const headers: Record<string, string> = {
      "content-type": `${NDJSON}; charset=utf-8`,
      "cache-control": "no-store",
      "replay-count": String(replay.count),
      "replay-through-seq": String(replay.throughSeq),
    };
    if (replay.nextFromSeq !== null) {
      const next = new URL(c.req.url);
      next.searchParams.set("fromSeq", String(replay.nextFromSeq));
      headers.link = `<${next.pathname}${next.search}>; rel="next"`;
    }
    // zod-openapi types any `application/*json` body as JSON and `x-ndjson` as no valid answer at all.
    return c.body(body, 200, headers) as never;
  });
  return app;
}
