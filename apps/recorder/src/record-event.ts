import { type Db, eq, events, messages, sql, turns, voteBallots, votes } from "@conclave/db";
import { assertNever } from "@conclave/errors";
import { type AnyConvEnvelope, toStorable } from "@conclave/subjects";

const ENDED = sql`${turns.status} in ('completed', 'failed')`;

/**
 * Projects one event into PostgreSQL in one transaction. The event row's id is the idempotency
 * key: a redelivered or re-published event inserts nothing and changes nothing.
 * Returns false when the event was already recorded. NUL and unpaired surrogates are stored as U+FFFD.
 */
export async function recordEvent(db: Db, event: AnyConvEnvelope, seq: number): Promise<boolean> {
  return db.transaction((tx) => recordIn(tx, event, seq));
}

/**
 * Projects several events in one transaction, in stream order (one commit for all: the recorder's
 * group commit). Any failure rolls back all of them. Returns, per event in the order given,
 * whether it was new.
 */
export async function recordEvents(
  db: Db,
  batch: readonly { event: AnyConvEnvelope; seq: number }[],
): Promise<boolean[]> {
  const order = batch.map((_, i) => i).sort((a, b) => (batch[a]?.seq ?? 0) - (batch[b]?.seq ?? 0));
  return db.transaction(async (tx) => {
    const fresh: boolean[] = new Array(batch.length).fill(false);
    for (const i of order) {
      const b = batch[i];
      if (b) fresh[i] = await recordIn(tx, b.event, b.seq);
    }
    return fresh;
  });
}

async function recordIn(tx: Tx, event: AnyConvEnvelope, seq: number): Promise<boolean> {
  // Text PostgreSQL cannot store (from a model, a tool's result) becomes U+FFFD.
  const e = toStorable(event);
  {
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
          purpose: e.payload.purpose ?? null,
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
              strategy: e.payload.strategy,
              startedAt: e.at,
            })
            .onConflictDoUpdate({
              target: turns.id,
              set: {
                startedAt: e.at,
                strategy: e.payload.strategy,
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
      case "vote.opened": {
        const opened = {
          question: e.payload.question,
          options: e.payload.options,
          voters: e.payload.voters,
          rule: e.payload.rule,
          quorum: e.payload.quorum,
          deadline: e.payload.deadline,
          openedAt: e.at,
        };
        await upsertVote(tx, e, e.payload.voteId, opened);
        return true;
      }
      case "vote.cast":
        // The agent's first ballot counts: a second one (another event id) inserts nothing.
        await tx
          .insert(voteBallots)
          .values({
            eventId: e.id,
            voteId: e.payload.voteId,
            groupId: e.groupId,
            agentId: e.payload.agentId,
            agentName: e.payload.agentName,
            choice: e.payload.choice,
            confidence: e.payload.confidence,
            rationale: e.payload.rationale,
            replyId: e.payload.replyId ?? null,
            at: e.at,
          })
          .onConflictDoNothing();
        return true;
      case "vote.closed": {
        const p = e.payload;
        await upsertVote(tx, e, p.voteId, {
          status: "closed",
          closedBy: p.closedBy,
          winner: p.winner,
          outcome: p.outcome,
          reason: p.reason,
          tally: {
            leader: p.leader,
            choices: p.choices,
            tieBreak: p.tieBreak,
            turnout: p.turnout,
            quorum: p.quorum,
          },
          closedAt: e.at,
        });
        return true;
      }
      case "consensus.reached":
        await upsertVote(tx, e, e.payload.voteId, {
          status: "closed",
          consensus: "reached",
          consensusCode: null,
          confidence: e.payload.confidence,
        });
        return true;
      case "consensus.failed":
        await upsertVote(tx, e, e.payload.voteId, {
          status: "closed",
          consensus: "failed",
          consensusCode: e.payload.code,
          confidence: e.payload.confidence,
        });
        return true;
      case "agent.failed":
      case "agent.tool_requested":
      case "tool.completed":
      case "tool.approval_requested":
      case "tool.approved":
      case "tool.denied":
      case "speaker.selected":
      case "guard.triggered":
      case "turn.cancel_requested":
      // Memory lives in the memory record; its events stay in the events table for replay and audit.
      case "memory.updated":
      case "memory.reset":
      case "memory.summarized":
        return true;
      default:
        return assertNever(e, "event type");
    }
  }
}

type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];
type VoteColumns = Omit<typeof votes.$inferInsert, "voteId" | "groupId" | "turnId">;

/**
 * Writes one event's columns of a vote, creating the row if that event is the first recorded:
 * events of a vote may be recorded in any order, and each sets only what it knows.
 */
async function upsertVote(
  tx: Tx,
  e: { groupId: string; turnId: string | null },
  voteId: string,
  columns: VoteColumns,
): Promise<void> {
  await tx
    .insert(votes)
    .values({ voteId, groupId: e.groupId, turnId: e.turnId, ...columns })
    .onConflictDoUpdate({ target: votes.voteId, set: columns, where: eq(votes.groupId, e.groupId) });
}
