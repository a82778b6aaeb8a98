import {
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamClient,
  type JetStreamManager,
  readEnvelope,
} from "@conclave/bus";
import { type Db, type SQL, sql } from "@conclave/db";
import type { Logger } from "@conclave/log";
import { dataExceptionOf, recordEvents } from "@conclave/recorder";
import { type AnyConvEnvelope, isConvEvent, type Names } from "@conclave/subjects";

/** The tables the recorder projects from the `conv` stream, and only those: the rest of the database is not rebuilt. */
export const PROJECTED_TABLES = ["events", "messages", "turns", "votes", "vote_ballots"] as const;
export type ProjectedTable = (typeof PROJECTED_TABLES)[number];

/**
 * Where the fresh tables are built: a schema of their own holding the same table names, so the
 * recorder's own `recordEvents` fills them when it is the first schema on the search path.
 */
export const REBUILD_SCHEMA = "conclave_rebuild";

/** Thrown when a rebuild is refused before it touches anything (the stream cannot give the whole history). */
export class RebuildRefused extends Error {
  override name = "RebuildRefused";
}

export interface StreamSpan {
  firstSeq: number;
  lastSeq: number;
  messages: number;
}

export interface RebuildProgress {
  phase: "bulk" | "catch-up" | "tail";
  /** The last stream seq read. */
  seq: number;
  /** The seq this phase reads up to. */
  target: number;
  /** Stream messages read so far. */
  events: number;
  ms: number;
}

export interface RebuildDeps {
  db: Db;
  js: JetStreamClient;
  jsm: JetStreamManager;
  names: Names;
  log: Logger;
}

export interface RebuildOptions {
  /** Stream messages per transaction. */
  batchSize?: number;
  /** Rebuild from what the stream still holds when retention has dropped its first events. */
  allowPartial?: boolean;
  /** Called after each batch; the rebuild waits for a returned promise. */
  onProgress?: (p: RebuildProgress) => void | Promise<void>;
}

export interface RebuildResult {
  stream: StreamSpan;
  /** Stream messages read (the bulk, the catch-up and the tail). */
  read: number;
  /** Events projected (new ids); a copy of an id already read is not. */
  recorded: number;
  /** Messages the recorder would dead-letter (not an envelope, not a conv event, unstorable data). */
  skipped: { seq: number; reason: string }[];
  /** Messages read inside the swap's transaction, while the live tables were locked. */
  tail: number;
  /** The stream seq the swapped-in tables are complete up to. */
  upToSeq: number;
  rows: Record<ProjectedTable, number>;
  ms: number;
}

export const DEFAULT_BATCH = 2000;
/** How long the swap waits for a lock (the recorder and readers wait for the swap meanwhile), and how often it tries. */
const SWAP_LOCK_TIMEOUT_MS = 10_000;
const SWAP_ATTEMPTS = 3;
/** A batch is one multi-row insert per table, and a statement holds at most 65,535 parameters (11 a message row). */
export const MAX_BATCH = 5000;

/** The conv stream's span and the live tables' row counts: what `--dry-run` prints. */
export async function inspectProjections(
  deps: Pick<RebuildDeps, "db" | "jsm" | "names">,
): Promise<{ stream: StreamSpan; rows: Record<ProjectedTable, number> }> {
  const stream = await streamSpan(deps.jsm, deps.names);
  const live = await liveSchema(deps.db);
  return { stream, rows: await countRows(deps.db, live) };
}

/**
 * Rebuilds the projected tables from the `conv` stream with the recorder's own projection and swaps
 * them in. The recorder may keep running: the bulk and a catch-up read happen unlocked; then one
 * transaction locks the live `events` table (which every recording transaction writes first, so
 * recording pauses and no recording transaction is half done), reads the stream's tail up to its last
 * seq at that moment (every event recorded live is at or below it, since the recorder records only
 * what the stream holds), projects it, and swaps the tables. Events after that seq reach the new
 * tables through the recorder, which is idempotent by event id.
 */
