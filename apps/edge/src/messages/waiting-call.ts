import { setTimeout as sleep } from "node:timers/promises";
import { and, eq, events, sql } from "@conclave/db";
import type { EdgeContext } from "../context.js";
import { RECORDING_LAG_PAUSES_MS } from "./cancel-turn.js";
import { readGroupState } from "./group-state.js";

/**
 * Whether this group's turn holds a tool call with `key` that asked for a person's approval: the
 * orchestrator's state of the group says it waits, or the group's history records its request.
 * Either may lag the request a little, so it looks again for about 2 s before answering no.
 */
export async function isWaitingCall(
  ctx: EdgeContext,
  groupId: string,
  turnId: string,
  key: string,
): Promise<boolean> {
  for (const pauseMs of RECORDING_LAG_PAUSES_MS) {
    if ((await waitsInState(ctx, groupId, turnId, key)) || (await recordedRequest(ctx, groupId, turnId, key)))
      return true;
    if (pauseMs === null) break;
    await sleep(pauseMs);
  }
  return false;
}

async function waitsInState(ctx: EdgeContext, groupId: string, turnId: string, key: string) {
  if (!ctx.busUp()) return false;
  const { active } = await readGroupState(ctx, groupId);
  if (active?.turnId !== turnId) return false;
  return Object.values(active.loops).some((loop) =>
    Object.values(loop.pending).some((call) => call.key === key && call.awaiting),
  );
}

async function recordedRequest(ctx: EdgeContext, groupId: string, turnId: string, key: string) {
  const [row] = await ctx.db
    .select({ id: events.id })
    .from(events)
    .where(
      and(
        eq(events.groupId, groupId),
        eq(events.turnId, turnId),
        eq(events.type, "tool.approval_requested"),
        sql`${events.payload}->>'key' = ${key}`,
      ),
    )
    .limit(1);
  return row !== undefined;
}
