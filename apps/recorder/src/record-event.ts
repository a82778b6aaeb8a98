import { type Db, eq, events, messages, queryRows, sql, turns, voteBallots, votes } from "@conclave/db";
import { assertNever } from "@conclave/errors";
import { type AnyConvEnvelope, toStorable } from "@conclave/subjects";

/**
 * Projects one event into PostgreSQL in one transaction. The event row's id is the idempotency
 * key: a redelivered or re-published event inserts nothing and changes nothing.
 * Returns false when the event was already recorded. NUL and unpaired surrogates are stored as U+FFFD.
 */
export async function recordEvent(db: Db, event: AnyConvEnvelope, seq: number): Promise<boolean> {
  const [fresh] = await recordEvents(db, [{ event, seq }]);
  return fresh ?? false;
}

/**
 * Projects several events in one transaction (the recorder's group commit): one insert of their
 * event rows, then the messages among them and each new event's other projections, sent together.
 * Any failure rolls back all of them. Returns, per event in the order given, whether it was new.
 */
export async function recordEvents(
  db: Db,
  batch: readonly { event: AnyConvEnvelope; seq: number }[],
): Promise<boolean[]> {
  // Text PostgreSQL cannot store (from a model, a tool's result) becomes U+FFFD.
  const items = batch
    .map((b, i) => ({ i, e: toStorable(b.event), seq: b.seq }))
    .sort((a, b) => a.seq - b.seq);
  return db.transaction(async (tx) => {
    const rows = new Map<string, (typeof items)[number]>();
    for (const item of items) if (!rows.has(item.e.id)) rows.set(item.e.id, item);
    const inserted = await insertEvents(tx, [...rows.values()]);
    // An id is new once, at the seq it was inserted with (a copy at another seq in the batch is not).
    const fresh = new Set(inserted.map((r) => `${r.id}@${r.seq}`));
    const isFresh = batch.map(() => false);
    const said: MessageRow[] = [];
    const turnRows = new Map<string, TurnRow>();
    const projections: Promise<void>[] = [];
    for (const { i, e, seq } of items) {
      if (!fresh.delete(`${e.id}@${seq}`)) continue;
      isFresh[i] = true;
      const message = messageRow(e, seq);
      if (message) said.push(message);
      if (!foldTurn(turnRows, e)) projections.push(project(tx, e));
    }
    if (said.length > 0) projections.push(insertMessages(tx, said));
    if (turnRows.size > 0) projections.push(upsertTurns(tx, [...turnRows.values()]));
    // Sent together (pipelined on the transaction's connection), not one round trip each: every
    // projection is one statement and they commute (each event sets only what it knows, as when
    // events arrive out of order after a redelivery), so their order on the server does not matter.
    await Promise.all(projections);
    return isFresh;
  });
}

/**
 * One statement whatever the batch's size, its rows as one JSON parameter: PostgreSQL plans it
 * once per connection, and no query is built per row (building a many-row insert was a fifth of
 * the recorder's CPU). Returns the rows that were new.
 */
async function insertEvents(
  tx: Tx,
  rows: readonly { e: AnyConvEnvelope; seq: number }[],
): Promise<{ id: string; seq: number }[]> {
  const json = JSON.stringify(
    rows.map(({ e, seq }) => ({
      id: e.id,
      seq,
      group_id: e.groupId,
      turn_id: e.turnId ?? null,
      causation_id: e.causationId ?? null,
      type: e.type,
      v: e.v,
      actor: e.actor,
      payload: e.payload,
      at: e.at,
      traceparent: e.traceparent ?? null,
      forked_from: e.forkedFrom ?? null,
    })),
  );
  const inserted = await queryRows<{ id: string; seq: string | number }>(
    tx,
    sql`insert into ${events} (id, seq, group_id, turn_id, causation_id, type, v, actor, payload, at, traceparent, forked_from)
        select id, seq, group_id, turn_id, causation_id, type, v, actor, payload, at, traceparent, forked_from
        from json_to_recordset(${json}::json) as r(id uuid, seq bigint, group_id uuid, turn_id uuid,
          causation_id uuid, type text, v int, actor jsonb, payload jsonb, at timestamptz, traceparent text,
          forked_from jsonb)
        on conflict (id) do nothing
        returning id, seq`,
  );
  return inserted.map((r) => ({ id: r.id, seq: Number(r.seq) }));
}

/** The batch's messages rows, as `insertEvents` does: one JSON parameter, one statement. */
async function insertMessages(tx: Tx, rows: readonly MessageRow[]): Promise<void> {
  const json = JSON.stringify(
    rows.map((m) => ({
      id: m.id,
      group_id: m.groupId,
      turn_id: m.turnId,
      seq: m.seq,
      type: m.type,
      author_kind: m.authorKind,
      author_id: m.authorId,
      author_name: m.authorName,
      content: m.content,
      purpose: m.purpose,
      at: m.at,
    })),
  );
  await tx.execute(
    sql`insert into ${messages} (id, group_id, turn_id, seq, type, author_kind, author_id, author_name, content, purpose, at)
        select id, group_id, turn_id, seq, type, author_kind, author_id, author_name, content, purpose, at
        from json_to_recordset(${json}::json) as r(id uuid, group_id uuid, turn_id uuid, seq bigint, type text,
          author_kind text, author_id text, author_name text, content text, purpose text, at timestamptz)`,
  );
}

