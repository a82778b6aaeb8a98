import { publishEnvelope } from "@conclave/bus";
import { and, eq, messages } from "@conclave/db";
import { AppError } from "@conclave/errors";
import { type Actor, deriveEventId, makeEnvelope, newEventId } from "@conclave/subjects";
import type { EdgeContext } from "../context.js";
import { claimGroup } from "./claim-group.js";
import { requireSameRequest } from "./same-request.js";

export interface PostedMessage {
  messageId: string;
  turnId: string;
  seq: number;
}

export interface PostMessageInput {
  groupId: string;
  actor: Actor;
  content: string;
  /** A client-chosen key: a retried post with the same key gets the same ids and no second event. */
  idempotencyKey?: string;
}

/**
 * Publishes `message.posted` (the caller's access to the group is checked by the route first) and returns once JetStream has stored it. The message opens a turn;
 * the orchestrator runs it after any turn already running or queued in this group, or, when the
 * group's `concurrentInput` is `reject`, the post is refused (409) while another turn holds the group.
 * With an idempotency key the ids derive from it, so a retry (after a 503 or a lost answer) is
 * deduplicated by JetStream within its duplicate window and answers the same ids and seq; the same
 * key with another body is a 422.
 */
export async function postMessage({
  ctx,
  input,
}: {
  ctx: EdgeContext;
  input: PostMessageInput;
}): Promise<PostedMessage> {
  const { groupId, actor, content, idempotencyKey } = input;
  // While the link is down a publish would be buffered and sent later: refuse now instead.
  if (!ctx.busUp()) throw new AppError("unavailable", "the event bus is unreachable; retry later");
  const { messageId, turnId } = idempotencyKey
    ? keyedIds(groupId, actor.id, idempotencyKey)
    : { messageId: newEventId(), turnId: newEventId() };
  const event = makeEnvelope({
    id: messageId,
    type: "message.posted",
    groupId,
    turnId,
    causationId: null,
    actor,
    payload: { messageId, content },
  });
  const publish = () =>
    publishEnvelope(ctx.js, ctx.names, event, { timeoutMs: ctx.config.PUBLISH_TIMEOUT_MS });
  let published: Awaited<ReturnType<typeof publish>>;
  if ((await ctx.caches.concurrentInput(groupId)) === "reject") {
    // A retry of a post already recorded answers its ids, whatever runs now.
    const recorded = idempotencyKey ? await recordedSeq(ctx, groupId, messageId) : undefined;
    if (recorded !== undefined) {
      await requireSameRequest(ctx, recorded, event);
      return { messageId, turnId, seq: recorded };
    }
    const claim = await claimGroup({ ctx, groupId, messageId, eventId: event.id });
    try {
      published = await publish();
    } catch (e) {
      if (claim.owned) await claim.release();
      throw e;
    }
  } else {
    published = await publish();
  }
  if (published.duplicate && idempotencyKey) await requireSameRequest(ctx, published.seq, event);
  ctx.log.debug(
    { groupId, turnId, messageId, seq: published.seq, duplicate: published.duplicate },
    "message posted",
  );
  return { messageId, turnId, seq: published.seq };
}

/** The ids a post under an Idempotency-Key gets: the same for every retry by the same author. */
export function keyedIds(
  groupId: string,
  actorId: string,
  key: string,
): { messageId: string; turnId: string } {
  return {
    messageId: deriveEventId(groupId, `message:${actorId}:${key}`),
    turnId: deriveEventId(groupId, `turn:${actorId}:${key}`),
  };
}

/** The stream seq of a message the read model recorded, if it did. */
export async function recordedSeq(
  ctx: EdgeContext,
  groupId: string,
  messageId: string,
): Promise<number | undefined> {
  const [row] = await ctx.db
    .select({ seq: messages.seq })
    .from(messages)
    .where(and(eq(messages.groupId, groupId), eq(messages.id, messageId)));
  return row?.seq;
}
