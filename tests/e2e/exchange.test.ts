import { randomBytes } from "node:crypto";
import { BUS_USERS, type BusUser, jetstreamManager, natsAuthorizationConfig } from "@conclave/bus";
import { names } from "@conclave/subjects";
import {
  type OwnNatsServer,
  startOwnNatsServer,
  startSystem,
  type TestSystem,
  uniqueNamespace,
  waitForHistory,
} from "@conclave/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// The exchange (ask, then wait for the answer) across two edge replicas. A nats-server of its own
// gives each app its own NATS user, so the edges wait with exactly the permissions of BUS_NEEDS.
const ns = uniqueNamespace();
const n = names(ns);
const secret = () => randomBytes(12).toString("hex");
const passwords = Object.fromEntries(BUS_USERS.map((u) => [u, secret()])) as Record<BusUser, string>;
const admin = { user: "operator", password: secret() };
let nats: OwnNatsServer;
let sys: TestSystem;

beforeAll(async () => {
  nats = await startOwnNatsServer({ config: natsAuthorizationConfig(n, passwords, admin), ...admin });
  sys = await startSystem({
    ns,
    natsUrl: nats.url,
    natsAuth: { admin, apps: passwords },
    replicas: { edge: 2 },
  });
});
afterAll(async () => {
  await sys?.stop();
  await nats?.dispose();
});

interface Reply {
  id: string;
  seq: number;
  agentId: string;
  agentName: string;
  content: string;
  provider: string;
  model: string;
  usage: { inputTokens: number; outputTokens: number } | null;
}
interface Finished {
  messageId: string;
  turnId: string;
  seq: number;
  status: string;
  strategy: string | null;
  durationMs: number;
  replies: Reply[];
  vote: Record<string, unknown> | null;
  usage: { inputTokens: number; outputTokens: number };
}

