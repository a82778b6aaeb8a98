import { type Principal, requireGroupAccess } from "@conclave/auth";
import { and, asc, count, desc, eq, events, gt, gte, lt, lte, sql } from "@conclave/db";
import type { AnyConvEnvelope } from "@conclave/subjects";
import type { EdgeContext } from "../context.js";
import { REPLAY_LIMITS, type ReplayLine } from "./schemas.js";

// The source is the `events` table, not the stream. The stream is the source of truth, but it has
// no index by turn or by time: a turn or a time range would be a scan of the group's whole history
// through a consumer the server keeps per request. The table is indexed by group+seq and turn+seq,
// is read in bounded keyset pages with no state between them, and is what the edge reads anyway.
// Its price: it trails the stream by the recorder's lag (a follower picks up from `throughSeq` on
// the stream), and text PostgreSQL cannot store was recorded as U+FFFD.

/**
 * How far publishers' clocks and publish order may disagree: an event stored after another but
 * stamped more than this before it could be missed at the edge of a time range.
 */
const CLOCK_SLACK = sql`interval '5 minutes'`;

export interface ReplayInput {
  groupId: string;
  turnId?: string | undefined;
  fromSeq?: number | undefined;
  toSeq?: number | undefined;
  since?: string | undefined;
  until?: string | undefined;
  limit: number;
}

export interface Replay {
  /** Events this answer holds, counted when it began. */
  count: number;
  /**
   * The answer covers the group's recorded events up to this seq: the next request of a longer
   * range starts after it, and a live follower resumes from it.
   */
  throughSeq: number;
  /** Set when the range holds more than `limit` events: where the next request starts. */
  nextFromSeq: number | null;
  /** The events in seq order, one array per page read (at most `REPLAY_LIMITS.batch`). */
  pages(): AsyncGenerator<ReplayLine[]>;
}

/**
 * A group's recorded events by turn, seq range and time range, in seq order, read page by page as
 * the answer is consumed. Read-only: nothing is published. Anyone who may read the group may replay it.
 */
export async function replayEvents({
  ctx,
  principal,
  input,
}: {
  ctx: EdgeContext;
  principal: Principal;
  input: ReplayInput;
}): Promise<Replay> {
  await requireGroupAccess(ctx.db, principal, input.groupId, "debug");
  const { db } = ctx;
  const last = await lastRecordedSeq(ctx, input.groupId);
  const from = Math.max(input.fromSeq ?? 0, input.since ? await firstSeqSince(ctx, input, last) : 0);
  const to = Math.min(
    input.toSeq ?? Number.MAX_SAFE_INTEGER,
    input.until ? await lastSeqUntil(ctx, input, last) : Number.MAX_SAFE_INTEGER,
  );
  const filters: ReturnType<typeof eq>[] = [
    eq(events.groupId, input.groupId),
    gte(events.seq, from),
    lte(events.seq, to),
  ];
  if (input.turnId) filters.push(eq(events.turnId, input.turnId));
  if (input.since) filters.push(gte(events.at, input.since));
  if (input.until) filters.push(lte(events.at, input.until));

  // One more row than the limit says whether the range goes on, and where.
  const head = db
    .select({ seq: events.seq })
    .from(events)
    .where(and(...filters))
    .orderBy(asc(events.seq))
    .limit(input.limit + 1)
    .as("head");
  const [counted] = await db
    .select({ n: count(), last: sql<number | null>`max(${head.seq})`.mapWith(Number) })
    .from(head);
  const n = counted?.n ?? 0;
  const lastInHead = counted?.last ?? null;
  const truncated = n > input.limit && lastInHead !== null;
  const nextFromSeq = truncated ? lastInHead : null;
  const throughSeq = truncated ? lastInHead - 1 : Math.max(Math.min(to, last), from - 1, 0);
  const total = Math.min(n, input.limit);

  async function* pages(): AsyncGenerator<ReplayLine[]> {
    let cursor = from - 1;
    let left = total === 0 ? 0 : input.limit;
    while (left > 0) {
      const rows = await db
        .select()
        .from(events)
        .where(and(...filters, gt(events.seq, cursor), lte(events.seq, throughSeq)))
        .orderBy(asc(events.seq))
        .limit(Math.min(REPLAY_LIMITS.batch, left));
      if (rows.length === 0) return;
      yield rows.map(lineOf);
      left -= rows.length;
      cursor = rows[rows.length - 1]?.seq ?? cursor;
      if (rows.length < REPLAY_LIMITS.batch) return;
    }
  }
  return { count: total, throughSeq, nextFromSeq, pages };
}

// Time to seq, by binary search over the group+seq index (no index by time: every event would pay
// for one, and time ranges are rare). Stamps follow seqs but for CLOCK_SLACK, so an event stamped
// before `since` - CLOCK_SLACK rules out every event stored before it, and one stamped after
// `until` + CLOCK_SLACK every event stored after it: about 2·log2(seq) index probes per bound.

/** A seq before which no event of the group is stamped at or after `since`. */
async function firstSeqSince(ctx: EdgeContext, input: ReplayInput, last: number): Promise<number> {
  let lo = 0;
  let hi = last + 1;
  // Every event before `lo` is out of range; the group's first event from `hi` on is stamped late enough.
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    const [row] = await ctx.db
      .select({
        seq: events.seq,
        late: sql<boolean>`${events.at} >= ${input.since}::timestamptz - ${CLOCK_SLACK}`,
      })
      .from(events)
      .where(and(eq(events.groupId, input.groupId), gte(events.seq, mid), lt(events.seq, hi)))
      .orderBy(asc(events.seq))
      .limit(1);
    if (!row || row.late) hi = mid;
    else lo = row.seq + 1;
  }
  return lo;
}

/** A seq after which no event of the group is stamped at or before `until`. */
async function lastSeqUntil(ctx: EdgeContext, input: ReplayInput, last: number): Promise<number> {
  let lo = 0;
  let hi = last;
  // Every event after `hi` is out of range; the group's last event up to `lo` is stamped early enough.
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    const [row] = await ctx.db
      .select({
        seq: events.seq,
        early: sql<boolean>`${events.at} <= ${input.until}::timestamptz + ${CLOCK_SLACK}`,
      })
      .from(events)
      .where(and(eq(events.groupId, input.groupId), lte(events.seq, mid), gt(events.seq, lo)))
      .orderBy(desc(events.seq))
      .limit(1);
    if (!row || row.early) lo = mid;
    else hi = row.seq - 1;
  }
  return hi;
}

/** The highest seq recorded for the group (0 when none). */
async function lastRecordedSeq(ctx: EdgeContext, groupId: string): Promise<number> {
  const [row] = await ctx.db
    .select({ seq: sql<number | null>`max(${events.seq})`.mapWith(Number) })
    .from(events)
    .where(eq(events.groupId, groupId));
  return row?.seq ?? 0;
}

/** The envelope as it was published (its fields in the envelope's order), with its seq. */
export function lineOf(r: typeof events.$inferSelect): ReplayLine {
  const event = {
    id: r.id,
    type: r.type,
    v: r.v,
    groupId: r.groupId,
    turnId: r.turnId,
    causationId: r.causationId,
    at: new Date(r.at).toISOString(),
    actor: r.actor,
    payload: r.payload,
    ...(r.traceparent ? { traceparent: r.traceparent } : {}),
    ...(r.forkedFrom ? { forkedFrom: r.forkedFrom } : {}),
  } as AnyConvEnvelope;
  return { seq: r.seq, event: event as ReplayLine["event"] };
}