export async function rebuildProjections(
  deps: RebuildDeps,
  options: RebuildOptions = {},
): Promise<RebuildResult> {
  const { db, log } = deps;
  const batchSize = Math.min(MAX_BATCH, options.batchSize ?? DEFAULT_BATCH);
  const t0 = performance.now();
  const stream = await streamSpan(deps.jsm, deps.names);
  if (stream.messages > 0 && stream.firstSeq > 1 && !options.allowPartial)
    throw new RebuildRefused(
      `the ${deps.names.stream("conv")} stream starts at seq ${stream.firstSeq}: retention dropped seq 1..${stream.firstSeq - 1}, ` +
        "so a rebuild would lose those events' rows (pass --allow-partial to rebuild from what it holds)",
    );
  const live = await liveSchema(db);
  if (live === REBUILD_SCHEMA) throw new RebuildRefused(`the live tables cannot be in ${REBUILD_SCHEMA}`);
  // One rebuild at a time: a schema left by an interrupted one is dropped and built again.
  await createShadowTables(db, live);
  const result = { read: 0, recorded: 0, skipped: [] as { seq: number; reason: string }[], tail: 0 };
  let reader = await openReader(deps.js, deps.names, Math.max(1, stream.firstSeq));
  try {
    const readPhase = async (tx: Db, phase: RebuildProgress["phase"], target: number) => {
      let read = 0;
      for (;;) {
        const msgs = await reader.next(target, batchSize);
        if (msgs.length === 0) return read;
        read += msgs.length;
        const batch: { event: AnyConvEnvelope; seq: number }[] = [];
        for (const m of msgs) {
          const r = readEnvelope(deps.names, m);
          if (!r.ok) result.skipped.push({ seq: m.seq, reason: r.reason });
          else if (!isConvEvent(r.envelope))
            result.skipped.push({
              seq: m.seq,
              reason: `${r.envelope.type} does not belong on the conv stream`,
            });
          else batch.push({ event: r.envelope, seq: m.seq });
        }
        await projectBatch(tx, batch, result);
        result.read += msgs.length;
        await options.onProgress?.({
          phase,
          seq: reader.lastSeq,
          target,
          events: result.read,
          ms: performance.now() - t0,
        });
      }
    };
    // Secondary indexes are built once, after the bulk: cheaper than keeping them up to date row by row.
    await readPhase(db, "bulk", stream.lastSeq);
    // What arrived while the bulk ran, still unlocked, so the locked tail is short.
    const caughtUp = (await streamSpan(deps.jsm, deps.names)).lastSeq;
    await readPhase(db, "catch-up", caughtUp);
    // Index builds and the bulk update outlast the pool's per-statement limit on a large stream.
    await db.transaction(async (tx) => {
      await tx.execute(sql`set local statement_timeout = 0`);
      await carryRecordedAt(tx as unknown as Db, live, 0);
      await createSecondaryIndexes(tx as unknown as Db, live);
    });
    // The swap waits for every reader of the live tables; a reader that then wants a table already
    // swapped is a deadlock PostgreSQL breaks by failing one side. The tail read inside is rolled
    // back with it, so a retry reads it again from where the catch-up ended.
    const tailFrom = reader.lastSeq + 1;
    const before = { ...result, skipped: [...result.skipped] };
    let upToSeq = 0;
    for (let attempt = 1; ; attempt++) {
      try {
        await db.transaction(async (tx) => {
          await tx.execute(sql`select set_config('lock_timeout', ${`${SWAP_LOCK_TIMEOUT_MS}ms`}, true)`);
          await tx.execute(sql`lock table ${qualified(live, "events")} in exclusive mode`);
          upToSeq = (await streamSpan(deps.jsm, deps.names)).lastSeq;
          result.tail = await readPhase(tx as unknown as Db, "tail", upToSeq);
          await carryRecordedAt(tx as unknown as Db, live, caughtUp);
          for (const table of PROJECTED_TABLES) {
            await tx.execute(sql`drop table ${qualified(live, table)}`);
            await tx.execute(
              sql`alter table ${qualified(REBUILD_SCHEMA, table)} set schema ${sql.identifier(live)}`,
            );
          }
          await tx.execute(sql`drop schema ${sql.identifier(REBUILD_SCHEMA)}`);
        });
        break;
      } catch (e) {
        const code = sqlStateOf(e);
        if (attempt >= SWAP_ATTEMPTS || (code !== "40P01" && code !== "55P03")) throw e;
        log.warn({ attempt, code }, "the swap met a reader of the live tables; trying again");
        Object.assign(result, before, { skipped: [...before.skipped] });
        reader.stop();
        reader = await openReader(deps.js, deps.names, tailFrom);
      }
    }
    for (const s of result.skipped.slice(0, 20))
      log.warn(s, "skipped a message the recorder would dead-letter");
    return {
      stream,
      ...result,
      upToSeq: Math.max(upToSeq, reader.lastSeq),
      rows: await countRows(db, live),
      ms: performance.now() - t0,
    };
  } catch (e) {
    await db
      .execute(sql`drop schema if exists ${sql.identifier(REBUILD_SCHEMA)} cascade`)
      .catch(() => undefined);
    throw e;
  } finally {
    reader.stop();
  }
}

