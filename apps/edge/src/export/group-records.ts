import {
  accounts,
  agents,
  and,
  asc,
  count,
  eq,
  events,
  files,
  groupAgents,
  groupMembers,
  groups,
  gt,
  inArray,
  llmCalls,
  lte,
  sql,
  voteBallots,
  votes,
} from "@conclave/db";
import { agentView } from "../agents/agent-row.js";
import type { EdgeContext } from "../context.js";
import { fileView } from "../files/file-view.js";
import { groupFields } from "../groups/group-view.js";
import { blockView } from "../memory/block-view.js";
import { lineOf } from "../replay/replay-events.js";
import { callOf } from "../replay/turn-timeline.js";
import { EXPORT_LIMITS, type ExportRecord } from "./schemas.js";

/** What one group's export holds, counted when it begins (the JSON format's limits judge these). */
export interface GroupExtent {
  groupId: string;
  /** The last event seq recorded when the export began: later events are left out. */
  throughSeq: number;
  events: number;
  llmCalls: number;
}

/** The group's extent now; 404 when it does not exist (access is the caller's to check). */
export async function groupExtent(ctx: EdgeContext, groupId: string): Promise<GroupExtent> {
  const [ev] = await ctx.db
    .select({ n: count(), last: sql<number | null>`max(${events.seq})`.mapWith(Number) })
    .from(events)
    .where(eq(events.groupId, groupId));
  const [calls] = await ctx.db.select({ n: count() }).from(llmCalls).where(eq(llmCalls.groupId, groupId));
  return { groupId, throughSeq: ev?.last ?? 0, events: ev?.n ?? 0, llmCalls: calls?.n ?? 0 };
}

/**
 * Every record of one group, in the export's order, read in bounded keyset pages as they are
 * consumed (access is the caller's to check). Agents of other accounts are shown as seated, without
 * their definitions; no credential of any kind is read.
 */
