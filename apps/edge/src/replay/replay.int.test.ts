import type { Principal } from "@conclave/auth";
import { accounts, type Db, events, groupMembers, groups } from "@conclave/db";
import { newEventId } from "@conclave/subjects";
import { type BothDatabases, openBothDatabases } from "@conclave/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EdgeContext } from "../context.js";
import { startTestEdge, type TestEdge, type TestEdgeUser } from "../test-edge.js";
import { replayEvents } from "./replay-events.js";
import { REPLAY_LIMITS, type ReplayLine } from "./schemas.js";

// The replay route over events written straight into the read model (the recorder's table): pages
// across batches, limits and their `Link`, filters, and who may read. The whole system's replay
// (the same events as the live socket) is tests/e2e/replay.test.ts.

let edge: TestEdge;
let owner: TestEdgeUser;
let reader: TestEdgeUser;
let outsider: TestEdgeUser;

beforeAll(async () => {
  edge = await startTestEdge();
  [owner, reader, outsider] = [await edge.register(), await edge.register(), await edge.register()];
});
afterAll(async () => {
  await edge?.stop();
});

interface Seeded {
  seq: number;
  id: string;
  turnId: string | null;
  at: string;
}

const T0 = Date.parse("2026-03-01T12:00:00.000Z");

/**
 * `n` events of `groupId` at every other seq from `firstSeq` (another group's events between them),
 * one second apart, in turns of 100; every 7th event is stamped 900 ms early: its clock disagrees
 * with the publish order (stored later, stamped before the event stored just ahead of it).
 */
async function seed(db: Db, groupId: string, n: number, firstSeq = 1): Promise<Seeded[]> {
  const other = newEventId();
  const turns = Array.from({ length: Math.ceil(n / 100) }, () => newEventId());
  const mine: Seeded[] = [];
  const rows: (typeof events.$inferInsert)[] = [];
  for (let i = 0; i < n; i++) {
    const seq = firstSeq + i * 2;
    const at = new Date(T0 + i * 1000 - (i % 7 === 6 ? 1900 : 0)).toISOString();
    const turnId = i % 100 === 99 ? null : (turns[Math.floor(i / 100)] ?? null);
    const id = newEventId();
    mine.push({ seq, id, turnId, at });
    const base = { v: 1, causationId: null, actor: { kind: "system", id: "conclave" } };
    rows.push({
      ...base,
      id,
      seq,
      groupId,
      turnId,
      type: "guard.triggered",
      payload: { code: "max_steps", reason: `#${i}` },
      at,
    });
    rows.push({
      ...base,
      id: newEventId(),
      seq: seq + 1,
      groupId: other,
      turnId: null,
      type: "memory.reset",
      payload: {},
      at,
    });
  }
  for (let i = 0; i < rows.length; i += 1000) await db.insert(events).values(rows.slice(i, i + 1000));
  return mine;
}

async function newGroup(): Promise<string> {
  const res = await edge.request("POST", "/v1/groups", { body: { name: "replayed" }, token: owner.token });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  const id = res.body.id as string;
  const joined = await edge.request("POST", `/v1/groups/${id}/members`, {
    body: { accountId: reader.accountId, role: "member" },
    token: owner.token,
  });
  expect(joined.status, JSON.stringify(joined.body)).toBe(201);
  return id;
}

interface Replayed {
  status: number;
  headers: Headers;
  lines: ReplayLine[];
  problem?: { errors?: { path: string }[] };
}

async function replay(who: TestEdgeUser, path: string): Promise<Replayed> {
  const res = await edge.app.request(path, { headers: { authorization: `Bearer ${who.token}` } });
  const text = await res.text();
  if (res.status !== 200)
    return { status: res.status, headers: res.headers, lines: [], problem: JSON.parse(text) };
  expect(res.headers.get("content-type")).toMatch(/^application\/x-ndjson/);
  expect(text === "" || text.endsWith("\n"), "every line ends with a newline").toBe(true);
  const lines = text
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as ReplayLine);
  return { status: res.status, headers: res.headers, lines };
}

