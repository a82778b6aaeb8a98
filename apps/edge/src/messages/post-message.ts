import { publishEnvelope } from "@conclave/bus";
import { type Actor, makeEnvelope, newEventId } from "@conclave/subjects";
import type { EdgeContext } from "../context.js";
import { requireGroup } from "../groups/get-group.js";

export interface PostedMessage {
  messageId: string;
  turnId: string;
  seq: number;
}

/**
 * Publishes `message.posted` and returns once JetStream has stored it. The message opens a turn;
 * the orchestrator runs it after any turn already running or queued in this group.
 */
export async function postMessage({
  ctx,
  groupId,
  actor,
  content,
}: {
  ctx: EdgeContext;
  groupId: string;
  actor: Actor;
  content: string;
}): Promise<PostedMessage> {
  await requireGroup(ctx, groupId);
  const messageId = newEventId();
  const turnId = newEventId();
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
  ctx.log.debug({ groupId, turnId, messageId, seq: published.seq }, "message posted");
  return { messageId, turnId, seq: published.seq };
}