/**
 * Projects one batch into the shadow tables in one transaction (a savepoint inside `tx`'s when it
 * is one). An unstorable event (a data exception, which the recorder dead-letters) is found by
 * halving the batch and skipped, as the live recorder would.
 */
async function projectBatch(
  db: Db,
  batch: { event: AnyConvEnvelope; seq: number }[],
  result: { recorded: number; skipped: { seq: number; reason: string }[] },
): Promise<void> {
  if (batch.length === 0) return;
  try {
    const fresh = await db.transaction(async (tx) => {
      // Local to this transaction: the shadow tables come first, and nothing falls through to the live ones.
      await tx.execute(sql`select set_config('search_path', ${REBUILD_SCHEMA}, true)`);
      return recordEvents(tx as unknown as Db, batch);
    });
    result.recorded += fresh.filter(Boolean).length;
  } catch (e) {
    const data = dataExceptionOf(e);
    if (!data) throw e;
    const [only] = batch;
    if (batch.length === 1 && only) {
      result.skipped.push({
        seq: only.seq,
        reason: `the event's data cannot be stored (${data.code}): ${data.message}`,
      });
      return;
    }
    const half = Math.ceil(batch.length / 2);
    await projectBatch(db, batch.slice(0, half), result);
    await projectBatch(db, batch.slice(half), result);
  }
}

/** How long a reader that had caught up waits for a message below its target before taking it as deleted. */
const IDLE_MS = 5000;

type StreamMsg = { seq: number; subject: string; data: Uint8Array };

/**
 * Reads the conv stream in order from `startSeq` with an ordered (ephemeral) consumer, a phase at a
 * time: each `next(target)` returns the next messages at or below `target`, and none once it is reached.
 */
async function openReader(js: JetStreamClient, names: Names, startSeq: number) {
  const consumer = await js.consumers.get(names.stream("conv"), {
    deliver_policy: DeliverPolicy.StartSequence,
    opt_start_seq: startSeq,
  });
  type Delivered = StreamMsg & { info: { pending: number } };
  let iterator: AsyncIterator<Delivered> | undefined;
  let stop: () => void = () => undefined;
  let inflight: Promise<IteratorResult<Delivered>> | undefined;
  let held: StreamMsg | undefined;
  let lastSeq = startSeq - 1;
  // The last message read had nothing after it in the stream then.
  let caughtUp = false;
  const pull = async (): Promise<IteratorResult<Delivered>> => {
    if (!iterator) {
      const messages = await consumer.consume({ max_messages: 8192 });
      stop = () => messages.stop();
      iterator = messages[Symbol.asyncIterator]();
    }
    inflight ??= iterator.next();
    return inflight;
  };
  return {
    get lastSeq() {
      return lastSeq;
    },
    async next(target: number, max: number): Promise<StreamMsg[]> {
      const out: StreamMsg[] = [];
      if (held) {
        if (held.seq > target) return out;
        out.push(held);
        lastSeq = held.seq;
        held = undefined;
      }
      while (out.length < max && !held && lastSeq < target) {
        // Seqs below the target that never come were deleted from the stream.
        const r = caughtUp
          ? await Promise.race([
              pull(),
              new Promise<undefined>((ok) => setTimeout(() => ok(undefined), IDLE_MS).unref()),
            ])
          : await pull();
        if (r === undefined) break;
        inflight = undefined;
        if (r.done) throw new Error("the stream's consumer stopped before the rebuild read its events");
        const m = { seq: r.value.seq, subject: r.value.subject, data: r.value.data };
        caughtUp = r.value.info.pending === 0;
        if (m.seq > target) held = m;
        else {
          out.push(m);
          lastSeq = m.seq;
        }
      }
      return out;
    },
    stop() {
      stop();
    },
  };
}