export async function* groupRecords(
  ctx: EdgeContext,
  callerId: string,
  extent: GroupExtent,
): AsyncGenerator<ExportRecord> {
  const { db } = ctx;
  const { groupId } = extent;
  const [group] = await db.select().from(groups).where(eq(groups.id, groupId));
  // Deleted since the export began: nothing left of it to write.
  if (!group) return;
  yield { kind: "group", ...groupFields(group), throughSeq: extent.throughSeq };

  // A roster is at most MAX_AGENTS_PER_GROUP rows, a membership list small: one query each.
  const seated = await db
    .select({ seat: groupAgents.seat, agent: agents })
    .from(groupAgents)
    .innerJoin(agents, eq(agents.id, groupAgents.agentId))
    .where(eq(groupAgents.groupId, groupId))
    .orderBy(asc(groupAgents.seat));
  for (const { seat, agent } of seated)
    yield {
      kind: "seat",
      groupId,
      seat,
      agentId: agent.id,
      name: agent.name,
      provider: agent.provider,
      model: agent.model,
      enabled: agent.enabled,
      definition: agent.accountId === callerId ? agentView(agent) : null,
    };

  const people = await db
    .select({
      accountId: groupMembers.accountId,
      email: accounts.email,
      role: groupMembers.role,
      joinedAt: groupMembers.createdAt,
    })
    .from(groupMembers)
    .innerJoin(accounts, eq(accounts.id, groupMembers.accountId))
    .where(eq(groupMembers.groupId, groupId))
    .orderBy(asc(groupMembers.createdAt), asc(groupMembers.accountId));
  for (const p of people) yield { kind: "member", groupId, ...p, joinedAt: p.joinedAt.toISOString() };

  for await (const page of keyset(EXPORT_LIMITS.batch, (after, limit) =>
    db
      .select()
      .from(files)
      .where(and(eq(files.groupId, groupId), after === undefined ? undefined : gt(files.id, after)))
      .orderBy(asc(files.id))
      .limit(limit),
  ))
    for (const f of page) yield { kind: "file", groupId, ...fileView(f) };

  const memory = await ctx.memory.read(groupId);
  yield {
    kind: "memory",
    groupId,
    blocks: memory.blocks.map(blockView),
    summary: memory.summary
      ? {
          eventId: memory.summary.eventId,
          fromSeq: memory.summary.fromSeq,
          upToSeq: memory.summary.upToSeq,
          text: memory.summary.text,
        }
      : null,
    resetSeq: memory.resetSeq,
  };

  for await (const page of eventPages(ctx, extent, "memory.summarized"))
    for (const e of page) {
      const p = e.payload as { fromSeq: number; upToSeq: number; summary: string; agentId: string };
      yield {
        kind: "summary",
        groupId,
        eventId: e.id,
        seq: e.seq,
        fromSeq: p.fromSeq,
        upToSeq: p.upToSeq,
        summary: p.summary,
        agentId: p.agentId,
        at: new Date(e.at).toISOString(),
      };
    }

  for await (const page of keyset(EXPORT_LIMITS.batch, (after, limit) =>
    db
      .select()
      .from(votes)
      .where(and(eq(votes.groupId, groupId), after === undefined ? undefined : gt(votes.voteId, after)))
      .orderBy(asc(votes.voteId))
      .limit(limit),
  )) {
    const ballots = await db
      .select()
      .from(voteBallots)
      .where(
        inArray(
          voteBallots.voteId,
          page.map((v) => v.voteId),
        ),
      )
      .orderBy(asc(voteBallots.at), asc(voteBallots.eventId));
    for (const v of page)
      yield {
        kind: "vote",
        groupId,
        voteId: v.voteId,
        turnId: v.turnId,
        question: v.question,
        status: v.status,
        winner: v.winner,
        outcome: v.outcome,
        consensus: v.consensus,
        row: { ...v },
        ballots: ballots
          .filter((b) => b.voteId === v.voteId)
          .map((b) => ({
            agentId: b.agentId,
            agentName: b.agentName,
            choice: b.choice,
            confidence: b.confidence,
            rationale: b.rationale,
            at: new Date(b.at).toISOString(),
          })),
      };
  }

  for await (const page of eventPages(ctx, extent))
    for (const e of page) yield { kind: "event", groupId, ...lineOf(e) };

  // Keyset by id (UUIDv7) over `llm_calls_group_idx`; few rows a page, as each holds a prompt.
  for await (const page of keyset(EXPORT_LIMITS.llmCallBatch, (after, limit) =>
    db
      .select()
      .from(llmCalls)
      .where(and(eq(llmCalls.groupId, groupId), after === undefined ? undefined : gt(llmCalls.id, after)))
      .orderBy(asc(llmCalls.id))
      .limit(limit),
  ))
    for (const c of page) yield { kind: "llm_call", groupId, turnId: c.turnId, ...callOf(c) };
}

/** The group's events up to the extent's seq in seq order, in pages over `events_group_seq_idx`. */
async function* eventPages(ctx: EdgeContext, extent: GroupExtent, type?: string) {
  let cursor = 0;
  for (;;) {
    const rows = await ctx.db
      .select()
      .from(events)
      .where(
        and(
          eq(events.groupId, extent.groupId),
          gt(events.seq, cursor),
          lte(events.seq, extent.throughSeq),
          type === undefined ? undefined : eq(events.type, type),
        ),
      )
      .orderBy(asc(events.seq))
      .limit(EXPORT_LIMITS.batch);
    if (rows.length > 0) yield rows;
    const last = rows.at(-1);
    if (!last || rows.length < EXPORT_LIMITS.batch) return;
    cursor = last.seq;
  }
}

/** Pages of rows keyed by a uuid column, each `read` after the last id of the page before. */
async function* keyset<R extends Record<string, unknown>>(
  size: number,
  read: (after: string | undefined, limit: number) => Promise<R[]>,
  key: (r: R) => string = (r) => String(r.id ?? r.voteId),
): AsyncGenerator<R[]> {
  let after: string | undefined;
  for (;;) {
    const rows = await read(after, size);
    if (rows.length > 0) yield rows;
    const last = rows.at(-1);
    if (!last || rows.length < size) return;
    after = key(last);
  }
}
