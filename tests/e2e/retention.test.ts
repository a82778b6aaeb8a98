import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { Kvm, Objm } from "@conclave/bus";
import {
  and,
  count,
  type DbHandle,
  eq,
  events,
  files,
  inArray,
  isNotNull,
  llmCalls,
  messageSearchTerms,
  messageSearchVector,
  messages,
  ne,
  openDb,
  or,
  sql,
  turns,
  voteBallots,
  votes,
} from "@conclave/db";
import {
  createRetention,
  type GroupRetention,
  type Retention,
  type RetentionReport,
} from "@conclave/recorder";
import { MemoryRecord } from "@conclave/subjects";
import {
  quietLogger,
  REPO_ROOT,
  readGroupEvents,
  startSystem,
  type TestSystem,
  testEnv,
  waitUntil,
} from "@conclave/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// Retention end to end: groups with `retentionDays`, swept with a clock moved a day forward so the
// first turn is past the limit and the second is not. The dry run lists exactly what the run then
// removes (stream, tables, search, memory window, files, checkpoints); a group without a limit, a
// running turn and the groups' next turns are untouched; two sweeps at once end where one would.

const DAY_MS = 86_400_000;
let sys: TestSystem;
let handle: DbHandle;
let retention: Retention;

const ballots = (choice: string) => [{ choice, confidence: 0.9, rationale: `for ${choice}` }];

async function newGroup(body: object): Promise<string> {
  const res = await sys.post("/v1/groups", body);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id as string;
}

async function upload(groupId: string, name: string): Promise<string> {
  const res = await fetch(`${sys.edgeUrl}/v1/groups/${groupId}/files?name=${name}`, {
    method: "POST",
    headers: { authorization: `Bearer ${sys.user.accessToken}`, "content-type": "text/csv" },
    body: "region,amount\nnorth,10\nsouth,20\n",
  });
  const body = (await res.json()) as { id: string };
  expect(res.status, JSON.stringify(body)).toBe(201);
  return body.id;
}

/** Posts a message and waits until its turn is recorded as ended. */
async function turn(groupId: string, content: string): Promise<string> {
  const posted = await sys.post(`/v1/groups/${groupId}/messages`, { content });
  expect(posted.status, JSON.stringify(posted.body)).toBe(202);
  const turnId = posted.body.turnId as string;
  await waitUntil(
    `turn ${turnId} recorded as ended`,
    async () => {
      const [row] = await handle.db.select({ status: turns.status }).from(turns).where(eq(turns.id, turnId));
      return row?.status === "completed";
    },
    60_000,
  );
  return turnId;
}

const rowsOfTurn = async (turnId: string) => ({
  events: (await handle.db.select({ n: count() }).from(events).where(eq(events.turnId, turnId)))[0]?.n,
  messages: (await handle.db.select({ n: count() }).from(messages).where(eq(messages.turnId, turnId)))[0]?.n,
  turns: (await handle.db.select({ n: count() }).from(turns).where(eq(turns.id, turnId)))[0]?.n,
  votes: (await handle.db.select({ n: count() }).from(votes).where(eq(votes.turnId, turnId)))[0]?.n,
  // Calls stay (they are the usage ledger) without their prompts and replies.
  llmCalls: (
    await handle.db
      .select({ n: count() })
      .from(llmCalls)
      .where(
        and(
          eq(llmCalls.turnId, turnId),
          or(
            ne(llmCalls.systemPrompt, ""),
            sql`${llmCalls.messages} <> '[]'::jsonb`,
            isNotNull(llmCalls.reply),
          ),
        ),
      )
  )[0]?.n,
  ledger: (await handle.db.select({ n: count() }).from(llmCalls).where(eq(llmCalls.turnId, turnId)))[0]?.n,
});

const search = async (groupId: string, words: string) =>
  handle.db
    .select({ id: messages.id })
    .from(messages)
    .where(
      and(
        eq(messages.groupId, groupId),
        sql`${messageSearchVector(messages.content)} @@ ${messageSearchTerms(words)}`,
      ),
    );

const memoryOf = async (groupId: string) => {
  const kv = await new Kvm(sys.bus.nc).open(sys.bus.names.bucket("memory"));
  const entry = await kv.get(groupId);
  return entry?.operation === "PUT" ? MemoryRecord.parse(entry.json()) : null;
};

const fileBytes = async (groupId: string, fileId: string) =>
  (await new Objm(sys.bus.nc).open(sys.bus.names.bucket("files"))).getBlob(`${groupId}/${fileId}`);

