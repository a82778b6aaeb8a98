import { type ChildProcess, execFile, spawn } from "node:child_process";
import { promisify } from "node:util";
import { jetstreamManager } from "@conclave/bus";
import {
  captureLlmWork,
  type Frame,
  REPO_ROOT,
  readGroupEvents,
  startSystem,
  type TestSystem,
  type TestUser,
  waitUntil,
} from "@conclave/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// Replay end to end: a debate_vote turn recorded as the live socket saw it, replayed through the
// API and the CLI (same events, same seqs, same order), with nothing published and no LLM call;
// filters, limits, roles, and the CLI following live from where the replay ended.

let sys: TestSystem;
let member: TestUser;
let viewer: TestUser;
let outsider: TestUser;
let groupId = "";
let turnId = "";
/** Every event of the group as a subscriber saw it live, in seq order. */
let live: Frame[] = [];

const ballots = (choice: string, confidence: number) => [{ choice, confidence, rationale: `for ${choice}` }];

beforeAll(async () => {
  sys = await startSystem();
  [member, viewer, outsider] = [await sys.register(), await sys.register(), await sys.register()];
  const created = await sys.post("/v1/groups", {
    name: "replayed debate",
    strategy: "debate_vote",
    settings: { turnLimits: { maxRounds: 1 } },
    agents: [
      { name: "Ada", scripted: { replies: ["A0", "A1"], votes: ballots("Bob", 0.9) } },
      { name: "Bob", scripted: { replies: ["B0", "B1"], votes: ballots("Bob", 0.8) } },
      { name: "Cy", scripted: { replies: ["C0", "C1"], votes: ballots("Ada", 0.6) } },
    ],
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  groupId = created.body.id as string;
  for (const [who, role] of [
    [member, "member"],
    [viewer, "viewer"],
  ] as const) {
    const joined = await sys.post(`/v1/groups/${groupId}/members`, { email: who.email, role });
    expect(joined.status, JSON.stringify(joined.body)).toBe(201);
  }
  const watcher = await sys.openStream();
  await watcher.subscribe(groupId, 0);
  const posted = await sys.post(`/v1/groups/${groupId}/messages`, { content: "what should we do?" });
  expect(posted.status).toBe(202);
  turnId = posted.body.turnId as string;
  await watcher.waitFor(
    "the turn's end",
    (f) => f.event?.turnId === turnId && f.event.type === "turn.completed",
    60_000,
  );
  live = watcher.events(groupId);
  await watcher.close();
  // The read model trails the stream by the recorder's lag.
  await waitUntil("the turn to be recorded", async () => {
    const r = await replay(`/v1/groups/${groupId}/replay`);
    return r.lines.length === live.length;
  });
});
afterAll(async () => {
  await sys?.stop();
});

interface Line {
  seq: number;
  event: { id: string; type: string; turnId: string | null; at: string; payload: Record<string, unknown> };
}
interface Replayed {
  status: number;
  headers: Headers;
  lines: Line[];
  problem?: { errors?: { path: string }[] };
}

async function replay(path: string, token: string = sys.user.accessToken): Promise<Replayed> {
  const res = await fetch(`${sys.edgeUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
  const text = await res.text();
  if (res.status !== 200)
    return { status: res.status, headers: res.headers, lines: [], problem: JSON.parse(text) };
  const lines = text
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Line);
  return { status: res.status, headers: res.headers, lines };
}

const cliEnv = () => ({
  PATH: process.env.PATH ?? "",
  CONCLAVE_TOKEN: sys.user.accessToken,
  CONCLAVE_URL: sys.edgeUrl,
  CONCLAVE_STREAM_URL: sys.streamUrl,
});
const cliArgs = (args: string[]) => ["--import", "tsx", "apps/cli/src/main.ts", "replay", ...args];

async function cli(args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, cliArgs(args), {
    cwd: REPO_ROOT,
    env: cliEnv(),
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout;
}

const key = (seq: number | undefined, e: { id: string; type: string } | undefined) =>
  `${seq} ${e?.type} ${e?.id}`;

/** What the stream holds and has delivered: unchanged unless something was published. */
async function busMarks() {
  const jsm = await jetstreamManager(sys.bus.nc);
  const [conv, work] = await Promise.all([
    jsm.streams.info(sys.bus.names.stream("conv")),
    jsm.streams.info(sys.bus.names.stream("work")),
  ]);
  const events = await readGroupEvents(sys.bus, groupId);
  return {
    convLastSeq: conv.state.last_seq,
    workLastSeq: work.state.last_seq,
    replies: events.filter((e) => e.type === "agent.replied").length,
  };
}

describe("replaying a recorded debate_vote turn", () => {
  it("gives the same events, seqs and order as the live socket, through the API and the CLI, and calls no LLM", async () => {
    const turn = live.filter((f) => f.event?.turnId === turnId);
    expect(turn.map((f) => f.event?.type)).toEqual([
      "message.posted",
      "turn.started",
      ...Array(6).fill("agent.replied"),
      "vote.opened",
      ...Array(6).fill(expect.stringMatching(/^(agent\.replied|vote\.cast)$/)),
      "vote.closed",
      "consensus.reached",
      "turn.completed",
    ]);
    const llmWork = captureLlmWork(sys.bus);
    await sys.bus.nc.flush();
    const before = await busMarks();
    expect(before.replies).toBe(9);

    const byTurn = await replay(`/v1/groups/${groupId}/replay?turnId=${turnId}`);
    expect(byTurn.status).toBe(200);
    expect(byTurn.headers.get("content-type")).toMatch(/^application\/x-ndjson/);
    expect(byTurn.lines.map((l) => key(l.seq, l.event))).toEqual(turn.map((f) => key(f.seq, f.event)));
    // Not only the ids: every event is the one the socket carried.
    expect(byTurn.lines.map((l) => l.event)).toEqual(turn.map((f) => f.event));
    expect(byTurn.headers.get("replay-count")).toBe(String(turn.length));
    const whole = await replay(`/v1/groups/${groupId}/replay`);
    expect(whole.lines.map((l) => key(l.seq, l.event))).toEqual(live.map((f) => key(f.seq, f.event)));

    const ndjson = await cli([groupId, "--turn", turnId, "--format", "ndjson"]);
    expect(
      ndjson
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Line),
    ).toEqual(byTurn.lines);
    const json = JSON.parse(await cli([groupId, "--turn", turnId, "--format", "json"])) as Line[];
    expect(json).toEqual(byTurn.lines);
    const pretty = await cli([groupId, "--turn", turnId]);
    expect(pretty).toContain(`── turn ${turnId}`);
    expect(pretty).toMatch(/\+\d+ms conclave +turn\.started +debate_vote · agents Ada, Bob, Cy/);
    expect(pretty).toMatch(
      /Bob +agent\.replied +“B0” · scripted\/\S+ · \d+ in \/ \d+ out tokens · latency \d+ ms/,
    );
    expect(pretty).toMatch(/Cy +vote\.cast +votes Ada \(confidence 60%\)/);
    expect(pretty).toMatch(/vote\.closed +winner Bob · .* · closed by every ballot in · turnout 3\/3/);
    expect(pretty).toMatch(/│ Bob: 2 votes \(67%, mean confidence 85%\) from (Ada, Bob|Bob, Ada)/);
    expect(pretty).toMatch(/consensus\.reached +consensus on Bob · 67% of the votes · majority/);
    // A line per event and the turn's rule line, plus the lines under events.
    expect(pretty.split("\n").filter((l) => l.startsWith("#"))).toHaveLength(turn.length);

    // Nothing was published and no LLM was asked anything.
    await sys.bus.nc.flush();
    expect(llmWork.items).toHaveLength(0);
    llmWork.stop();
    expect(await busMarks()).toEqual(before);
  });

  it("replays a seq range and a time range, inclusive, and pages a long range with its Link", async () => {
    const [from, to] = [live[3]?.seq ?? 0, live[8]?.seq ?? 0];
    const range = await replay(`/v1/groups/${groupId}/replay?fromSeq=${from}&toSeq=${to}`);
    expect(range.lines.map((l) => l.seq)).toEqual(live.slice(3, 9).map((f) => f.seq));

    const at = (f: Frame | undefined) => String((f?.event as { at?: string } | undefined)?.at);
    const [since, until] = [at(live[2]), at(live[9])];
    const inTime = live.filter((f) => {
      const t = Date.parse(at(f));
      return t >= Date.parse(since) && t <= Date.parse(until);
    });
    expect(inTime.length).toBeGreaterThanOrEqual(8);
    const timed = await replay(
      `/v1/groups/${groupId}/replay?since=${encodeURIComponent(since)}&until=${encodeURIComponent(until)}`,
    );
    expect(timed.lines.map((l) => key(l.seq, l.event))).toEqual(inTime.map((f) => key(f.seq, f.event)));
    const cli4 = await cli([groupId, "--since", since, "--until", until, "--format", "ndjson"]);
    expect(cli4.split("\n").filter(Boolean)).toHaveLength(inTime.length);

    const pages: number[][] = [];
    let path: string | undefined = `/v1/groups/${groupId}/replay?turnId=${turnId}&limit=7`;
    while (path) {
      const page = await replay(path);
      pages.push(page.lines.map((l) => l.seq));
      path = /<([^>]+)>; rel="next"/.exec(page.headers.get("link") ?? "")?.[1];
    }
    expect(pages.map((p) => p.length)).toEqual([7, 7, 4]);
    expect(pages.flat()).toEqual(live.filter((f) => f.event?.turnId === turnId).map((f) => f.seq));
  });

  it("lets the group's owners and members replay it (and a read-only key), a viewer not, and nobody else", async () => {
    const byMember = await replay(`/v1/groups/${groupId}/replay?turnId=${turnId}`, member.accessToken);
    expect(byMember.status).toBe(200);
    expect(byMember.lines).toHaveLength(18);
    const byViewer = await replay(`/v1/groups/${groupId}/replay?turnId=${turnId}`, viewer.accessToken);
    expect(byViewer.status).toBe(403);
    expect(JSON.stringify(byViewer.problem)).not.toContain("what should we do");
    const readKey = (await sys.post("/v1/api-keys", { name: "replay reader", scopes: ["read"] })).body
      .key as string;
    expect((await replay(`/v1/groups/${groupId}/replay`, readKey)).lines).toHaveLength(live.length);

    for (const path of [
      `/v1/groups/${groupId}/replay`,
      `/v1/groups/${groupId}/replay?turnId=${turnId}`,
      `/v1/groups/${groupId}/replay?fromSeq=oops`,
    ]) {
      const r = await replay(path, outsider.accessToken);
      expect(r.status, path).toBe(404);
      expect(JSON.stringify(r.problem)).not.toContain("what should we do");
    }
    // The outsider's own group does not open someone else's turn either.
    const own = (await sys.post("/v1/groups", { name: "mine" }, outsider.accessToken)).body.id as string;
    const wrong = await replay(`/v1/groups/${own}/replay?turnId=${turnId}`, outsider.accessToken);
    expect(wrong).toMatchObject({ status: 200, lines: [] });
    expect((await replay(`/v1/groups/${turnId}/replay`)).status).toBe(404);
  });

  it("refuses bad parameters with a 400 naming the field, and the CLI says which flag", async () => {
    for (const [query, field] of [
      ["fromSeq=abc", "query.fromSeq"],
      ["fromSeq=9&toSeq=2", "query.toSeq"],
      ["since=last-week", "query.since"],
      ["since=2026-02-02T00:00:00Z&until=2026-02-01T00:00:00Z", "query.until"],
      ["turnId=42", "query.turnId"],
      ["limit=100000", "query.limit"],
    ] as const) {
      const r = await replay(`/v1/groups/${groupId}/replay?${query}`);
      expect(r.status, query).toBe(400);
      expect(
        r.problem?.errors?.map((e) => e.path),
        query,
      ).toEqual([field]);
    }
    const refused = await cli([groupId, "--since", "last-week"]).catch(
      (e: { code: number; stderr: string }) => e,
    );
    expect(refused).toMatchObject({ code: 2 });
    expect((refused as { stderr: string }).stderr).toMatch(/^--since: /);
  });
});

describe("conclave replay --follow", () => {
  let child: ChildProcess | undefined;
  afterAll(() => {
    child?.kill("SIGKILL");
  });

  it("goes on live after the range, from the seq the replay covered: no gap, no repeat", async () => {
    child = spawn(process.execPath, cliArgs([groupId, "--follow", "--format", "ndjson"]), {
      cwd: REPO_ROOT,
      env: cliEnv(),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout?.on("data", (d: Buffer) => {
      out += d.toString("utf8");
    });
    child.stderr?.on("data", (d: Buffer) => {
      err += d.toString("utf8");
    });
    const lines = () =>
      out
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Line);
    await waitUntil("the replayed range", () => lines().length >= live.length, 30_000);
    const posted = await sys.post(`/v1/groups/${groupId}/messages`, { content: "and now?" });
    const next = posted.body.turnId as string;
    await waitUntil(
      `the live turn's end (stderr: ${err})`,
      () => lines().some((l) => l.event.turnId === next && l.event.type === "turn.completed"),
      60_000,
    );
    const exited = new Promise((resolve) => child?.once("exit", resolve));
    child.kill("SIGINT");
    expect(await exited).toBe(0);
    const stream = await readGroupEvents(sys.bus, groupId);
    const seen = lines();
    expect(seen.map((l) => key(l.seq, l.event))).toEqual(
      stream.slice(0, seen.length).map((e) => key(e.seq, e)),
    );
    expect(seen.length).toBeGreaterThan(live.length);
  });
});