/** The SQLSTATE of a server error in `e`'s cause chain (drizzle wraps the driver's error). */
function sqlStateOf(e: unknown): string | undefined {
  for (let cur = e, depth = 0; cur instanceof Error && depth < 5; cur = cur.cause, depth++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}

async function streamSpan(jsm: JetStreamManager, names: Names): Promise<StreamSpan> {
  const stream = names.stream("conv");
  const { state } = await jsm.streams.info(stream).catch((e: unknown) => {
    if (e instanceof JetStreamApiError && e.code === JetStreamApiCodes.StreamNotFound)
      throw new RebuildRefused(`there is no stream ${stream}: check CONCLAVE_NS, or run conclave provision`);
    throw e;
  });
  return { firstSeq: state.first_seq, lastSeq: state.last_seq, messages: state.messages };
}

const qualified = (schema: string, table: string) => sql`${sql.identifier(schema)}.${sql.identifier(table)}`;

async function rows<T>(db: Db, q: SQL): Promise<T[]> {
  const result = (await db.execute(q)) as unknown;
  // postgres.js answers the rows; PGlite an object holding them.
  return (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[];
}

async function liveSchema(db: Db): Promise<string> {
  const [row] = await rows<{ schema: string }>(db, sql`select current_schema() as schema`);
  if (!row?.schema) throw new Error("the database has no current schema");
  const missing: string[] = [];
  for (const table of PROJECTED_TABLES) {
    const [found] = await rows<{ t: string | null }>(
      db,
      sql`select to_regclass(${`${row.schema}.${table}`})::text as t`,
    );
    if (!found?.t) missing.push(table);
  }
  if (missing.length > 0)
    throw new RebuildRefused(
      `the read model's tables are missing (${missing.join(", ")}): run conclave migrate first`,
    );
  return row.schema;
}

async function countRows(db: Db, schema: string): Promise<Record<ProjectedTable, number>> {
  const counts = {} as Record<ProjectedTable, number>;
  for (const table of PROJECTED_TABLES) {
    const [row] = await rows<{ n: number | string }>(
      db,
      sql`select count(*) as n from ${qualified(schema, table)}`,
    );
    counts[table] = Number(row?.n ?? 0);
  }
  return counts;
}

/**
 * Creates the shadow tables: the live tables' columns, defaults and checks, their primary keys and
 * unique constraints under the same names (names are per schema, so they survive the move), and grants.
 */
async function createShadowTables(db: Db, live: string): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.execute(sql`drop schema if exists ${sql.identifier(REBUILD_SCHEMA)} cascade`);
    await tx.execute(sql`create schema ${sql.identifier(REBUILD_SCHEMA)}`);
    for (const table of PROJECTED_TABLES) {
      await tx.execute(
        sql`create table ${qualified(REBUILD_SCHEMA, table)} (like ${qualified(live, table)} including defaults including constraints including generated including identity including storage including comments)`,
      );
      const constraints = await rows<{ name: string; def: string }>(
        tx as unknown as Db,
        sql`select conname as name, pg_get_constraintdef(oid) as def from pg_constraint
            where conrelid = ${`${live}.${table}`}::regclass and contype in ('p', 'u') order by conname`,
      );
      for (const c of constraints)
        await tx.execute(
          sql`alter table ${qualified(REBUILD_SCHEMA, table)} add constraint ${sql.identifier(c.name)} ${sql.raw(c.def)}`,
        );
      // Roles the live table was granted to (the apps' own, when they are not its owner) keep their rights.
      const grants = await rows<{ grantee: string; privilege: string }>(
        tx as unknown as Db,
        sql`select case when a.grantee = 0 then 'public' else quote_ident(pg_get_userbyid(a.grantee)) end as grantee,
                   a.privilege_type as privilege
            from pg_class c, aclexplode(c.relacl) a
            where c.oid = ${`${live}.${table}`}::regclass and a.grantee <> c.relowner`,
      );
      for (const g of grants)
        await tx.execute(
          sql`grant ${sql.raw(g.privilege)} on ${qualified(REBUILD_SCHEMA, table)} to ${sql.raw(g.grantee)}`,
        );
    }
  });
}

/** The live tables' other indexes, by their own definitions, on the shadow tables. */
async function createSecondaryIndexes(db: Db, live: string): Promise<void> {
  for (const table of PROJECTED_TABLES) {
    const defs = await rows<{ def: string }>(
      db,
      sql`select pg_get_indexdef(i.indexrelid) as def from pg_index i
          where i.indrelid = ${`${live}.${table}`}::regclass
            and not exists (select 1 from pg_constraint c where c.conindid = i.indexrelid)`,
    );
    for (const { def } of defs) {
      const target = `ON "${REBUILD_SCHEMA}"."${table}" USING`;
      const moved = def.replace(/ ON (ONLY )?\S+ USING /, ` ${target} `);
      if (moved === def) throw new Error(`cannot read the definition of an index on ${table}: ${def}`);
      await db.execute(sql.raw(moved));
    }
  }
}

/**
 * Keeps when each event was first recorded (the stream does not know): rows of events the live table
 * holds take its `recorded_at`; events only the stream had keep the rebuild's.
 */
async function carryRecordedAt(db: Db, live: string, aboveSeq: number): Promise<void> {
  await db.execute(sql`update ${qualified(REBUILD_SCHEMA, "events")} r set recorded_at = l.recorded_at
    from ${qualified(live, "events")} l where l.id = r.id and r.seq > ${aboveSeq}`);
}
