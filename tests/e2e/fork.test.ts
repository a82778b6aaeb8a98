import type { Envelope } from "@conclave/subjects";
import {
  captureLlmWork,
  readGroupEvents,
  startSystem,
  type TestSystem,
  type TestUser,
  waitUntil,
} from "@conclave/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// Fork end to end: a group with a memory block and three finished turns is forked after its second
// turn by a member. The fork's recorded history is the original's up to that seq (same types,
// payloads and order, modulo ids and seqs, each copy naming its origin); the orchestrator runs none
// of the copies; the fork's first live turn remembers the copied history and nothing after it.
// Viewers and outsiders cannot fork, bad input creates nothing, and a retry answers the same fork.

let sys: TestSystem;
let member: TestUser;
let viewer: TestUser;
let outsider: TestUser;
let work: ReturnType<typeof captureLlmWork>;
let groupId = "";
let agentIds: string[] = [];
/** The original's recorded events, as the replay answers them. */
let original: Line[] = [];
/** The seq the fork is made at: the end of the second turn. */
let fromSeq = 0;

interface Line {
  seq: number;
  event: {
    id: string;
    type: string;
    groupId: string;
    turnId: string | null;
    causationId: string | null;
    at: string;
    traceparent?: string;
    actor: Record<string, unknown>;
    payload: Record<string, unknown>;
    forkedFrom?: { groupId: string; seq: number; eventId: string };
  };
}

async function replay(id: string): Promise<Line[]> {
  const res = await fetch(`${sys.edgeUrl}/v1/groups/${id}/replay`, {
    headers: { authorization: `Bearer ${sys.user.accessToken}` },
  });
  expect(res.status).toBe(200);
  return (await res.text())
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Line);
}

/** Waits until the read model holds every event the stream holds for the group. */
async function recorded(id: string): Promise<Line[]> {
  return waitUntil(
    "the group's events to be recorded",
    async () => {
      const [onStream, lines] = await Promise.all([readGroupEvents(sys.bus, id), replay(id)]);
      return onStream.length > 0 && lines.length === onStream.length ? lines : undefined;
    },
    30_000,
  );
}

async function ask(id: string, content: string, token?: string): Promise<string> {
  const res = await sys.request("POST", `/v1/groups/${id}/messages?wait=30`, {
    body: { content },
    ...(token ? { token } : {}),
  });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  expect(res.body.status).toBe("completed");
  return res.body.turnId as string;
}

const fork = (body: unknown, token?: string, headers?: Record<string, string>) =>
  sys.request("POST", `/v1/groups/${groupId}/fork`, {
    body,
    ...(token ? { token } : {}),
    ...(headers ? { headers } : {}),
  });

async function groupsOf(user: TestUser): Promise<string[]> {
  const res = await sys.get("/v1/groups?limit=500", user.accessToken);
  return (res.body.items as { id: string }[]).map((g) => g.id);
}