interface MessageRow {
  id: string;
  groupId: string;
  turnId: string | null;
  seq: number;
  type: string;
  authorKind: string;
  authorId: string;
  authorName: string | null;
  content: string;
  purpose: string | null;
  at: string;
}

/** The messages row of a person's message or an agent's answer (null for other events). */
function messageRow(e: AnyConvEnvelope, seq: number): MessageRow | null {
  const base = { id: e.id, groupId: e.groupId, turnId: e.turnId ?? null, seq, type: e.type, at: e.at };
  if (e.type === "message.posted")
    return {
      ...base,
      authorKind: e.actor.kind,
      authorId: e.actor.id,
      authorName: e.actor.name ?? null,
      content: e.payload.content,
      purpose: null,
    };
  if (e.type === "agent.replied")
    return {
      ...base,
      authorKind: "agent",
      authorId: e.payload.agentId,
      authorName: e.payload.agentName,
      content: e.payload.content,
      purpose: e.payload.purpose ?? null,
    };
  return null;
}

/**
 * A turn's row as the batch's events for it say: its message's `posted_at`, `turn.started`'s
 * strategy and `started_at`, and its end (status, reason, `ended_at`), whichever the batch holds.
 */
interface TurnRow {
  id: string;
  group_id: string;
  message_id: string;
  posted_at: string | null;
  started_at: string | null;
  strategy: string | null;
  /** Set with `ended_at` when the batch holds the turn's end. */
  status: "completed" | "failed" | null;
  reason: string | null;
  ended_at: string | null;
}

/**
 * Folds a turn's event into its row for the batch (events come in seq order, so a later one
 * wins as it would alone); false for an event that is not about a turn's row.
 */
function foldTurn(rows: Map<string, TurnRow>, e: AnyConvEnvelope): boolean {
  if (
    e.type !== "message.posted" &&
    e.type !== "turn.started" &&
    e.type !== "turn.completed" &&
    e.type !== "turn.failed"
  )
    return false;
  const turnId = e.turnId;
  if (!turnId) return true;
  let row = rows.get(turnId);
  if (!row) {
    row = {
      id: turnId,
      group_id: e.groupId,
      message_id: e.payload.messageId,
      posted_at: null,
      started_at: null,
      strategy: null,
      status: null,
      reason: null,
      ended_at: null,
    };
    rows.set(turnId, row);
  }
  if (e.type === "message.posted") row.posted_at = e.at;
  else if (e.type === "turn.started") {
    row.started_at = e.at;
    row.strategy = e.payload.strategy;
  } else {
    row.status = e.type === "turn.completed" ? "completed" : "failed";
    row.reason = e.type === "turn.failed" ? `${e.payload.reason}: ${e.payload.detail}` : null;
    row.ended_at = e.at;
  }
  return true;
}

/**
 * The batch's turns in one statement, as `insertEvents` does: a new row takes the furthest status
 * its events reached (queued, running, or its end); an existing one takes what the batch adds. It
 * commutes with any other batch, as events arrive out of order after a redelivery: an end stays
 * an end whatever `turn.started` comes after it, and a message's arrival changes only `posted_at`.
 */
async function upsertTurns(tx: Tx, rows: readonly TurnRow[]): Promise<void> {
  await tx.execute(
    sql`insert into ${turns} as t (id, group_id, message_id, status, strategy, reason, posted_at, started_at, ended_at)
        select id, group_id, message_id,
          coalesce(status, case when started_at is not null then 'running' else 'queued' end),
          strategy, reason, posted_at, started_at, ended_at
        from json_to_recordset(${JSON.stringify(rows)}::json) as r(id uuid, group_id uuid, message_id uuid,
          status text, strategy text, reason text, posted_at timestamptz, started_at timestamptz, ended_at timestamptz)
        on conflict (id) do update set
          posted_at = coalesce(excluded.posted_at, t.posted_at),
          started_at = coalesce(excluded.started_at, t.started_at),
          strategy = coalesce(excluded.strategy, t.strategy),
          status = case
            when excluded.ended_at is not null then excluded.status
            when t.status in ('completed', 'failed') then t.status
            when excluded.started_at is not null then 'running'
            else t.status end,
          reason = case when excluded.ended_at is not null then excluded.reason else t.reason end,
          ended_at = coalesce(excluded.ended_at, t.ended_at)`,
  );
}

/** A new event's projections other than its event, messages and turns rows. */
async function project(tx: Tx, e: AnyConvEnvelope): Promise<void> {
  switch (e.type) {
    case "message.posted":
    case "turn.started":
    case "turn.completed":
    case "turn.failed":
    // Turns are folded per batch (foldTurn, upsertTurns).
    case "agent.replied":
      return;
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
      return;
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
      return;
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
      return;
    }
    case "consensus.reached":
      await upsertVote(tx, e, e.payload.voteId, {
        status: "closed",
        consensus: "reached",
        consensusCode: null,
        confidence: e.payload.confidence,
      });
      return;
    case "consensus.failed":
      await upsertVote(tx, e, e.payload.voteId, {
        status: "closed",
        consensus: "failed",
        consensusCode: e.payload.code,
        confidence: e.payload.confidence,
      });
      return;
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
    // Budgets live in their own tables, kept by the executor; these stay in events for replay.
    case "budget.exceeded":
    case "budget.warning":
      return;
    default:
      return assertNever(e, "event type");
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
