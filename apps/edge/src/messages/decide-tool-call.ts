import { type Principal, requireGroupAccess } from "@conclave/auth";
import { publishEnvelope } from "@conclave/bus";
import { AppError } from "@conclave/errors";
import { deriveEventId, makeEnvelope } from "@conclave/subjects";
import type { EdgeContext } from "../context.js";
import { isWaitingCall } from "./waiting-call.js";

/**
 * Records a person's decision about a tool call that waits for approval, in the group of the path
 * only (404 for a turn or call that is not this group's). The event id derives from the group, the
 * turn and the call's key, so the first decision is the one that counts and no other group's
 * decision can take its place; the orchestrator ignores any decision about a call not waiting.
 */
export async function decideToolCall({
  ctx,
  principal,
  input,
}: {
  ctx: EdgeContext;
  principal: Principal;
  input: { groupId: string; turnId: string; key: string; approve: boolean; reason?: string | undefined };
}): Promise<{ seq: number; duplicate: boolean }> {
  const { groupId, turnId, key } = input;
  await requireGroupAccess(ctx.db, principal, groupId, "post");
  if (!(await isWaitingCall(ctx, groupId, turnId, key)))
    throw new AppError(
      "not_found",
      `no tool call waiting for approval in turn ${turnId} of group ${groupId}`,
      {
        fields: [{ path: "body.key", message: "no such waiting call in this turn" }],
      },
    );
  if (!ctx.busUp()) throw new AppError("unavailable", "the event bus is unreachable; retry later");
  const base = {
    id: deriveEventId(turnId, `decision:${groupId}:${key}`),
    groupId,
    turnId,
    causationId: null,
    actor: { kind: "user" as const, id: principal.accountId },
    payload: { key, ...(input.reason ? { reason: input.reason } : {}) },
  };
  const event = input.approve
    ? makeEnvelope({ ...base, type: "tool.approved" })
    : makeEnvelope({ ...base, type: "tool.denied" });
  const published = await publishEnvelope(ctx.js, ctx.names, event, {
    timeoutMs: ctx.config.PUBLISH_TIMEOUT_MS,
  });
  return { seq: published.seq, duplicate: published.duplicate };
}
