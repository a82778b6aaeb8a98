import {
  AckPolicy,
  DeliverPolicy,
  isRevisionConflict,
  type JetStreamManager,
  jetstreamManager,
  type KV,
  Kvm,
  type NatsConnection,
  type ObjectStore,
  Objm,
} from "@conclave/bus";
import {
  and,
  count,
  type Db,
  eq,
  events,
  files,
  groups,
  gte,
  inArray,
  isNotNull,
  isNull,
  llmCalls,
  lt,
  max,
  messages,
  min,
  ne,
  or,
  sql,
  turns,
  voteBallots,
  votes,
} from "@conclave/db";
import { AppError } from "@conclave/errors";
import type { Logger } from "@conclave/log";
import { CONSUMERS, MemoryRecord, type Names } from "@conclave/subjects";

const DAY_MS = 86_400_000;
/** Rounds of widening the cut so it never splits a turn (turns overlap only at their edges). */
const MAX_ALIGN_ROUNDS = 64;
/** Compare-and-set attempts on a group's memory record before the sweep leaves it to the next one. */
const MEMORY_ATTEMPTS = 8;
/** Old files removed per group and sweep (each is an object delete); the rest go in the next sweeps. */
const FILES_PER_SWEEP = 500;

/** The tables retention deletes from, per group (`llm_calls`: the calls whose prompt and reply it empties). */
export const RETAINED_TABLES = [
  "events",
  "messages",
  "turns",
  "votes",
  "vote_ballots",
  "llm_calls",
  "files",
] as const;
export type RetainedTable = (typeof RETAINED_TABLES)[number];

/** What retention removes (a dry run) or removed (a run) of one group. */
export interface GroupRetention {
  groupId: string;
  retentionDays: number;
  /** Anything older than this goes (now − retentionDays). */
  cutoff: string;
  /**
   * The first stream seq kept: everything of the group below it goes. Null: nothing to remove.
   * It is the seq of the group's first recorded event at or after the cut-off, lowered so that no
   * turn is split, nothing of an unfinished turn goes, and nothing a durable consumer has not acked.
   */
  keepFromSeq: number | null;
  /** Why `keepFromSeq` is lower than the cut-off alone would make it, if it is. */
  heldBy: ("unfinished turn" | "unacked" | "turn boundary")[];
  /** The group's messages on the conv stream below `keepFromSeq`. */
  stream: { filter: string; messages: number };
  rows: Record<RetainedTable, number>;
  /** Turns removed whole (their events, messages, row, votes and LLM calls). */
  turnIds: string[];
  /** Files removed (row and bytes); a group with an unfinished turn keeps its files until the next sweep. */
  fileIds: string[];
  /** Keys of finished turns left in the checkpoints bucket. */
  checkpointKeys: string[];
  /** Entries of the group's memory window below `keepFromSeq` (its summary and blocks stay). */
  memoryEntries: number;
}

export interface RetentionReport {
  dryRun: boolean;
  now: string;
  groups: GroupRetention[];
  ms: number;
}

export interface RetentionOptions {
  /** The clock the cut-off is taken from (tests move it forward). */
  now?: Date;
  /** Only this group (it must have a `retentionDays`). */
  groupId?: string;
  /** List what would go and change nothing. */
  dryRun?: boolean;
  /** Stops the sweep between groups (the groups not reached wait for the next sweep). */
  signal?: AbortSignal;
}

export interface RetentionDeps {
  db: Db;
  nc: NatsConnection;
  names: Names;
  log: Logger;
}

/** Enforces groups' `settings.retentionDays` on the stream, the tables, memory, files and checkpoints. */
export interface Retention {
  /** Sweeps every group with a retention limit (or one); idempotent, so replicas may sweep at once. */
  run(options?: RetentionOptions): Promise<RetentionReport>;
}

/** The history of one group to remove, as planned from the tables. */
interface Plan {
  groupId: string;
  retentionDays: number;
  cutoff: Date;
  keepFromSeq: number | null;
  heldBy: GroupRetention["heldBy"];
  turnIds: string[];
  unfinished: boolean;
}

