import { publishEnvelope } from "@conclave/bus";
import { AppError } from "@conclave/errors";
import { type Actor, deriveEventId, makeEnvelope } from "@conclave/subjects";
import type { EdgeContext } from "../context.js";

/**
 * Records a person's decision about a tool call that waits for approval. The event id derives
 * from the call's key, so the first decision is the one that counts; the orchestrator ignores any
 * decision about a call that is not waiting (unknown, finished, or decided already).
 */
export async function decideToolCall({
  ctx,
  input,
}: {
  ctx: EdgeContext;
  input: {
    groupId: string;
    turnId: string;
    key: string;
    approve: boolean;
    reason?: string | undefined;
    actor: Actor;
  };
}): Promise<{ seq: number; duplicate: boolean }> {
  if (!ctx.busUp()) throw new AppError("unavailable", "the event bus is unreachable; retry later");
  const base = {
    id: deriveEventId(input.turnId, `decision:${input.key}`),
    groupId: input.groupId,
    turnId: input.turnId,
    causationId: null,
    actor: input.actor,
    payload: { key: input.key, ...(input.reason ? { reason: input.reason } : {}) },
  };
  const event = input.approve
    ? makeEnvelope({ ...base, type: "tool.approved" })
    : makeEnvelope({ ...base, type: "tool.denied" });
  const published = await publishEnvelope(ctx.js, ctx.names, event, {
    timeoutMs: ctx.config.PUBLISH_TIMEOUT_MS,
  });
  return { seq: published.seq, duplicate: published.duplicate };
}
