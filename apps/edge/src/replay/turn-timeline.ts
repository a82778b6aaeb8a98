import { type Principal, requireGroupAccess } from "@conclave/auth";
import { and, asc, eq, events, llmCalls } from "@conclave/db";
import { AppError } from "@conclave/errors";
import type { EdgeContext } from "../context.js";
import { lineOf } from "./replay-events.js";
import type { TimelineCall, TimelineView } from "./schemas.js";

/** The most events one timeline holds: a turn is bounded by its limits, far below this. */
const MAX_TURN_EVENTS = 10_000;

/**
 * One turn's recorded events in seq order, each outcome of an LLM call (its `causationId` is the
 * call's work item) joined to the call the executor recorded: the prompt it sent, its reply, time
 * and tokens. Anyone who may read the group may read it; a turn with no events in it is a 404.
 */
export async function turnTimeline({
  ctx,
  principal,
  input,
}: {
  ctx: EdgeContext;
  principal: Principal;
  input: { groupId: string; turnId: string };
}): Promise<TimelineView> {
  await requireGroupAccess(ctx.db, principal, input.groupId, "debug");
  const { groupId, turnId } = input;
  const [rows, calls] = await Promise.all([
    ctx.db
      .select()
      .from(events)
      .where(and(eq(events.groupId, groupId), eq(events.turnId, turnId)))
      .orderBy(asc(events.seq))
      .limit(MAX_TURN_EVENTS),
    ctx.db
      .select()
      .from(llmCalls)
      .where(and(eq(llmCalls.groupId, groupId), eq(llmCalls.turnId, turnId))),
  ]);
  if (rows.length === 0) throw new AppError("not_found", `no turn ${turnId} in group ${groupId}`);
  const byId = new Map(calls.map((c) => [c.id, callOf(c)]));
  return {
    groupId,
    turnId,
    steps: rows.map((r) => ({
      ...lineOf(r),
      call: (r.causationId && byId.get(r.causationId)) || null,
    })),
  };
}

/** A recorded LLM call as the API shows it. */
export function callOf(c: typeof llmCalls.$inferSelect): TimelineCall {
  const iso = (v: string) => new Date(v).toISOString();
  return {
    id: c.id,
    agentId: c.agentId,
    agentName: c.agentName,
    askId: c.askId,
    purpose: c.purpose,
    step: c.step,
    provider: c.provider,
    model: c.model,
    prompt: { system: c.systemPrompt, messages: c.messages as TimelineCall["prompt"]["messages"] },
    reply: c.reply,
    startedAt: iso(c.startedAt),
    endedAt: iso(c.endedAt),
    durationMs: c.durationMs,
    inputTokens: c.inputTokens,
    outputTokens: c.outputTokens,
    cachedTokens: c.cachedTokens,
    cost: c.cost === null ? null : Number(c.cost),
    currency: c.currency,
    outcome: c.outcome,
    error: c.error,
  };
}