/** `conclave retention …` as an operator runs it (the admin NATS identity of the test bus). */
async function cli(args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ["--import", "tsx", "apps/cli/src/main.ts", "retention", ...args],
    {
      cwd: REPO_ROOT,
      env: { ...process.env, CONCLAVE_NS: sys.ns, NATS_URL: testEnv.TEST_NATS_URL, DATABASE_URL: sys.db.url },
      maxBuffer: 16 * 1024 * 1024,
    },
  );
  return stdout;
}

/** A report without what differs between a dry run and the run that follows it. */
const comparable = (r: RetentionReport) => r.groups;
const ofGroup = (r: RetentionReport, groupId: string) =>
  r.groups.find((g) => g.groupId === groupId) as GroupRetention;

// Group A: debate_vote (votes, ballots, LLM calls), memory, files; B: no limit; C: a turn still
// running; D: the concurrent sweeps.
let groupA = "";
let groupB = "";
let groupC = "";
let groupD = "";
let turnA1 = "";
let turnA2 = "";
let turnB1 = "";
let turnC1 = "";
let turnC2 = "";
let oldFileA = "";
let newFileA = "";
let oldFileC = "";
/** Between the first turns and the second: a sweep at `mid` + 1 day removes the first turns only. */
let mid = new Date();
let beforeB: Awaited<ReturnType<typeof readGroupEvents>> = [];

beforeAll(async () => {
  sys = await startSystem({ envFor: { recorder: { RETENTION_INTERVAL_MS: "2000" } } });
  handle = await openDb({ url: sys.db.url, poolSize: 4 });
  retention = createRetention({ db: handle.db, nc: sys.bus.nc, names: sys.bus.names, log: quietLogger() });
  const limit = { retentionDays: 1 };
  [groupA, groupB, groupC, groupD] = await Promise.all([
    newGroup({
      name: "kept a day",
      strategy: "debate_vote",
      settings: { ...limit, turnLimits: { maxRounds: 1 } },
      agents: [
        { name: "Ada", scripted: { replies: ["A0", "A1", "A2", "A3"], votes: ballots("Bob") } },
        { name: "Bob", scripted: { replies: ["B0", "B1", "B2", "B3"], votes: ballots("Bob") } },
      ],
    }),
    newGroup({ name: "kept forever", settings: { retentionDays: null }, agents: [{ name: "Eve" }] }),
    newGroup({
      name: "busy",
      settings: { ...limit, turnLimits: { turnTimeoutMs: 600_000 } },
      agents: [{ name: "Cy" }],
    }),
    newGroup({ name: "swept twice at once", settings: limit, agents: [{ name: "Dee" }] }),
  ]);
  [oldFileA, oldFileC] = await Promise.all([upload(groupA, "old.csv"), upload(groupC, "old.csv")]);
  [turnA1, turnB1, turnC1] = await Promise.all([
    turn(groupA, "the aardvark question"),
    turn(groupB, "the aardvark question"),
    turn(groupC, "the aardvark question"),
    turn(groupD, "the aardvark question"),
  ]);
  await new Promise((r) => setTimeout(r, 50));
  mid = new Date();
  await new Promise((r) => setTimeout(r, 50));
  newFileA = await upload(groupA, "new.csv");
  [turnA2] = await Promise.all([
    turn(groupA, "the bumblebee question"),
    turn(groupB, "the bumblebee question"),
  ]);
  beforeB = await readGroupEvents(sys.bus, groupB);
}, 180_000);

afterAll(async () => {
  await handle?.close();
  await sys?.stop();
});