/** A request to one edge replica (0 or 1), as `token` (default: the system's user). */
async function call(edge: number, method: string, path: string, body?: object, token = sys.user.accessToken) {
  const res = await fetch(`${sys.edgeUrls[edge]}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { "content-type": "application/json" } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return {
    status: res.status,
    type: res.headers.get("content-type") ?? "",
    body: (text ? JSON.parse(text) : {}) as Record<string, unknown>,
  };
}

async function group(strategy: string, agents: object[], settings: object = {}) {
  const res = await sys.post("/v1/groups", { name: `${strategy}-${secret()}`, strategy, agents, settings });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  const id = res.body.id as string;
  const got = await sys.get(`/v1/groups/${id}`);
  return { id, agents: got.body.agents as { id: string; name: string }[] };
}

/** How many messages were posted to the group, counted in the stream (the recorder may lag). */
async function postedCount(groupId: string): Promise<number> {
  const jsm = await jetstreamManager(sys.bus.nc);
  const info = await jsm.streams.info(n.stream("conv"), { subjects_filter: n.groupFilter(groupId) });
  return info.state.subjects?.[n.convSubject(groupId, "message.posted")] ?? 0;
}

const sum = (replies: Reply[], k: "inputTokens" | "outputTokens") =>
  replies.reduce((t, r) => t + (r.usage?.[k] ?? 0), 0);

describe("the exchange: POST …/messages?wait=", () => {
  it("answers 200 with the finished turn: every reply and its author, and the turn's usage", async () => {
    const g = await group("broadcast", [
      { name: "Ada", scripted: { replies: ["Ada says hi"] } },
      { name: "Bob", scripted: { replies: ["Bob says hi"] } },
    ]);
    const res = await call(0, "POST", `/v1/groups/${g.id}/messages?wait=10`, { content: "hello" });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const turn = res.body as unknown as Finished;
    expect(turn).toMatchObject({ status: "completed", strategy: "broadcast", vote: null });
    expect(turn.durationMs).toBeGreaterThanOrEqual(0);
    const byName = Object.fromEntries(g.agents.map((a) => [a.name, a.id]));
    expect(turn.replies.map((r) => [r.agentName, r.agentId, r.content, r.provider]).sort()).toEqual([
      ["Ada", byName.Ada, "Ada says hi", "scripted"],
      ["Bob", byName.Bob, "Bob says hi", "scripted"],
    ]);
    expect(turn.replies.every((r) => r.seq > turn.seq)).toBe(true);
    expect(turn.usage.inputTokens).toBeGreaterThan(0);
    expect(turn.usage).toEqual({
      inputTokens: sum(turn.replies, "inputTokens"),
      outputTokens: sum(turn.replies, "outputTokens"),
    });
    // The replies are the group's history too (once recorded).
    const items = await waitForHistory(sys, g.id, 3);
    expect((items as { id: string }[]).map((i) => i.id)).toEqual(
      expect.arrayContaining(turn.replies.map((r) => r.id)),
    );
  });

  it("answers 202 after about the wait for a slow turn; GET ?wait on the other edge answers 200 when it ends", async () => {
    const g = await group("broadcast", [{ name: "Slow", scripted: { replies: ["at last"], delayMs: 3000 } }]);
    const t0 = Date.now();
    const res = await call(0, "POST", `/v1/groups/${g.id}/messages?wait=1`, { content: "take your time" });
    const took = Date.now() - t0;
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(took).toBeGreaterThanOrEqual(950);
    expect(took).toBeLessThan(15_000);
    const { messageId, turnId, seq, status } = res.body as Record<string, unknown>;
    expect(["queued", "running"]).toContain(status);
    const later = await call(1, "GET", `/v1/groups/${g.id}/turns/${turnId}?wait=30`);
    expect(later.status, JSON.stringify(later.body)).toBe(200);
    expect(later.body).toMatchObject({ messageId, turnId, seq, status: "completed" });
    const replies = (later.body as unknown as Finished).replies;
    expect(replies.map((r) => [r.agentName, r.content])).toEqual([["Slow", "at last"]]);
    // Asked again, an ended turn answers at once, from either edge.
    const again = await call(0, "GET", `/v1/groups/${g.id}/turns/${turnId}?wait=5`);
    expect(again.status).toBe(200);
    expect((again.body as unknown as Finished).replies.map((r) => r.id)).toEqual(replies.map((r) => r.id));
  });

  it("carries a debate_vote turn's vote and consensus, and only the answers as replies", async () => {
    const ballots = (choice: string, confidence: number) => [
      { choice, confidence, rationale: `for ${choice}` },
    ];
    const g = await group(
      "debate_vote",
      [
        { name: "Ada", scripted: { replies: ["A0", "A1"], votes: ballots("Bob", 0.9) } },
        { name: "Bob", scripted: { replies: ["B0", "B1"], votes: ballots("Bob", 0.8) } },
        { name: "Cy", scripted: { replies: ["C0", "C1"], votes: ballots("Ada", 0.6) } },
      ],
      { turnLimits: { maxRounds: 1 } },
    );
    const res = await call(1, "POST", `/v1/groups/${g.id}/messages?wait=30`, {
      content: "what should we do?",
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const turn = res.body as unknown as Finished;
    expect(turn.strategy).toBe("debate_vote");
    expect(turn.replies.map((r) => r.content).sort()).toEqual(["A0", "A1", "B0", "B1", "C0", "C1"]);
    // The ballots' tokens count in the turn's usage, though they are not replies.
    expect(turn.usage.inputTokens).toBeGreaterThan(sum(turn.replies, "inputTokens"));
    const vote = turn.vote as {
      status: string;
      winner: string;
      rule: unknown;
      options: { choice: string }[];
      ballots: { agentName: string; choice: string; confidence: number; replyId: string | null }[];
      tally: { choices: { choice: string; count: number }[]; quorum: { met: boolean } };
      consensus: { status: string; choice: string; confidence: number };
    };
    expect(vote).toMatchObject({ status: "closed", winner: "Bob", rule: { kind: "majority" } });
    expect(vote.options.map((o) => o.choice)).toEqual(["Ada", "Bob", "Cy"]);
    expect(vote.ballots.map((b) => `${b.agentName}->${b.choice}`).sort()).toEqual([
      "Ada->Bob",
      "Bob->Bob",
      "Cy->Ada",
    ]);
    expect(vote.ballots.every((b) => b.replyId && !turn.replies.some((r) => r.id === b.replyId))).toBe(true);
    expect(vote.tally.choices.find((c) => c.choice === "Bob")?.count).toBe(2);
    expect(vote.tally.quorum.met).toBe(true);
    expect(vote.consensus).toMatchObject({ status: "reached", choice: "Bob" });
    expect(vote.consensus.confidence).toBeCloseTo(2 / 3, 5);
  });

  it("refuses a bad wait with a 400 naming query.wait, publishing nothing", async () => {
    const g = await group("broadcast", [{ name: "Ada" }]);
    for (const wait of ["0", "-5", "61", "soon", ""]) {
      const res = await call(0, "POST", `/v1/groups/${g.id}/messages?wait=${wait}`, { content: "no" });
      expect(res.status, `wait=${wait}`).toBe(400);
      expect(res.type).toMatch(/^application\/problem\+json/);
      expect((res.body.errors as { path: string }[]).map((e) => e.path)).toEqual(["query.wait"]);
    }
    expect(await postedCount(g.id)).toBe(0);
  });

  it("answers an outsider 404 (nothing published) and lets a viewer wait for a turn", async () => {
    const g = await group("broadcast", [{ name: "Ada", scripted: { replies: ["ok"] } }]);
    const posted = await call(0, "POST", `/v1/groups/${g.id}/messages?wait=10`, { content: "q" });
    expect(posted.status).toBe(200);
    const turnId = posted.body.turnId as string;
    const outsider = await sys.register();
    const post = await call(
      1,
      "POST",
      `/v1/groups/${g.id}/messages?wait=5`,
      { content: "x" },
      outsider.accessToken,
    );
    expect(post.status).toBe(404);
    const get = await call(
      1,
      "GET",
      `/v1/groups/${g.id}/turns/${turnId}?wait=5`,
      undefined,
      outsider.accessToken,
    );
    expect(get.status).toBe(404);
    expect(await postedCount(g.id)).toBe(1);
    const viewer = await sys.register();
    const added = await sys.post(`/v1/groups/${g.id}/members`, {
      accountId: viewer.accountId,
      role: "viewer",
    });
    expect(added.status, JSON.stringify(added.body)).toBe(201);
    const seen = await call(
      1,
      "GET",
      `/v1/groups/${g.id}/turns/${turnId}?wait=5`,
      undefined,
      viewer.accessToken,
    );
    expect(seen.status).toBe(200);
    expect((seen.body as unknown as Finished).replies.map((r) => r.content)).toEqual(["ok"]);
  });
});
