import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { jetstream, jetstreamManager, publishEnvelope } from "@conclave/bus";
import { type Db, type DbHandle, openDb, sql } from "@conclave/db";
import { createRecorder, loadConfig } from "@conclave/recorder";
import type { Service } from "@conclave/runtime";
import {
  type AnyConvEnvelope,
  deriveEventId,
  makeEnvelope,
  newEventId,
  SYSTEM_ACTOR,
} from "@conclave/subjects";
import {
  capturingLogger,
  createTestDatabase,
  openProvisionedBus,
  quietLogger,
  REPO_ROOT,
  type TestBus,
  type TestDatabase,
  waitUntil,
} from "@conclave/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROJECTED_TABLES, RebuildRefused, rebuildProjections } from "./rebuild.js";

/** One conversation: a turn with two replies and a vote (three ballots, one a second try), and a failed turn. */
function conversation(): AnyConvEnvelope[] {
  const groupId = newEventId();
  const turn = (n: number) => {
    const turnId = newEventId();
    const messageId = newEventId();
    return { turnId, messageId, base: { groupId, turnId, actor: SYSTEM_ACTOR, causationId: messageId }, n };
  };
  const t1 = turn(1);
  const t2 = turn(2);
  const [ada, bo] = [newEventId(), newEventId()];
  const voteId = newEventId();
  const reply = (agentId: string, agentName: string, content: string) =>
    makeEnvelope({
      ...t1.base,
      id: newEventId(),
      type: "agent.replied",
      actor: { kind: "agent", id: agentId, name: agentName },
      payload: { agentId, agentName, content, provider: "scripted", model: "m", latencyMs: 1 },
    });
  const cast = (agentId: string, agentName: string, choice: string | null) =>
    makeEnvelope({
      ...t1.base,
      id: newEventId(),
      type: "vote.cast",
      actor: { kind: "agent", id: agentId, name: agentName },
      payload: { voteId, agentId, agentName, choice, confidence: 0.8, rationale: `${agentName} thinks so` },
    });
  const posted = (t: typeof t1, content: string) =>
    makeEnvelope({
      ...t.base,
      id: t.messageId,
      type: "message.posted",
      causationId: null,
      actor: { kind: "user", id: "u", name: "Lin" },
      payload: { messageId: t.messageId, content },
    });
  const started = (t: typeof t1) =>
    makeEnvelope({
      ...t.base,
      id: deriveEventId(t.turnId, "s"),
      type: "turn.started",
      payload: {
        messageId: t.messageId,
        messageSeq: t.n,
        strategy: "debate_vote",
        agentIds: [ada, bo],
        deadline: new Date(Date.now() + 60_000).toISOString(),
      },
    });
  return [
    posted(t1, "which plan?"),
    started(t1),
    reply(ada, "Ada", "plan A"),
    reply(bo, "Bo", "plan B"),
    makeEnvelope({
      ...t1.base,
      id: deriveEventId(voteId, "opened"),
      type: "vote.opened",
      payload: {
        voteId,
        question: "Which plan?",
        options: [
          { choice: "A", agentId: ada, summary: "plan A" },
          { choice: "B", agentId: bo, summary: "plan B" },
        ],
        voters: [
          { agentId: ada, agentName: "Ada", seat: 0 },
          { agentId: bo, agentName: "Bo", seat: 1 },
        ],
        rule: { kind: "majority" },
        quorum: { kind: "count", min: 1 },
        deadline: new Date(Date.now() + 60_000).toISOString(),
      },
    }),
    cast(ada, "Ada", "A"),
    cast(bo, "Bo", null),
    cast(ada, "Ada", "B"),
    makeEnvelope({
      ...t1.base,
      id: deriveEventId(voteId, "closed"),
      type: "vote.closed",
      payload: {
        voteId,
        closedBy: "all_voted",
        winner: "A",
        leader: "A",
        outcome: "A wins",
        reason: "1 of 1 votes cast",
        choices: [{ choice: "A", count: 1, share: 1, meanConfidence: 0.8, voters: [ada] }],
        tieBreak: null,
        turnout: { eligible: 2, voted: 1, abstained: 1, missing: [] },
        quorum: { required: 1, met: true },
      },
    }),
    makeEnvelope({
      ...t1.base,
      id: deriveEventId(voteId, "consensus"),
      type: "consensus.reached",
      payload: { voteId, choice: "A", confidence: 1, rule: "majority" },
    }),
    makeEnvelope({
      ...t1.base,
      id: deriveEventId(t1.turnId, "e"),
      type: "turn.completed",
      payload: { messageId: t1.messageId, replyIds: [], durationMs: 3 },
    }),
    posted(t2, "and now?"),
    started(t2),
    makeEnvelope({
      ...t2.base,
      id: deriveEventId(t2.turnId, "e"),
      type: "turn.failed",
      payload: {
        messageId: t2.messageId,
        reason: "timeout",
        detail: "nobody answered",
        replyIds: [],
        durationMs: 5,
      },
    }),
  ] as AnyConvEnvelope[];
}