describe("retention", () => {
  it("runs periodically in the recorder", async () => {
    await sys.app("recorder").waitForLog("retention sweep done", 30_000);
  });

  it("two sweeps of a group at once end where one sweep would", async () => {
    const now = new Date(mid.getTime() + DAY_MS);
    const plan = ofGroup(await retention.run({ now, groupId: groupD, dryRun: true }), groupD);
    expect(plan.stream.messages).toBeGreaterThan(0);
    expect(plan.rows.events).toBe(plan.stream.messages);
    const [one, two] = await Promise.all([
      retention.run({ now, groupId: groupD }),
      retention.run({ now, groupId: groupD }),
    ]);
    const [a, b] = [ofGroup(one, groupD), ofGroup(two, groupD)];
    // Between them everything went exactly once, and nothing else.
    expect(a.stream.messages + b.stream.messages).toBe(plan.stream.messages);
    for (const t of Object.keys(plan.rows) as (keyof GroupRetention["rows"])[])
      expect(a.rows[t] + b.rows[t], t).toBe(plan.rows[t]);
    expect(a.memoryEntries + b.memoryEntries).toBe(plan.memoryEntries);
    expect(await readGroupEvents(sys.bus, groupD)).toEqual([]);
    const left = await handle.db.select({ n: count() }).from(events).where(eq(events.groupId, groupD));
    expect(left[0]?.n).toBe(0);
    expect((await memoryOf(groupD))?.entries ?? []).toEqual([]);
    // A third sweep finds nothing left to do.
    const again = ofGroup(await retention.run({ now, groupId: groupD }), groupD);
    expect(again.keepFromSeq).toBeNull();
  });

  it("never touches a running turn, and keeps a busy group's files until it is idle", async () => {
    await sys.app("executor").stop();
    const posted = await sys.post(`/v1/groups/${groupC}/messages`, { content: "the cormorant question" });
    expect(posted.status).toBe(202);
    turnC2 = posted.body.turnId as string;
    await waitUntil("the second turn to be running", async () => {
      const [row] = await handle.db.select({ status: turns.status }).from(turns).where(eq(turns.id, turnC2));
      return row?.status === "running";
    });
    const before = await readGroupEvents(sys.bus, groupC);
    const runningEvents = before.filter((e) => e.turnId === turnC2);
    expect(runningEvents.length).toBeGreaterThanOrEqual(2);
    // A day after everything so far: all of it is past the limit, the running turn included.
    const now = new Date(Date.now() + DAY_MS + 1000);
    const plan = ofGroup(await retention.run({ now, groupId: groupC, dryRun: true }), groupC);
    expect(plan.heldBy).toContain("unfinished turn");
    expect(plan.keepFromSeq).toBe(runningEvents[0]?.seq);
    expect(plan.turnIds).toEqual([turnC1]);
    expect(plan.fileIds).toEqual([]);
    const done = ofGroup(await retention.run({ now, groupId: groupC }), groupC);
    expect(done).toEqual(plan);
    const after = await readGroupEvents(sys.bus, groupC);
    expect(after).toEqual(before.filter((e) => e.seq >= (plan.keepFromSeq ?? 0)));
    expect(after.filter((e) => e.turnId === turnC2)).toEqual(runningEvents);
    expect(after.some((e) => e.turnId === turnC1)).toBe(false);
    expect(await rowsOfTurn(turnC1)).toMatchObject({
      events: 0,
      messages: 0,
      turns: 0,
      votes: 0,
      llmCalls: 0,
    });
    expect(await fileBytes(groupC, oldFileC)).not.toBeNull();
    // The running turn then finishes as if nothing happened.
    await sys.spawn("executor");
    await waitUntil(
      "the running turn to complete",
      async () => {
        const [row] = await handle.db
          .select({ status: turns.status })
          .from(turns)
          .where(eq(turns.id, turnC2));
        return row?.status === "completed";
      },
      60_000,
    );
  }, 120_000);

  it("removes exactly what the dry run listed: older turns from the stream, tables, search, memory and files", async () => {
    const now = new Date(mid.getTime() + DAY_MS);
    const beforeA = await readGroupEvents(sys.bus, groupA);
    const oldSeqs = beforeA.filter((e) => e.turnId === turnA1).map((e) => e.seq);
    const firstKept = beforeA.find((e) => e.turnId === turnA2)?.seq ?? 0;
    expect(oldSeqs.length).toBeGreaterThan(0);
    const oldRows = await rowsOfTurn(turnA1);
    expect(oldRows.votes).toBeGreaterThan(0);
    expect(oldRows.llmCalls).toBeGreaterThan(0);
    expect(await search(groupA, "aardvark")).toHaveLength(1);
    const memoryBefore = await memoryOf(groupA);
    expect(memoryBefore?.entries.some((e) => e.seq < firstKept)).toBe(true);
    // An orphan checkpoint of the finished first turn (a graph attempt that lost its race leaves one).
    const checkpoints = await new Kvm(sys.bus.nc).open(sys.bus.names.bucket("checkpoints"));
    await checkpoints.put(`${turnA1}_deadbeef.m`, "{}");
    const [ballotsBefore] = await handle.db
      .select({ n: count() })
      .from(voteBallots)
      .where(
        inArray(
          voteBallots.voteId,
          handle.db.select({ id: votes.voteId }).from(votes).where(eq(votes.turnId, turnA1)),
        ),
      );

    // A cut inside the second turn moves back to its start: a turn goes whole or not at all.
    const lastOfA2 = beforeA.filter((e) => e.turnId === turnA2).at(-1);
    const inside = new Date(new Date(lastOfA2?.at ?? 0).getTime() + DAY_MS);
    const straddled = ofGroup(await retention.run({ now: inside, groupId: groupA, dryRun: true }), groupA);
    expect(straddled.keepFromSeq).toBe(firstKept);
    expect(straddled.heldBy).toContain("turn boundary");
    expect(straddled.turnIds).toEqual([turnA1]);

    const dry = await retention.run({ now, dryRun: true });
    // The CLI's dry run lists the same, as JSON or one paragraph per group.
    const fromCli = JSON.parse(await cli(["run", "--dry-run", "--json", "--now", now.toISOString()]));
    expect(fromCli.groups).toEqual(comparable(dry));
    const text = await cli(["run", "--dry-run", "--group", groupA, "--now", now.toISOString()]);
    expect(text).toContain(`group ${groupA} (1 day, cut-off ${mid.toISOString()})`);
    expect(text).toContain(`would remove ${oldSeqs.length} message(s) below seq ${firstKept}`);
    const planA = ofGroup(dry, groupA);
    expect(planA).toMatchObject({
      keepFromSeq: firstKept,
      turnIds: [turnA1],
      fileIds: [oldFileA],
      checkpointKeys: [`${turnA1}_deadbeef.m`],
      stream: { messages: oldSeqs.length },
      rows: {
        events: oldRows.events,
        messages: oldRows.messages,
        turns: 1,
        votes: oldRows.votes,
        vote_ballots: ballotsBefore?.n,
        llm_calls: oldRows.llmCalls,
        files: 1,
      },
    });
    expect(planA.memoryEntries).toBeGreaterThan(0);
    expect(dry.groups.map((g) => g.groupId)).not.toContain(groupB);
    // The dry run changed nothing.
    expect(await readGroupEvents(sys.bus, groupA)).toEqual(beforeA);
    expect(await rowsOfTurn(turnA1)).toEqual(oldRows);
    expect(await memoryOf(groupA)).toEqual(memoryBefore);
    expect(await fileBytes(groupA, oldFileA)).not.toBeNull();

    const done = await retention.run({ now });
    expect(comparable(done)).toEqual(comparable(dry));

    const afterA = await readGroupEvents(sys.bus, groupA);
    expect(afterA).toEqual(beforeA.filter((e) => e.seq >= firstKept));
    expect(afterA.some((e) => e.turnId === turnA2)).toBe(true);
    // The turn's calls stay in the usage ledger, emptied of what they were sent and answered.
    expect(await rowsOfTurn(turnA1)).toEqual({
      events: 0,
      messages: 0,
      turns: 0,
      votes: 0,
      llmCalls: 0,
      ledger: oldRows.ledger,
    });
    expect((await rowsOfTurn(turnA2)).turns).toBe(1);
    expect(await search(groupA, "aardvark")).toEqual([]);
    expect(await search(groupA, "bumblebee")).toHaveLength(1);
    const memoryAfter = await memoryOf(groupA);
    expect(memoryAfter?.entries.length).toBeGreaterThan(0);
    expect(memoryAfter?.entries.every((e) => e.seq >= firstKept)).toBe(true);
    expect(memoryAfter?.blocks).toEqual(memoryBefore?.blocks);
    expect(memoryAfter?.summary).toEqual(memoryBefore?.summary);
    expect(await checkpoints.get(`${turnA1}_deadbeef.m`)).toBeNull();
    expect(await fileBytes(groupA, oldFileA)).toBeNull();
    expect(await fileBytes(groupA, newFileA)).not.toBeNull();
    const listed = await sys.get(`/v1/groups/${groupA}/files`);
    expect((listed.body.items as { id: string }[]).map((f) => f.id)).toEqual([newFileA]);
    const fileRows = await handle.db.select({ id: files.id }).from(files).where(eq(files.groupId, groupA));
    expect(fileRows.map((f) => f.id)).toEqual([newFileA]);

    // A group without a limit keeps everything.
    expect(await readGroupEvents(sys.bus, groupB)).toEqual(beforeB);
    expect((await rowsOfTurn(turnB1)).events).toBeGreaterThan(0);

    // Sweeping again removes nothing more.
    const again = ofGroup(await retention.run({ now }), groupA);
    expect(again.stream.messages).toBe(0);
    expect(Object.values(again.rows).every((n) => n === 0)).toBe(true);
  }, 120_000);

  it("lets the groups' next turns run as before, remembering what is kept", async () => {
    const turnA3 = await turn(groupA, "the chameleon question");
    const events = (await readGroupEvents(sys.bus, groupA)).filter((e) => e.turnId === turnA3);
    expect(events.map((e) => e.type)).toContain("turn.completed");
    const memory = await memoryOf(groupA);
    const turnsRemembered = new Set(memory?.entries.map((e) => e.turnId));
    expect(turnsRemembered.has(turnA3)).toBe(true);
    expect(turnsRemembered.has(turnA2)).toBe(true);
    expect(turnsRemembered.has(turnA1)).toBe(false);
    await turn(groupC, "the dormouse question");
  }, 120_000);
});
