import { type Principal, requireGroupAccess } from "@conclave/auth";
import { publishEnvelope } from "@conclave/bus";
import { AppError } from "@conclave/errors";
import { applyReset } from "@conclave/memory";
import { makeEnvelope, newEventId } from "@conclave/subjects";
import type { EdgeContext } from "../context.js";
import type { ResetView } from "./schemas.js";

/**
 * Makes the group's agents forget the conversation so far; owners and members. Publishes
 * `memory.reset`, then moves the memory's fence to its seq before answering, so a message posted
 * after the answer already starts after it (the orchestrator applies the event too, idempotently).
 * Blocks stay: they are pinned facts, deleted one by one.
 */
export async function resetMemory({
  ctx,
  principal,
  input,
}: {
  ctx: EdgeContext;
  principal: Principal;
  input: { groupId: string; reason?: string | undefined };
}): Promise<ResetView> {
  await requireGroupAccess(ctx.db, principal, input.groupId, "post");
  const { groupId, reason } = input;
  if (!ctx.busUp()) throw new AppError("unavailable", "the event bus is unreachable; retry later");
  const event = makeEnvelope({
    id: newEventId(),
    type: "memory.reset",
    groupId,
    turnId: null,
    causationId: null,
    actor: { kind: "user", id: principal.accountId },
    payload: reason ? { reason } : {},
  });
  const { seq } = await publishEnvelope(ctx.js, ctx.names, event, {
    timeoutMs: ctx.config.PUBLISH_TIMEOUT_MS,
  });
  await ctx.memory.transact(groupId, (record) => {
    const next = applyReset(record, seq);
    return next ? { record: next, emit: [] } : null;
  });
  ctx.log.info({ groupId, seq, eventId: event.id }, "memory reset");
  return { resetSeq: seq, eventId: event.id };
}