/** A reply PostgreSQL cannot store (no year 0): the recorder dead-letters it, the rebuild skips it. */
function unstorable(): AnyConvEnvelope {
  const agentId = newEventId();
  return makeEnvelope({
    at: "0000-01-01T00:00:00Z",
    id: newEventId(),
    type: "agent.replied",
    groupId: newEventId(),
    turnId: newEventId(),
    causationId: null,
    actor: { kind: "agent", id: agentId, name: "Ada" },
    payload: { agentId, agentName: "Ada", content: "x", provider: "scripted", model: "m", latencyMs: 1 },
  }) as AnyConvEnvelope;
}

async function rows<T>(db: Db, q: ReturnType<typeof sql>): Promise<T[]> {
  const result = (await db.execute(q)) as unknown;
  return (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[];
}

/** Every projected table's rows in a fixed order, as JSON text (driver-neutral), with or without `recorded_at`. */
async function snapshot(db: Db, withRecordedAt = true) {
  const out: Record<string, string[]> = {};
  for (const table of PROJECTED_TABLES) {
    const all = await rows<{ j: string }>(
      db,
      sql`select (to_jsonb(t) ${withRecordedAt ? sql`` : sql`- 'recorded_at'`})::text as j from ${sql.identifier(table)} t order by 1`,
    );
    out[table] = all.map((r) => r.j);
  }
  return out;
}

/** Index and constraint names of the projected tables: migrations refer to them by name. */
async function catalog(db: Db) {
  return rows<{ name: string; def: string }>(
    db,
    sql`select indexname as name, indexdef as def from pg_indexes where tablename in ('events', 'messages', 'turns', 'votes', 'vote_ballots') and schemaname = current_schema()
        union all select conname, pg_get_constraintdef(oid) from pg_constraint where conrelid in
        (select oid from pg_class where relname in ('events', 'messages', 'turns', 'votes', 'vote_ballots') and relnamespace = current_schema()::regnamespace)
        order by 1, 2`,
  );
}

const countEvents = async (db: Db) =>
  Number((await rows<{ n: string }>(db, sql`select count(*) as n from events`))[0]?.n ?? 0);

describe.each(["postgres", "pglite"] as const)("projections rebuild on %s", (kind) => {
  let bus: TestBus;
  let database: TestDatabase | undefined;
  let handle: DbHandle;
  let recorder: Service;
  const published: AnyConvEnvelope[] = [];
  const withJsm = async () => ({
    db: handle.db,
    js: jetstream(bus.nc),
    jsm: await jetstreamManager(bus.nc),
    names: bus.names,
    log: quietLogger("rebuild"),
  });
  const publish = async (events: AnyConvEnvelope[]) => {
    const js = jetstream(bus.nc);
    for (const e of events) {
      await publishEnvelope(js, bus.names, e);
      published.push(e);
    }
  };

  beforeAll(async () => {
    bus = await openProvisionedBus();
    if (kind === "postgres") {
      database = await createTestDatabase();
      handle = await openDb({ url: database.url, poolSize: 3 });
    } else {
      handle = await openDb({});
      await handle.migrate();
    }
    recorder = createRecorder({
      config: loadConfig({ CONCLAVE_NS: bus.names.ns }),
      nc: bus.nc,
      db: handle.db,
      log: quietLogger("recorder"),
    });
    await recorder.start();
  });
  afterAll(async () => {
    await recorder?.stop();
    await handle?.close();
    await bus?.dispose();
    await database?.drop();
  });

  it("rebuilds a wiped read model from the stream, row for row", async () => {
    const bad = unstorable();
    await publish([...conversation(), bad, ...conversation(), ...conversation()]);
    const stored = published.length - 1;
    await waitUntil(
      "the recorder to record them",
      async () => (await countEvents(handle.db)) === stored,
      30_000,
    );
    const before = await snapshot(handle.db, false);
    for (const table of PROJECTED_TABLES) expect(before[table]?.length, table).toBeGreaterThan(0);
    const names = await catalog(handle.db);
    // A reader role of its own (roles are per server): it keeps its grant on the new table.
    const reader = `rebuild_reader_${bus.names.ns.toLowerCase()}`;
    if (kind === "postgres") {
      await handle.db.execute(sql`create role ${sql.identifier(reader)} nologin`);
      await handle.db.execute(sql`grant select on messages to ${sql.identifier(reader)}`);
    }

    await handle.db.execute(sql`truncate events, messages, turns, votes, vote_ballots`);
    expect(await countEvents(handle.db)).toBe(0);
    const r = await rebuildProjections(await withJsm(), { batchSize: 7 });

    expect(await snapshot(handle.db, false)).toEqual(before);
    expect(await catalog(handle.db)).toEqual(names);
    if (kind === "postgres") {
      const [may] = await rows<{ select: boolean; insert: boolean }>(
        handle.db,
        sql`select has_table_privilege(${reader}, 'messages', 'select') as select,
                   has_table_privilege(${reader}, 'messages', 'insert') as insert`,
      );
      expect(may).toEqual({ select: true, insert: false });
      await handle.db.execute(sql`revoke all on messages from ${sql.identifier(reader)}`);
      await handle.db.execute(sql`drop role ${sql.identifier(reader)}`);
    }
    expect(r.read).toBe(published.length);
    expect(r.recorded).toBe(stored);
    expect(r.skipped.map((s) => s.reason)).toEqual([expect.stringMatching(/cannot be stored/)]);
    expect(r.rows.events).toBe(stored);
    const schemas = await rows(handle.db, sql`select 1 from pg_namespace where nspname = 'conclave_rebuild'`);
    expect(schemas).toEqual([]);
  });

  it("keeps recorded_at, and loses nothing the recorder writes during the rebuild", async () => {
    let writing = true;
    const writer = (async () => {
      // A steady trickle, not a flood: the rebuild must overlap live recording, not race a firehose.
      while (writing) {
        await publish(conversation());
        await new Promise((ok) => setTimeout(ok, 50));
      }
    })();
    // Rebuild while conversations keep arriving (and the recorder keeps recording them).
    await waitUntil(
      "some conversations in flight",
      async () => (await countEvents(handle.db)) > published.length - 10,
    );
    // Recorded live after the bulk's target (so read in the catch-up), and after the catch-up's (so
    // read in the swap's locked tail): both must be in the swapped-in tables.
    const late = { "catch-up": conversation(), tail: conversation() };
    const recordedLive = async (events: AnyConvEnvelope[]) => {
      await publish(events);
      const id = events.at(-1)?.id ?? "";
      await waitUntil(
        "recorded live",
        async () => (await rows(handle.db, sql`select 1 from events where id = ${id}`)).length === 1,
        30_000,
      );
    };
    const phasesSeen = new Set<string>();
    const during = await rebuildProjections(await withJsm(), {
      batchSize: 50,
      onProgress: async (p) => {
        if (p.phase === "bulk" && !phasesSeen.has("bulk")) await recordedLive(late["catch-up"]);
        if (p.phase === "catch-up" && !phasesSeen.has("catch-up")) await recordedLive(late.tail);
        phasesSeen.add(p.phase);
      },
    });
    expect([...phasesSeen]).toEqual(["bulk", "catch-up", "tail"]);
    expect(during.tail).toBeGreaterThanOrEqual(late.tail.length);
    const rebuiltIds = await rows<{ id: string }>(handle.db, sql`select id from events`);
    for (const e of [...late["catch-up"], ...late.tail]) expect(rebuiltIds.map((r) => r.id)).toContain(e.id);
    writing = false;
    await writer;
    const stored = published.length - 1;
    await waitUntil(
      "the recorder to record the rest",
      async () => (await countEvents(handle.db)) === stored,
      30_000,
    );
    expect(during.read).toBeGreaterThan(0);
    const after = await snapshot(handle.db);
    // A rebuild of the quiet stream gives the same rows, recorded_at included (it is carried over).
    await rebuildProjections(await withJsm());
    expect(await snapshot(handle.db)).toEqual(after);
    const ids = await rows<{ id: string }>(handle.db, sql`select id from events`);
    expect(new Set(ids.map((r) => r.id))).toEqual(
      new Set(published.filter((_, i) => i !== 14).map((e) => e.id)),
    );
  });

  // PGlite is one connection: there is no second reader to deadlock with, so this is PostgreSQL's alone.
  if (kind === "postgres")
    it("swaps again when a reader of the live tables deadlocks the swap", async () => {
      const other = await openDb({ url: database?.url ?? "", poolSize: 1 });
      const before = await snapshot(handle.db);
      let go = () => {};
      const gate = new Promise<void>((ok) => {
        go = ok;
      });
      let holding = () => {};
      const held = new Promise<void>((ok) => {
        holding = ok;
      });
      // A reader holding vote_ballots, which later reads events: the swap has dropped events by then and
      // waits for vote_ballots, a deadlock. The reader's own detection waits long, so the swap's fires.
      const reader = other.db.transaction(async (tx) => {
        await tx.execute(sql`set local deadlock_timeout = '60s'`);
        await tx.execute(sql`select count(*) from vote_ballots`);
        holding();
        await gate;
        await tx.execute(sql`select count(*) from events`);
      });
      await held;
      const { log, lines } = capturingLogger("rebuild", "warn");
      const rebuild = rebuildProjections({ ...(await withJsm()), log });
      await waitUntil(
        "the swap to wait for the reader",
        async () =>
          (
            await rows(
              handle.db,
              sql`select 1 from pg_locks l join pg_class c on c.oid = l.relation where c.relname = 'vote_ballots' and not l.granted`,
            )
          ).length > 0,
        60_000,
      );
      go();
      await reader;
      await rebuild;
      await other.close();
      expect(lines.join("")).toContain('"code":"40P01"');
      expect(await snapshot(handle.db)).toEqual(before);
    });

  it("refuses a stream whose first events retention dropped, unless partial is allowed", async () => {
    const jsm = await jetstreamManager(bus.nc);
    const before = await snapshot(handle.db);
    await jsm.streams.purge(bus.names.stream("conv"), { seq: 3 });
    await expect(rebuildProjections(await withJsm())).rejects.toBeInstanceOf(RebuildRefused);
    expect(await snapshot(handle.db)).toEqual(before);
    const r = await rebuildProjections(await withJsm(), { allowPartial: true });
    expect(r.stream.firstSeq).toBe(3);
    expect(r.rows.events).toBe(before.events?.length ? before.events.length - 2 : -1);
  });
});

describe("conclave projections rebuild", () => {
  let bus: TestBus;
  let database: TestDatabase;
  beforeAll(async () => {
    [bus, database] = await Promise.all([openProvisionedBus(), createTestDatabase()]);
  });
  afterAll(async () => {
    await bus?.dispose();
    await database?.drop();
  });

  it("runs end to end as a process: a dry run counts, a rebuild fills the tables", async () => {
    const js = jetstream(bus.nc);
    const events = [...conversation(), ...conversation()];
    for (const e of events) await publishEnvelope(js, bus.names, e);
    const main = join(REPO_ROOT, "apps/cli/src/main.ts");
    const run = (...args: string[]) =>
      promisify(execFile)(process.execPath, ["--import", "tsx", main, "projections", ...args], {
        cwd: REPO_ROOT,
        env: { ...process.env, CONCLAVE_NS: bus.names.ns, DATABASE_URL: database.url, LOG_LEVEL: "warn" },
      });
    const dry = await run("rebuild", "--dry-run");
    expect(dry.stdout).toContain(`${events.length} messages, seq 1..${events.length}`);
    expect(dry.stdout).toContain("live rows: events 0,");
    const done = await run("rebuild", "--batch", "10");
    expect(done.stdout).toContain(`${events.length} events projected, 0 skipped`);
    expect(done.stdout).toContain(
      `rows: events ${events.length}, messages 8, turns 4, votes 2, vote_ballots 4`,
    );
    const unmigrated = await mkdtemp(join(tmpdir(), "conclave-rebuild-"));
    const refused = await promisify(execFile)(
      process.execPath,
      ["--import", "tsx", main, "projections", "rebuild"],
      {
        cwd: REPO_ROOT,
        env: {
          ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== "DATABASE_URL")),
          CONCLAVE_NS: bus.names.ns,
          PGLITE_DIR: unmigrated,
          LOG_LEVEL: "warn",
        },
      },
    ).then(
      () => undefined,
      (e: { code?: number; stderr?: string }) => e,
    );
    await rm(unmigrated, { recursive: true, force: true });
    expect(refused?.code).toBe(1);
    expect(refused?.stderr).toContain(
      "the read model's tables are missing (events, messages, turns, votes, vote_ballots): run conclave migrate first",
    );
    const bad = await run("rebuild", "--frobnicate").then(
      () => undefined,
      (e: { code?: number; stderr?: string }) => e,
    );
    expect(bad?.code).toBe(2);
    expect(bad?.stderr).toContain("projections rebuild [--dry-run]");
  });
});
