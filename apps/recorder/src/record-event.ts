import { type Db, events, messages, sql, turns } from "@conclave/db";
import { assertNever } from "@conclave/errors";
import type { AnyConvEnvelope } from "@conclave/subjects";

const ENDED = sql`${turns.status} in ('completed', 'failed')`;

/**
 * Projects one event into PostgreSQL in one transaction. The event row's id is the idempotency
 * key: a redelivered or re-published event inserts nothing and changes nothing.
 * Returns false when the event was already recorded.
 */
export async function recordEvent(db: Db, e: AnyConvEnvelope, seq: number): Promise<boolean> {
  return db.transaction(async (tx) => {
    const inserted = await tx
      .insert(events)
      .values({
        id: e.id,
        seq,
        groupId: e.groupId,
        turnId: e.turnId,
        causationId: e.causationId,
        type: e.type,
        v: e.v,
        actor: e.actor,
        payload: e.payload,
        at: e.at,
      })
      .onConflictDoNothing({ target: events.id })
      .returning({ id: events.id });
    if (inserted.length === 0) return false;
    const turnId = e.turnId;
    switch (e.type) {
      case "message.posted":
        await tx.insert(messages).values({
          id: e.id,
          groupId: e.groupId,
          turnId,
          seq,
          type: e.type,
          authorKind: e.actor.kind,
          authorId: e.actor.id,
          authorName: e.actor.name ?? null,
          content: e.payload.content,
          at: e.at,
        });
        if (turnId) {
          await tx
            .insert(turns)
            .values({
              id: turnId,
              groupId: e.groupId,
              messageId: e.payload.messageId,
              status: "queued",
              postedAt: e.at,
            })
            .onConflictDoUpdate({ target: turns.id, set: { postedAt: e.at } });
        }
        return true;
      case "agent.replied":
        await tx.insert(messages).values({
          id: e.id,
          groupId: e.groupId,
          turnId,
          seq,
          type: e.type,
          authorKind: "agent",
          authorId: e.payload.agentId,
          authorName: e.payload.agentName,
          content: e.payload.content,
          at: e.at,
        });
        return true;
      case "turn.started":
        if (turnId) {
          await tx
            .insert(turns)
            .values({
              id: turnId,
              groupId: e.groupId,
              messageId: e.payload.messageId,
              status: "running",
              startedAt: e.at,
            })
            .onConflictDoUpdate({
              target: turns.id,
              set: {
                startedAt: e.at,
                status: sql`case when ${ENDED} then ${turns.status} else 'running' end`,
              },
            });
        }
        return true;
      case "turn.completed":
      case "turn.failed": {
        if (!turnId) return true;
        const status = e.type === "turn.completed" ? "completed" : "failed";
        const reason = e.type === "turn.failed" ? `${e.payload.reason}: ${e.payload.detail}` : null;
        await tx
          .insert(turns)
          .values({
            id: turnId,
            groupId: e.groupId,
            messageId: e.payload.messageId,
            status,
            reason,
            endedAt: e.at,
          })
          .onConflictDoUpdate({ target: turns.id, set: { status, reason, endedAt: e.at } });
        return true;
      }
      case "agent.failed":
      case "agent.tool_requested":
      case "tool.completed":
      case "tool.approval_requested":
      case "tool.approved":
      case "tool.denied":
        return true;
      default:
        return assertNever(e, "event type");
    }
  });
}