beforeAll(async () => {
  sys = await startSystem();
  [member, viewer, outsider] = [await sys.register(), await sys.register(), await sys.register()];
  work = captureLlmWork(sys.bus);
  const created = await sys.post("/v1/groups", {
    name: "the original",
    strategy: "round_robin",
    settings: { turnLimits: { maxRounds: 1 } },
    agents: [
      { name: "Ada", scripted: { replies: ["Ada says one", "Ada says two", "Ada says three"] } },
      { name: "Bob", scripted: { replies: ["Bob says one", "Bob says two", "Bob says three"] } },
    ],
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  groupId = created.body.id as string;
  agentIds = (created.body.agents as { id: string }[]).map((a) => a.id);
  for (const [who, role] of [
    [member, "member"],
    [viewer, "viewer"],
  ] as const) {
    const joined = await sys.post(`/v1/groups/${groupId}/members`, { email: who.email, role });
    expect(joined.status, JSON.stringify(joined.body)).toBe(201);
  }
  const block = await sys.request("PUT", `/v1/groups/${groupId}/memory/blocks/project`, {
    body: { value: "The project is called Lighthouse." },
  });
  expect(block.status, JSON.stringify(block.body)).toBeLessThan(300);
  await ask(groupId, "question one about the plan");
  const second = await ask(groupId, "question two about the budget");
  await ask(groupId, "question three after the fork point");
  original = await recorded(groupId);
  const ended = original.find((l) => l.event.turnId === second && l.event.type === "turn.completed");
  fromSeq = ended?.seq ?? 0;
  expect(fromSeq).toBeGreaterThan(0);
}, 120_000);
afterAll(async () => {
  work?.stop();
  await sys?.stop();
});

describe("refusals create nothing", () => {
  it("answers outsiders 404, viewers 403 and bad input a problem listing the field", async () => {
    const before = await Promise.all([groupsOf(sys.user), groupsOf(member), groupsOf(viewer)]);
    const last = original.at(-1)?.seq ?? 0;
    const cases: [string, unknown, TestUser | null, number, string | null][] = [
      ["outsider", { fromSeq }, outsider, 404, null],
      ["viewer", { fromSeq }, viewer, 403, null],
      ["fromSeq 0", { fromSeq: 0 }, null, 400, "body.fromSeq"],
      ["fromSeq beyond the history", { fromSeq: last + 1 }, null, 400, "body.fromSeq"],
      ["not an integer", { fromSeq: 1.5 }, null, 400, "body.fromSeq"],
      ["an unknown agent", { fromSeq, agents: [crypto.randomUUID()] }, null, 404, "body.agents.0"],
      ["an agent twice", { fromSeq, agents: [agentIds[0], agentIds[0]] }, null, 400, "body.agents.1"],
      [
        "too many agents",
        { fromSeq, agents: Array.from({ length: 101 }, () => crypto.randomUUID()) },
        null,
        400,
        "body.agents",
      ],
      ["an unknown field", { fromSeq, strategy: "broadcast" }, null, 400, null],
    ];
    for (const [name, body, who, status, field] of cases) {
      const res = await fork(body, who?.accessToken);
      expect(res.status, `${name}: ${JSON.stringify(res.body)}`).toBe(status);
      expect(res.headers.get("content-type"), name).toMatch(/problem\+json/);
      if (field) {
        const fields = (res.body.errors ?? []) as { path: string }[];
        expect(
          fields.map((f) => f.path),
          `${name}: ${JSON.stringify(res.body)}`,
        ).toContain(field);
      }
    }
    expect(await Promise.all([groupsOf(sys.user), groupsOf(member), groupsOf(viewer)])).toEqual(before);
  });
});

describe("a member's fork", () => {
  let forkId = "";
  let copies: Line[] = [];

  it("is created once, owned by the member, with the original's agents; a retry answers the same fork", async () => {
    const key = { "idempotency-key": "fork-after-two" };
    const res = await fork({ fromSeq, name: "what if" }, member.accessToken, key);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    forkId = res.body.id as string;
    expect(res.headers.get("location")).toBe(`/v1/groups/${forkId}`);
    expect(res.body).toMatchObject({
      name: "what if",
      strategy: "round_robin",
      role: "owner",
      forkedFrom: { groupId, fromSeq },
    });
    expect((res.body.agents as { id: string }[]).map((a) => a.id)).toEqual(agentIds);
    const again = await fork({ fromSeq, name: "what if" }, member.accessToken, key);
    expect(again.status, JSON.stringify(again.body)).toBe(200);
    expect(again.body.id).toBe(forkId);
    const other = await fork({ fromSeq: fromSeq - 1 }, member.accessToken, key);
    expect(other.status, JSON.stringify(other.body)).toBe(422);
    // The member owns it; the agents' owner is a member (their agents speak for them); the viewer is not in it.
    expect((await groupsOf(member)).filter((g) => g === forkId)).toHaveLength(1);
    const members = await sys.get(`/v1/groups/${forkId}/members`, member.accessToken);
    const roles = Object.fromEntries(
      (members.body.items as { accountId: string; role: string }[]).map((m) => [m.accountId, m.role]),
    );
    expect(roles).toEqual({ [member.accountId]: "owner", [sys.user.accountId]: "member" });
    expect((await sys.get(`/v1/groups/${forkId}`, viewer.accessToken)).status).toBe(404);
  });

  it("holds the original's history up to fromSeq, each copy naming its origin", async () => {
    copies = await recorded(forkId);
    const upTo = original.filter((l) => l.seq <= fromSeq);
    expect(copies.map((l) => l.event.type)).toEqual(upTo.map((l) => l.event.type));
    // Ids back to the original's: each copy's own, its turn's, its message's, its vote's.
    const back = new Map<string, string>();
    for (const [i, c] of copies.entries()) {
      const o = upTo[i] as Line;
      expect(c.event.forkedFrom).toEqual({ groupId, seq: o.seq, eventId: o.event.id });
      expect(c.event.groupId).toBe(forkId);
      expect(c.event.id).not.toBe(o.event.id);
      back.set(c.event.id, o.event.id);
      if (c.event.turnId && o.event.turnId) back.set(c.event.turnId, o.event.turnId);
      for (const k of ["messageId", "voteId"])
        if (typeof c.event.payload[k] === "string")
          back.set(c.event.payload[k] as string, o.event.payload[k] as string);
    }
    const seqBack = new Map(copies.map((c, i) => [c.seq, (upTo[i] as Line).seq]));
    const restore = (v: unknown, key = ""): unknown => {
      if (typeof v === "string") return back.get(v) ?? v;
      if (typeof v === "number" && /Seq$/.test(key)) return v === 0 ? 0 : (seqBack.get(v) ?? v);
      if (Array.isArray(v)) return v.map((x) => restore(x));
      if (v && typeof v === "object")
        return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, restore(x, k)]));
      return v;
    };
    // A copy is published by the fork's request, in its trace: the trace context is the one field
    // a copy does not take from its original.
    const traces = new Set<string | undefined>();
    for (const [i, c] of copies.entries()) {
      const o = upTo[i] as Line;
      const { forkedFrom: _origin, traceparent, ...copy } = c.event;
      const { traceparent: _originalTrace, ...original } = o.event;
      traces.add(traceparent?.split("-")[1]);
      expect(restore(copy), `${o.seq} ${o.event.type}`).toEqual({ ...original, groupId: forkId });
    }
    expect(traces.size).toBe(1);
    expect([...traces][0]).toMatch(/^[0-9a-f]{32}$/);
    // Nothing of the original after fromSeq came along, and the original is as it was.
    expect(copies.some((c) => JSON.stringify(c).includes("question three"))).toBe(false);
    expect(await replay(groupId)).toEqual(original);
  });

  it("runs none of the copies, then runs its next message live, remembering the copied history", async () => {
    expect(work.items.filter((w) => w.groupId === forkId)).toEqual([]);
    expect((await readGroupEvents(sys.bus, forkId)).every((e) => e.forkedFrom !== undefined)).toBe(true);
    const turnId = await ask(forkId, "what if we had stopped here?", member.accessToken);
    const prompts = work.items.filter((w) => w.groupId === forkId && w.turnId === turnId);
    expect(prompts.length).toBeGreaterThan(0);
    const first = prompts[0] as Envelope<"work.llm">;
    const text = JSON.stringify(first.payload.messages);
    for (const said of [
      "question one about the plan",
      "Ada says one",
      "question two about the budget",
      "Bob says two",
    ])
      expect(text, said).toContain(said);
    expect(text).not.toContain("question three");
    expect(first.payload.agent.systemPrompt).toContain("The project is called Lighthouse.");
    // The live turn's events are the fork's own, after the copies.
    const live = (await recorded(forkId)).filter((l) => l.event.turnId === turnId);
    expect(live.map((l) => l.event.type)).toContain("turn.completed");
    expect(live.every((l) => l.event.forkedFrom === undefined && l.seq > (copies.at(-1)?.seq ?? 0))).toBe(
      true,
    );
    // The original is untouched by the fork, and an agent's record counts copied answers once.
    expect(await replay(groupId)).toEqual(original);
    const status = await sys.get(`/v1/agents/${agentIds[0]}/status`);
    expect((status.body.window as { replies: number }).replies).toBe(3 + 1);
  });
});