const seqs = (r: Replayed) => r.lines.map((l) => l.seq);

describe("GET /v1/groups/:groupId/replay", () => {
  let g = "";
  let seeded: Seeded[] = [];
  beforeAll(async () => {
    g = await newGroup();
    seeded = await seed(edge.db.db, g, 1203);
  });

  it("streams every recorded event of the group in seq order, across pages, as published", async () => {
    const all = await replay(reader, `/v1/groups/${g}/replay`);
    expect(all.status).toBe(200);
    expect(seqs(all)).toEqual(seeded.map((s) => s.seq));
    expect(all.lines.map((l) => l.event.id)).toEqual(seeded.map((s) => s.id));
    expect(all.headers.get("replay-count")).toBe("1203");
    expect(all.headers.get("replay-through-seq")).toBe(String(seeded.at(-1)?.seq));
    expect(all.headers.get("link")).toBeNull();
    expect(all.lines[6]?.event).toEqual({
      id: seeded[6]?.id,
      type: "guard.triggered",
      v: 1,
      groupId: g,
      turnId: seeded[6]?.turnId,
      causationId: null,
      at: seeded[6]?.at,
      actor: { kind: "system", id: "conclave" },
      payload: { code: "max_steps", reason: "#6" },
    });
    expect(REPLAY_LIMITS.batch).toBeLessThan(1203);
  });

  it("answers at most `limit` events and links the rest of the range", async () => {
    const got: number[] = [];
    let path: string | null = `/v1/groups/${g}/replay?limit=500&toSeq=${seeded[1100]?.seq}`;
    const counts: string[] = [];
    while (path) {
      const page = await replay(owner, path);
      expect(page.status).toBe(200);
      counts.push(page.headers.get("replay-count") ?? "");
      got.push(...seqs(page));
      const link = page.headers.get("link");
      path = link ? (/^<([^>]+)>; rel="next"$/.exec(link)?.[1] ?? null) : null;
      if (link) expect(page.headers.get("replay-through-seq")).toBe(String((seqs(page).at(-1) ?? 0) + 1));
    }
    expect(counts).toEqual(["500", "500", "101"]);
    expect(got).toEqual(seeded.slice(0, 1101).map((s) => s.seq));
  });

  it("filters by turn, by seq range and by time range, inclusive, and combines them", async () => {
    const turn = seeded[250]?.turnId ?? "";
    const byTurn = await replay(owner, `/v1/groups/${g}/replay?turnId=${turn}`);
    expect(seqs(byTurn)).toEqual(seeded.filter((s) => s.turnId === turn).map((s) => s.seq));
    expect(byTurn.lines).toHaveLength(99);

    const [a, b] = [seeded[10]?.seq ?? 0, seeded[20]?.seq ?? 0];
    const range = await replay(owner, `/v1/groups/${g}/replay?fromSeq=${a}&toSeq=${b}`);
    expect(seqs(range)).toEqual(seeded.slice(10, 21).map((s) => s.seq));
    // Bounds between two of the group's seqs (another group's events sit there).
    const between = await replay(owner, `/v1/groups/${g}/replay?fromSeq=${a + 1}&toSeq=${b + 1}`);
    expect(seqs(between)).toEqual(seeded.slice(11, 21).map((s) => s.seq));

    // Stamps out of publish order (every 7th event) sit on both edges of this range: #300 is stamped
    // before #299, #412 before #411.
    const since = seeded[300]?.at ?? "";
    const until = seeded[411]?.at ?? "";
    const inTime = (s: Seeded) => s.at >= since && s.at <= until;
    const byTime = await replay(owner, `/v1/groups/${g}/replay?since=${since}&until=${until}`);
    expect(seqs(byTime)).toEqual(seeded.filter(inTime).map((s) => s.seq));
    expect(seeded.filter(inTime).some((s, i, all) => i > 0 && s.at < (all[i - 1]?.at ?? ""))).toBe(true);
    const offset = await replay(
      owner,
      `/v1/groups/${g}/replay?since=${encodeURIComponent(since.replace("Z", "-00:05"))}`,
    );
    const later = Date.parse(since) + 5 * 60_000;
    expect(seqs(offset)).toEqual(seeded.filter((s) => Date.parse(s.at) >= later).map((s) => s.seq));

    const both = await replay(owner, `/v1/groups/${g}/replay?turnId=${turn}&since=${since}&toSeq=${b * 100}`);
    expect(seqs(both)).toEqual(
      seeded.filter((s) => s.turnId === turn && s.at >= since && s.seq <= b * 100).map((s) => s.seq),
    );
  });

  it("answers nothing for a range with no events, and says how far it looked", async () => {
    const last = String(seeded.at(-1)?.seq);
    const future = await replay(owner, `/v1/groups/${g}/replay?since=2030-01-01T00:00:00Z`);
    expect(future.lines).toEqual([]);
    expect(future.headers.get("replay-count")).toBe("0");
    expect(future.headers.get("replay-through-seq")).toBe(last);
    const unknownTurn = await replay(owner, `/v1/groups/${g}/replay?turnId=${newEventId()}`);
    expect(unknownTurn.lines).toEqual([]);
    expect(unknownTurn.headers.get("replay-through-seq")).toBe(last);
    const fresh = await replay(owner, `/v1/groups/${await newGroup()}/replay`);
    expect(fresh).toMatchObject({ status: 200, lines: [] });
    expect(fresh.headers.get("replay-through-seq")).toBe("0");
  });

  it("refuses bad parameters with a 400 naming each field", async () => {
    const cases: [string, string[]][] = [
      ["fromSeq=abc", ["query.fromSeq"]],
      ["toSeq=-1", ["query.toSeq"]],
      ["fromSeq=1.5", ["query.fromSeq"]],
      ["fromSeq=9&toSeq=3", ["query.toSeq"]],
      ["since=yesterday", ["query.since"]],
      ["until=2026-13-01T00:00:00Z", ["query.until"]],
      ["since=2026-03-02T00:00:00Z&until=2026-03-01T00:00:00Z", ["query.until"]],
      ["turnId=not-a-turn", ["query.turnId"]],
      ["limit=0", ["query.limit"]],
      [`limit=${REPLAY_LIMITS.maxEvents + 1}`, ["query.limit"]],
      ["fromSeq=x&since=y", ["query.fromSeq", "query.since"]],
    ];
    for (const [query, fields] of cases) {
      const res = await replay(owner, `/v1/groups/${g}/replay?${query}`);
      expect(res.status, query).toBe(400);
      expect(res.headers.get("content-type"), query).toMatch(/problem\+json/);
      expect(res.problem?.errors?.map((e) => e.path).sort(), query).toEqual(fields);
    }
  });

  it("is a 404 to outsiders and for a group that does not exist, whatever the parameters", async () => {
    for (const query of ["", "?fromSeq=abc", `?turnId=${seeded[0]?.turnId}`]) {
      const res = await replay(outsider, `/v1/groups/${g}/replay${query}`);
      expect(res.status, query).toBe(404);
      expect(JSON.stringify(res.problem)).not.toContain(seeded[0]?.id);
    }
    expect((await replay(owner, `/v1/groups/${newEventId()}/replay`)).status).toBe(404);
    expect((await replay(owner, "/v1/groups/not-a-group/replay")).status).toBe(400);
  });
});

