import { setTimeout as sleep } from "node:timers/promises";
import { publishEnvelope } from "@conclave/bus";
import { and, eq, messages, turns } from "@conclave/db";
import { AppError } from "@conclave/errors";
import { type Actor, deriveEventId, makeEnvelope } from "@conclave/subjects";
import type { EdgeContext } from "../context.js";
import { readGroupState } from "./group-state.js";

export interface CancelRequested {
  turnId: string;
  status: "cancel_requested";
}

/**
 * Asks the orchestrator to stop a turn, running or still queued (the caller's right to post in the
 * group is checked by the route first); the orchestrator ends it with `turn.failed` (`cancelled`).
 * The event id derives from the turn, so asking again publishes nothing new.
 */
export async function cancelTurn({
  ctx,
  input,
}: {
  ctx: EdgeContext;
  input: { groupId: string; turnId: string; reason?: string | undefined; actor: Actor };
}): Promise<CancelRequested> {
  const { groupId, turnId, reason, actor } = input;
  // A turn accepted a moment ago may not be recorded yet: look again for a little while before a 404.
  let known: { messageId?: string } | undefined;
  for (const pauseMs of RECORDING_LAG_PAUSES_MS) {
    const [turn] = await ctx.db
      .select({ status: turns.status, messageId: turns.messageId })
      .from(turns)
      .where(and(eq(turns.groupId, groupId), eq(turns.id, turnId)));
    if (turn?.status === "completed" || turn?.status === "failed")
      throw new AppError("conflict", `turn already ended (${turn.status})`);
    known = turn ? { messageId: turn.messageId } : await knownUnrecorded(ctx, groupId, turnId);
    if (known || pauseMs === null) break;
    await sleep(pauseMs);
  }
  if (!known) throw new AppError("not_found", `no turn ${turnId} in group ${groupId}`);
  if (!ctx.busUp()) throw new AppError("unavailable", "the event bus is unreachable; retry later");
  const event = makeEnvelope({
    id: deriveEventId(turnId, "cancel"),
    type: "turn.cancel_requested",
    groupId,
    turnId,
    causationId: null,
    actor,
    // With the message id, the orchestrator ends a queued turn at once rather than when it comes up.
    payload: { ...(reason ? { reason } : {}), ...(known.messageId ? { messageId: known.messageId } : {}) },
  });
  const published = await publishEnvelope(ctx.js, ctx.names, event, {
    timeoutMs: ctx.config.PUBLISH_TIMEOUT_MS,
  });
  ctx.log.info(
    { groupId, turnId, seq: published.seq, duplicate: published.duplicate },
    "turn cancel requested",
  );
  return { turnId, status: "cancel_requested" };
}

/** Pauses between looks for a turn not recorded yet (about 2 s in all); null ends the search. */
export const RECORDING_LAG_PAUSES_MS = [100, 200, 400, 600, 700, null] as const;

/** A turn accepted but not (yet) in the turns table: its message is recorded, or the orchestrator runs it. */
async function knownUnrecorded(
  ctx: EdgeContext,
  groupId: string,
  turnId: string,
): Promise<{ messageId?: string } | undefined> {
  const [message] = await ctx.db
    .select({ id: messages.id })
    .from(messages)
    .where(and(eq(messages.groupId, groupId), eq(messages.turnId, turnId)))
    .limit(1);
  if (message) return { messageId: message.id };
  if (!ctx.busUp()) return undefined;
  return (await readGroupState(ctx, groupId)).active?.turnId === turnId ? {} : undefined;
}
