import { publishEnvelope } from "@conclave/bus";
import { AppError } from "@conclave/errors";
import { type Actor, deriveEventId, makeEnvelope, newEventId } from "@conclave/subjects";
import type { EdgeContext } from "../context.js";

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
 * the orchestrator runs it after any turn already running or queued in this group.
 * With an idempotency key the ids derive from it, so a retry (after a 503 or a lost answer) is
 * deduplicated by JetStream within its duplicate window and answers the same ids and seq.
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
  const messageId = idempotencyKey
    ? deriveEventId(groupId, `message:${actor.id}:${idempotencyKey}`)
    : newEventId();
  const turnId = idempotencyKey ? deriveEventId(groupId, `turn:${actor.id}:${idempotencyKey}`) : newEventId();
  const event = makeEnvelope({
    id: messageId,
    type: "message.posted",
    groupId,
    turnId,
    causationId: null,
    actor,
    payload: { messageId, content },
  });
  const published = await publishEnvelope(ctx.js, ctx.names, event, {
    timeoutMs: ctx.config.PUBLISH_TIMEOUT_MS,
  });
  ctx.log.debug(
    { groupId, turnId, messageId, seq: published.seq, duplicate: published.duplicate },
    "message posted",
  );
  return { messageId, turnId, seq: published.seq };
}
