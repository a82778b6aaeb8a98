import { setTimeout as sleep } from "node:timers/promises";
import { type Principal, requireGroupAccess } from "@conclave/auth";
import { and, eq, messages, turns } from "@conclave/db";
import { AppError } from "@conclave/errors";
import type { EdgeContext } from "../context.js";
import { RECORDING_LAG_PAUSES_MS } from "./cancel-turn.js";
import { type WatchedTurn, watchTurn } from "./watch-turn.js";

/**
 * Waits up to `waitMs` for a turn's outcome, read from the stream after its message (an ended
 * turn answers at once). The turn must be recorded: one accepted a moment ago is looked for for
 * about 2 s before a 404, as a turn posted through another edge may be recorded a little late.
 */
export async function awaitTurn({
  ctx,
  principal,
  input,
}: {
  ctx: EdgeContext;
  principal: Principal;
  input: { groupId: string; turnId: string; waitMs: number; signal: AbortSignal };
}): Promise<WatchedTurn> {
  const { groupId, turnId } = input;
  await requireGroupAccess(ctx.db, principal, groupId, "read");
  let turn: Awaited<ReturnType<typeof recordedTurn>>;
  for (const pauseMs of RECORDING_LAG_PAUSES_MS) {
    turn = await recordedTurn(ctx, groupId, turnId);
    if (turn?.seq != null || pauseMs === null) break;
    await sleep(pauseMs);
  }
  if (!turn) throw new AppError("not_found", `no turn ${turnId} in group ${groupId}`);
  // Recorded from a later event of the turn, before its message: no seq to read from yet.
  if (turn.seq == null) throw new AppError("unavailable", "the turn's message is not recorded yet; retry");
  return watchTurn(ctx, {
    groupId,
    ids: { messageId: turn.messageId, turnId, seq: turn.seq },
    status: turn.status,
    waitMs: input.waitMs,
    signal: input.signal,
  });
}

async function recordedTurn(ctx: EdgeContext, groupId: string, turnId: string) {
  const [row] = await ctx.db
    .select({ status: turns.status, messageId: turns.messageId, seq: messages.seq })
    .from(turns)
    .leftJoin(messages, and(eq(messages.groupId, turns.groupId), eq(messages.id, turns.messageId)))
    .where(and(eq(turns.groupId, groupId), eq(turns.id, turnId)));
  return row;
}