describe("a fork of a debate", () => {
  it("copies the vote, its ballots and consensus into the fork's read model, and remembers the outcome", async () => {
    const ballots = (choice: string) => [{ choice, confidence: 0.9, rationale: `for ${choice}` }];
    const created = await sys.post("/v1/groups", {
      name: "a debate",
      strategy: "debate_vote",
      settings: { turnLimits: { maxRounds: 1 } },
      agents: [
        { name: "Cy", scripted: { replies: ["Cy opens", "Cy closes"], votes: ballots("Dee") } },
        { name: "Dee", scripted: { replies: ["Dee opens", "Dee closes"], votes: ballots("Dee") } },
      ],
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const debate = created.body.id as string;
    const turnId = await ask(debate, "which way?");
    const lines = await recorded(debate);
    const before = await sys.get(`/v1/groups/${debate}/turns/${turnId}`);
    const res = await sys.post(`/v1/groups/${debate}/fork`, { fromSeq: lines.at(-1)?.seq });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const forkId = res.body.id as string;
    const copies = await recorded(forkId);
    expect(copies.map((l) => l.event.type)).toEqual(lines.map((l) => l.event.type));
    const copiedTurn = copies[0]?.event.turnId as string;
    const after = await sys.get(`/v1/groups/${forkId}/turns/${copiedTurn}`);
    expect(after.status, JSON.stringify(after.body)).toBe(200);
    const vote = (b: Record<string, unknown>) => {
      const [v] = b.votes as Record<string, unknown>[];
      const { voteId: _id, ...rest } = v ?? {};
      return rest;
    };
    expect(after.body).toMatchObject({ status: "completed", strategy: "debate_vote" });
    expect(vote(after.body)).toEqual(vote(before.body));
    expect((vote(after.body).ballots as unknown[]).length).toBe(2);
    // The fork's next turn remembers the debate and the group's choice.
    const next = await ask(forkId, "and now?");
    const first = work.items.find((w) => w.groupId === forkId && w.turnId === next);
    const text = JSON.stringify(first?.payload.messages);
    for (const said of ["which way?", "Dee closes", "The group chose Dee's answer"])
      expect(text, said).toContain(said);
  });
});