/**
 * Retention, shared by `conclave retention run` and the recorder's periodic sweep.
 *
 * The cut is made on the envelopes' `at` (and the tables' own timestamps), never on the stream's
 * timestamps (when a message was stored, which nobody can backdate): the recorded `events` table
 * gives the seq of the group's first kept event, and the group's subject is purged below it. Every
 * step is idempotent and recomputed from the tables, which are changed last, in one transaction:
 * an interrupted sweep is finished by the next, and two sweeps at once end where one would.
 */
export function createRetention(deps: RetentionDeps): Retention {
  const { db, nc, names, log } = deps;
  const stream = names.stream("conv");
  const checkpointsBucket = names.bucket("checkpoints");
  let opened: Promise<Live> | undefined;
  const open = () => {
    opened ??= (async () => {
      const jsm = await jetstreamManager(nc);
      const [memory, filesOs] = await Promise.all([
        new Kvm(nc).open(names.bucket("memory")),
        new Objm(nc).open(names.bucket("files")),
      ]);
      return { jsm, memory, files: filesOs };
    })().catch((e: unknown) => {
      opened = undefined;
      throw e;
    });
    return opened;
  };

  /**
   * Below this seq the recorder has acked everything: the tables hold all of it. (What the
   * orchestrator has yet to act on belongs to a queued or running turn, which the tables show.)
   */
  const ackedBelow = async (jsm: JetStreamManager): Promise<number> =>
    (await jsm.consumers.info(stream, CONSUMERS.recorder)).ack_floor.stream_seq + 1;

  const planGroup = async (
    group: { id: string; retentionDays: number },
    now: Date,
    acked: number,
  ): Promise<Plan> => {
    const cutoff = new Date(now.getTime() - group.retentionDays * DAY_MS);
    const plan: Plan = {
      groupId: group.id,
      retentionDays: group.retentionDays,
      cutoff,
      keepFromSeq: null,
      heldBy: [],
      turnIds: [],
      unfinished: false,
    };
    const inGroup = eq(events.groupId, group.id);
    const [kept] = await db
      .select({ seq: min(events.seq) })
      .from(events)
      .where(and(inGroup, gte(events.at, cutoff.toISOString())));
    let keep = kept?.seq ?? null;
    if (keep === null) {
      const [last] = await db
        .select({ seq: max(events.seq) })
        .from(events)
        .where(inGroup);
      if (last?.seq == null) return plan;
      keep = last.seq + 1;
    }
    if (acked < keep) {
      keep = acked;
      plan.heldBy.push("unacked");
    }
    // Nothing of a queued or running turn goes: its message is the group's queue, its events its state.
    const open = await db
      .select({ id: turns.id })
      .from(turns)
      .where(and(eq(turns.groupId, group.id), inArray(turns.status, ["queued", "running"])));
    plan.unfinished = open.length > 0;
    if (open.length > 0) {
      const [first] = await db
        .select({ seq: min(events.seq) })
        .from(events)
        .where(
          and(
            inGroup,
            inArray(
              events.turnId,
              open.map((t) => t.id),
            ),
          ),
        );
      if (first?.seq != null && first.seq < keep) {
        keep = first.seq;
        plan.heldBy.push("unfinished turn");
      }
    }
    // A turn goes whole or not at all: lower the cut to the first event of any turn it would split.
    // (It reads only the events that would go, each turn's later events through the turn index.)
    for (let round = 0; round < MAX_ALIGN_ROUNDS; round++) {
      const split = sql`exists (select 1 from ${events} as later where later.turn_id = ${events.turnId} and later.seq >= ${keep})`;
      const [first] = await db
        .select({ seq: min(events.seq) })
        .from(events)
        .where(and(inGroup, lt(events.seq, keep), isNotNull(events.turnId), split));
      if (first?.seq == null) break;
      keep = first.seq;
      if (!plan.heldBy.includes("turn boundary")) plan.heldBy.push("turn boundary");
    }
    const gone = await db
      .selectDistinct({ id: events.turnId })
      .from(events)
      .where(and(inGroup, lt(events.seq, keep), isNotNull(events.turnId)));
    plan.keepFromSeq = keep;
    plan.turnIds = gone.map((t) => t.id as string).sort();
    return plan;
  };

  // The rows of each table a plan removes, as one condition per table (the same for counting and
  // deleting). The turns are a subquery on the events that go (a list could outgrow a statement's
  // parameters), so they are deleted before the events.
  const where = (p: Plan) => {
    const keep = p.keepFromSeq ?? 0;
    const cut = p.cutoff.toISOString();
    const ofTurns = db
      .selectDistinct({ id: events.turnId })
      .from(events)
      .where(and(eq(events.groupId, p.groupId), lt(events.seq, keep), isNotNull(events.turnId)));
    const turnVotes = db
      .select({ id: votes.voteId })
      .from(votes)
      .where(and(eq(votes.groupId, p.groupId), inArray(votes.turnId, ofTurns)));
    return {
      events: and(eq(events.groupId, p.groupId), lt(events.seq, keep)),
      messages: and(eq(messages.groupId, p.groupId), lt(messages.seq, keep)),
      turns: and(eq(turns.groupId, p.groupId), inArray(turns.id, ofTurns)),
      votes: and(eq(votes.groupId, p.groupId), inArray(votes.turnId, ofTurns)),
      vote_ballots: and(eq(voteBallots.groupId, p.groupId), inArray(voteBallots.voteId, turnVotes)),
      // A call is the usage ledger's row too: it stays, and loses what it was sent and answered.
      // A summary's calls belong to no turn: they go by when they started.
      llm_calls: and(
        eq(llmCalls.groupId, p.groupId),
        or(inArray(llmCalls.turnId, ofTurns), and(isNull(llmCalls.turnId), lt(llmCalls.startedAt, cut))),
        or(
          ne(llmCalls.systemPrompt, ""),
          sql`${llmCalls.messages} <> '[]'::jsonb`,
          isNotNull(llmCalls.reply),
        ),
      ),
      files: and(
        eq(files.groupId, p.groupId),
        lt(files.createdAt, p.cutoff),
        // A turn may be reading the group's files: they wait for the next sweep.
        p.unfinished ? sql`false` : sql`true`,
      ),
    };
  };

  const countRows = async (p: Plan, fileIds: string[]): Promise<Record<RetainedTable, number>> => {
    const w = where(p);
    const n = async (q: Promise<{ n: number }[]>) => (await q)[0]?.n ?? 0;
    return {
      events: await n(db.select({ n: count() }).from(events).where(w.events)),
      messages: await n(db.select({ n: count() }).from(messages).where(w.messages)),
      turns: await n(db.select({ n: count() }).from(turns).where(w.turns)),
      votes: await n(db.select({ n: count() }).from(votes).where(w.votes)),
      vote_ballots: await n(db.select({ n: count() }).from(voteBallots).where(w.vote_ballots)),
      llm_calls: await n(db.select({ n: count() }).from(llmCalls).where(w.llm_calls)),
      files: fileIds.length,
    };
  };

  const filesOf = async (p: Plan) =>
    (
      await db
        .select({ id: files.id })
        .from(files)
        .where(where(p).files)
        .orderBy(files.createdAt, files.id)
        .limit(FILES_PER_SWEEP)
    )
      .map((f) => f.id)
      .sort();

  /** Keys of the checkpoints bucket whose thread (`<turnId>_…`) is one of the plan's turns. */
  const checkpointKeysOf = async (jsm: JetStreamManager, p: Plan): Promise<string[]> => {
    if (p.turnIds.length === 0) return [];
    const prefix = `$KV.${checkpointsBucket}.`;
    const info = await jsm.streams.info(`KV_${checkpointsBucket}`, { subjects_filter: `${prefix}>` });
    const turnsGone = new Set(p.turnIds);
    return Object.keys(info.state.subjects ?? {})
      .map((s) => s.slice(prefix.length))
      .filter((key) => turnsGone.has(threadOf(key).split("_")[0] ?? ""))
      .sort();
  };

  /** The group's messages on the stream below `seq`, counted twice around the total so a new message is not miscounted. */
  const countStream = async (jsm: JetStreamManager, groupId: string, seq: number): Promise<number> => {
    const filter = names.groupFilter(groupId);
    const from = async () => {
      const c = await jsm.consumers.add(stream, {
        filter_subject: filter,
        deliver_policy: DeliverPolicy.StartSequence,
        opt_start_seq: seq,
        ack_policy: AckPolicy.None,
        inactive_threshold: 30_000_000_000,
      });
      await jsm.consumers.delete(stream, c.name).catch(() => undefined);
      return c.num_pending;
    };
    for (let attempt = 1; ; attempt++) {
      const before = await from();
      const info = await jsm.streams.info(stream, { subjects_filter: filter });
      const total = Object.values(info.state.subjects ?? {}).reduce((a, b) => a + b, 0);
      const after = await from();
      if (before === after || attempt >= 5) return total - after;
    }
  };

  const execute = async (p: Plan, live: Live, checkpointKeys: string[], fileIds: string[]) => {
    const keep = p.keepFromSeq ?? 0;
    const filter = names.groupFilter(p.groupId);
    // The stream first, the tables last: the tables are what every sweep plans from.
    // Never with seq 1 (nothing is below it): nats-server 2.9 reads a seq of 0 or 1 as no bound at
    // all and purges the whole subject; skipping it is right whatever a later server does.
    const purged = keep > 1 ? (await live.jsm.streams.purge(stream, { filter, seq: keep })).purged : 0;
    for (const thread of new Set(checkpointKeys.map(threadOf)))
      await live.jsm.streams.purge(`KV_${checkpointsBucket}`, {
        filter: `$KV.${checkpointsBucket}.${thread}.>`,
      });
    const memoryEntries = await trimMemory(live.memory, p.groupId, keep);
    // Bytes before rows (as deleting a file does): a row left behind is retried by the next sweep.
    for (const id of fileIds) await live.files.delete(`${p.groupId}/${id}`);
    const rows = await db.transaction(async (tx) => {
      // Two sweeps of one group take turns here rather than deadlock on the same rows.
      await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`retention:${p.groupId}`}))`);
      const w = where(p);
      const n = async (q: Promise<unknown[]>) => (await q).length;
      // Ballots before their votes, and everything of a turn before the events that name the turns.
      const vote_ballots = await n(
        tx.delete(voteBallots).where(w.vote_ballots).returning({ id: voteBallots.eventId }),
      );
      const votesGone = await n(tx.delete(votes).where(w.votes).returning({ id: votes.voteId }));
      const llm_calls = await n(
        tx
          .update(llmCalls)
          .set({ systemPrompt: "", messages: [], reply: null })
          .where(w.llm_calls)
          .returning({ id: llmCalls.id }),
      );
      const turnsGone = await n(tx.delete(turns).where(w.turns).returning({ id: turns.id }));
      return {
        vote_ballots,
        votes: votesGone,
        llm_calls,
        turns: turnsGone,
        messages: await n(tx.delete(messages).where(w.messages).returning({ id: messages.id })),
        events: await n(tx.delete(events).where(w.events).returning({ id: events.id })),
        files: await n(
          tx
            .delete(files)
            .where(and(w.files, inArray(files.id, fileIds)))
            .returning({ id: files.id }),
        ),
      };
    });
    return { purged, rows, memoryEntries };
  };

  return {
    async run(options = {}) {
      const t0 = performance.now();
      const now = options.now ?? new Date();
      const dryRun = options.dryRun ?? false;
      const live = await open();
      const days = sql<number | null>`(${groups.settings}->>'retentionDays')::numeric`;
      const limited = await db
        .select({ id: groups.id, retentionDays: days })
        .from(groups)
        .where(
          and(
            sql`jsonb_typeof(${groups.settings}->'retentionDays') = 'number'`,
            options.groupId ? eq(groups.id, options.groupId) : undefined,
          ),
        )
        .orderBy(groups.id);
      const acked = await ackedBelow(live.jsm);
      const report: GroupRetention[] = [];
      for (const g of limited) {
        if (options.signal?.aborted) break;
        const retentionDays = Number(g.retentionDays);
        if (!(retentionDays > 0)) continue;
        const plan = await planGroup({ id: g.id, retentionDays }, now, acked);
        const glog = log.child({ groupId: g.id });
        const checkpointKeys = await checkpointKeysOf(live.jsm, plan);
        const fileIds = await filesOf(plan);
        const base = {
          groupId: g.id,
          retentionDays,
          cutoff: plan.cutoff.toISOString(),
          keepFromSeq: plan.keepFromSeq,
          heldBy: plan.heldBy,
          turnIds: plan.turnIds,
          fileIds,
          checkpointKeys,
        };
        const filter = names.groupFilter(g.id);
        let result: GroupRetention;
        if (dryRun) {
          const keep = plan.keepFromSeq ?? 0;
          const record = await readMemory(live.memory, g.id);
          result = {
            ...base,
            stream: { filter, messages: keep > 1 ? await countStream(live.jsm, g.id, keep) : 0 },
            rows: await countRows(plan, fileIds),
            memoryEntries: record ? record.record.entries.filter((e) => e.seq < keep).length : 0,
          };
        } else {
          const done = await execute(plan, live, checkpointKeys, fileIds);
          result = {
            ...base,
            stream: { filter, messages: done.purged },
            rows: done.rows,
            memoryEntries: done.memoryEntries,
          };
        }
        report.push(result);
        const removed = Object.values(result.rows).some((n) => n > 0) || result.stream.messages > 0;
        if (removed || result.memoryEntries > 0 || result.checkpointKeys.length > 0)
          glog.info(
            {
              dryRun,
              cutoff: result.cutoff,
              keepFromSeq: result.keepFromSeq,
              heldBy: result.heldBy,
              streamMessages: result.stream.messages,
              rows: result.rows,
              memoryEntries: result.memoryEntries,
              checkpointKeys: result.checkpointKeys.length,
            },
            dryRun ? "retention would remove" : "retention removed",
          );
      }
      return { dryRun, now: now.toISOString(), groups: report, ms: Math.round(performance.now() - t0) };
    },
  };
}

interface Live {
  jsm: JetStreamManager;
  memory: KV;
  files: ObjectStore;
}

const readMemory = async (kv: KV, groupId: string) => {
  const entry = await kv.get(groupId);
  if (entry?.operation !== "PUT") return null;
  return { record: MemoryRecord.parse(entry.json()), revision: entry.revision };
};

/**
 * Drops the window entries of a group's memory below `keep` by compare-and-set, leaving the rest of
 * the record as it is: the summary and the blocks are the group's memory, not its history, and an
 * outbox is its writer's to publish. Returns how many entries went.
 */
async function trimMemory(kv: KV, groupId: string, keep: number): Promise<number> {
  for (let attempt = 1; attempt <= MEMORY_ATTEMPTS; attempt++) {
    const current = await readMemory(kv, groupId);
    if (!current) return 0;
    const entries = current.record.entries.filter((e) => e.seq >= keep);
    const gone = current.record.entries.length - entries.length;
    if (gone === 0) return 0;
    try {
      await kv.update(groupId, JSON.stringify({ ...current.record, entries }), current.revision);
      return gone;
    } catch (e) {
      if (!isRevisionConflict(e)) throw e;
    }
  }
  throw new AppError("unavailable", `memory of group ${groupId} kept changing; the next sweep trims it`);
}

/** The graph thread a checkpoints key belongs to: its first token. */
const threadOf = (key: string) => key.split(".")[0] ?? key;