describe.each(["postgres", "pglite"] as const)("replayEvents on %s", (driver) => {
  let dbs: BothDatabases;
  beforeAll(async () => {
    dbs = await openBothDatabases();
  });
  afterAll(async () => {
    await dbs?.close();
  });

  it("pages a long range in bounded batches and keeps time bounds exact", async () => {
    const db = dbs.handles[driver].db;
    const accountId = newEventId();
    const groupId = newEventId();
    await db.insert(accounts).values({ id: accountId, email: `${accountId}@example.com`, passwordHash: "x" });
    await db.insert(groups).values({ id: groupId, name: "g" });
    await db.insert(groupMembers).values({ groupId, accountId, role: "member" });
    const seeded = await seed(db, groupId, 1100, 10);
    const ctx = { db } as unknown as EdgeContext;
    const principal: Principal = {
      accountId,
      accountRole: "member",
      via: "api_key",
      scopes: new Set(["read"]),
    };
    const run = async (input: Partial<Parameters<typeof replayEvents>[0]["input"]>) => {
      const r = await replayEvents({
        ctx,
        principal,
        input: { groupId, limit: REPLAY_LIMITS.maxEvents, ...input },
      });
      const pages: number[][] = [];
      for await (const page of r.pages()) pages.push(page.map((l) => l.seq));
      return { ...r, pages };
    };
    const all = await run({});
    expect(all.pages.map((p) => p.length)).toEqual([500, 500, 100]);
    expect(all.pages.flat()).toEqual(seeded.map((s) => s.seq));
    const since = seeded[601]?.at ?? "";
    const until = seeded[705]?.at ?? "";
    const timed = await run({ since, until });
    expect(timed.pages.flat()).toEqual(
      seeded.filter((s) => s.at >= since && s.at <= until).map((s) => s.seq),
    );
    const cut = await run({ limit: 3, fromSeq: seeded[5]?.seq });
    expect(cut).toMatchObject({
      count: 3,
      nextFromSeq: seeded[8]?.seq,
      throughSeq: (seeded[8]?.seq ?? 0) - 1,
    });
    expect(cut.pages.flat()).toEqual(seeded.slice(5, 8).map((s) => s.seq));
  });

  it("finds a time range's seqs when stamps and publish order disagree where the search probes", async () => {
    const db = dbs.handles[driver].db;
    const accountId = newEventId();
    const groupId = newEventId();
    await db.insert(accounts).values({ id: accountId, email: `${accountId}@example.com`, passwordHash: "x" });
    await db.insert(groups).values({ id: groupId, name: "g" });
    await db.insert(groupMembers).values({ groupId, accountId, role: "member" });
    // 100 events at seqs 10, 12, … 208, event i stamped i seconds in, but for two: the binary
    // searches' probes land first on #47 (since's side) and then on #53 (until's side), and those
    // are stamped out of order, #47 early (30 s) and #53 late (70 s).
    const rows = Array.from({ length: 100 }, (_, i) => ({
      id: newEventId(),
      seq: 10 + 2 * i,
      groupId,
      turnId: null,
      causationId: null,
      type: "memory.reset",
      v: 1,
      actor: { kind: "system", id: "conclave" },
      payload: {},
      at: new Date(T0 + (i === 47 ? 30 : i === 53 ? 70 : i) * 1000).toISOString(),
    }));
    await db.insert(events).values(rows);
    const ctx = { db } as unknown as EdgeContext;
    const principal: Principal = {
      accountId,
      accountRole: "member",
      via: "token",
      scopes: new Set(["read"]),
    };
    const since = new Date(T0 + 45_000).toISOString();
    const until = new Date(T0 + 55_000).toISOString();
    const r = await replayEvents({ ctx, principal, input: { groupId, since, until, limit: 100 } });
    const got: number[] = [];
    for await (const page of r.pages()) got.push(...page.map((l) => l.seq));
    const inRange = rows.filter((x) => x.at >= since && x.at <= until).map((x) => x.seq);
    expect(inRange).toHaveLength(9);
    expect(got).toEqual(inRange);
  });
});
