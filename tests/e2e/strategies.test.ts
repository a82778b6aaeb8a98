import { type Frame, type StreamClient, startSystem, type TestSystem, waitUntil } from "@conclave/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// Every strategy end to end: a person posts over HTTP, a watcher on the WebSocket sees the turn's
// events in stream order, and the test asserts the exact sequence. Parallel asks are shown as a set
// (`[...]`): their order depends on which executor answers first; everything else is exact.

let sys: TestSystem;

beforeAll(async () => {
  sys = await startSystem({ executors: 2 });
});
afterAll(async () => {
  await sys?.stop();
});

interface Group {
  id: string;
  agents: { id: string; name: string }[];
}

async function group(strategy: string, agents: object[], settings: object = {}): Promise<Group> {
  const res = await sys.post("/v1/groups", { name: strategy, strategy, agents, settings });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  const id = (res.body as { id: string }).id;
  const got = await sys.get(`/v1/groups/${id}`);
  return { id, agents: (got.body as unknown as Group).agents };
}

async function patchSettings(groupId: string, settings: object) {
  const res = await sys.request("PATCH", `/v1/groups/${groupId}`, { body: { settings } });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
}

const name = (f: Frame) => {
  const p = f.event?.payload ?? {};
  return (p.agentName as string | undefined) ?? "";
};
/** `type` or `type:Agent` for events about one agent. */
const label = (f: Frame) => (name(f) ? `${f.event?.type}:${name(f)}` : `${f.event?.type}`);

/** Posts and waits for the turn's end; returns the turn's frames in stream order. */
async function run(g: Group, content: string, client?: StreamClient): Promise<Frame[]> {
  const watcher = client ?? (await sys.openStream());
  if (!client) await watcher.subscribe(g.id, 0);
  const posted = await sys.post(`/v1/groups/${g.id}/messages`, { content });
  expect(posted.status).toBe(202);
  const { turnId } = posted.body as { turnId: string };
  await watcher.waitFor(
    "the turn's end",
    (f) => f.event?.turnId === turnId && /^turn\.(completed|failed)$/.test(f.event.type),
    30_000,
  );
  // Late stragglers of the turn (none expected) would show up here.
  await new Promise((r) => setTimeout(r, 200));
  const frames = watcher.events(g.id).filter((f) => f.event?.turnId === turnId);
  if (!client) await watcher.close();
  return frames.sort((a, b) => (a.seq ?? 0) - (b.seq ?? 0));
}

/** Compares labels to a pattern where an array matches that many labels in any order. */
function expectSequence(frames: Frame[], pattern: (string | string[])[]) {
  const labels = frames.map(label);
  const shaped: (string | string[])[] = [];
  let i = 0;
  for (const p of pattern) {
    if (Array.isArray(p)) {
      shaped.push([...labels.slice(i, i + p.length)].sort());
      i += p.length;
    } else shaped.push(labels[i++] ?? "<missing>");
  }
  const expected = pattern.map((p) => (Array.isArray(p) ? [...p].sort() : p));
  expect({ sequence: shaped, rest: labels.slice(i) }).toEqual({ sequence: expected, rest: [] });
}

const of = (frames: Frame[], type: string) =>
  frames.filter((f) => f.event?.type === type).map((f) => f.event?.payload ?? {});

describe("broadcast", () => {
  it("asks every agent at once and completes when all answered", async () => {
    const g = await group("broadcast", [{ name: "Ada" }, { name: "Bob" }]);
    const frames = await run(g, "hello");
    expectSequence(frames, [
      "message.posted",
      "turn.started",
      ["agent.replied:Ada", "agent.replied:Bob"],
      "turn.completed",
    ]);
    expect(of(frames, "turn.started")[0]?.strategy).toBe("broadcast");
  });
});

describe("round_robin", () => {
  it("goes in seat order for N rounds, each speaker seeing the answers before it", async () => {
    const g = await group(
      "round_robin",
      [
        { name: "Ada", scripted: { replies: ["a1", "a2"] } },
        { name: "Bob", scripted: { echo: true } },
      ],
      { turnLimits: { maxRounds: 2 } },
    );
    const frames = await run(g, "count with me");
    expectSequence(frames, [
      "message.posted",
      "turn.started",
      "speaker.selected:Ada",
      "agent.replied:Ada",
      "speaker.selected:Bob",
      "agent.replied:Bob",
      "speaker.selected:Ada",
      "agent.replied:Ada",
      "speaker.selected:Bob",
      "agent.replied:Bob",
      "turn.completed",
    ]);
    const selected = of(frames, "speaker.selected");
    expect(selected.map((p) => [p.rule, p.reason, p.round])).toEqual([
      ["seat_order", "round 1, seat 1", 1],
      ["seat_order", "round 1, seat 2", 1],
      ["seat_order", "round 2, seat 1", 2],
      ["seat_order", "round 2, seat 2", 2],
    ]);
    const replies = of(frames, "agent.replied");
    expect(replies.map((p) => p.content).slice(0, 1)).toEqual(["a1"]);
    // Bob echoes what he was sent: he saw Ada's answer; in round 2 he saw all three before him.
    expect(replies[1]?.content).toContain("[Ada]: a1");
    expect(replies[2]?.content).toBe("a2");
    expect(replies[3]?.content).toContain("[Ada]: a2");
    expect(of(frames, "turn.completed")[0]?.replyIds).toHaveLength(4);
  });
});

describe("mentions", () => {
  it("routes @mentions agent to agent and stops a ping-pong with a guard", async () => {
    const g = await group(
      "mentions",
      [
        { name: "Ada", scripted: { replies: ["@Bob your turn"] } },
        { name: "Bob", scripted: { replies: ["@Ada back to you"] } },
        { name: "Cy" },
      ],
      { turnLimits: { maxAlternations: 1 }, mentionFallback: "none" },
    );
    const frames = await run(g, "@Ada please start");
    expectSequence(frames, [
      "message.posted",
      "turn.started",
      "speaker.selected:Ada",
      "agent.replied:Ada",
      "speaker.selected:Bob",
      "agent.replied:Bob",
      "guard.triggered",
      "turn.completed",
    ]);
    const selected = of(frames, "speaker.selected");
    // The person is named by their account's display name (an email here).
    expect(selected.map((p) => [p.rule, p.reason])).toEqual([
      ["mention", expect.stringMatching(/^mentioned by \S+$/)],
      ["mention", "mentioned by @Ada"],
    ]);
    expect(of(frames, "guard.triggered")[0]).toMatchObject({ code: "ping_pong", agentId: g.agents[0]?.id });
  });

  it("stops at the hop limit", async () => {
    const g = await group(
      "mentions",
      [
        { name: "Ada", scripted: { replies: ["@Bob go"] } },
        { name: "Bob", scripted: { replies: ["@Cy go"] } },
        { name: "Cy", scripted: { replies: ["@Ada go"] } },
      ],
      { turnLimits: { maxHops: 2 } },
    );
    const frames = await run(g, "@Ada begin");
    expectSequence(frames, [
      "message.posted",
      "turn.started",
      "speaker.selected:Ada",
      "agent.replied:Ada",
      "speaker.selected:Bob",
      "agent.replied:Bob",
      "speaker.selected:Cy",
      "agent.replied:Cy",
      "guard.triggered",
      "turn.completed",
    ]);
    expect(of(frames, "guard.triggered")[0]).toMatchObject({ code: "hop_limit" });
  });

  it("falls back to the configured strategy when no agent is mentioned", async () => {
    const g = await group("mentions", [{ name: "Ada" }, { name: "Bob" }], { mentionFallback: "round_robin" });
    const frames = await run(g, "anyone there?");
    expectSequence(frames, [
      "message.posted",
      "turn.started",
      "speaker.selected:Ada",
      "agent.replied:Ada",
      "speaker.selected:Bob",
      "agent.replied:Bob",
      "turn.completed",
    ]);
    expect(of(frames, "speaker.selected")[0]?.reason).toMatch(
      /mentioned no agent; fallback: round_robin; round 1, seat 1/,
    );
  });
});

describe("selector", () => {
  it("lets the selector pick speakers, guards repeats and invalid picks, and ends on TASK_COMPLETE", async () => {
    const g = await group("selector", [
      { name: "Sel", scripted: { replies: ["Ada: she knows", "Ada", "Nobody", "Ada", "TASK_COMPLETE"] } },
      { name: "Ada", scripted: { replies: ["x"] } },
      { name: "Bob", scripted: { replies: ["y"] } },
    ]);
    const sel = g.agents.find((a) => a.name === "Sel")?.id;
    await patchSettings(g.id, { selectorAgentId: sel, turnLimits: { maxConsecutive: 1 } });
    const frames = await run(g, "solve it");
    expectSequence(frames, [
      "message.posted",
      "turn.started",
      "agent.replied:Sel",
      "speaker.selected:Ada",
      "agent.replied:Ada",
      "agent.replied:Sel",
      "guard.triggered",
      "speaker.selected:Bob",
      "agent.replied:Bob",
      "agent.replied:Sel",
      "guard.triggered",
      "agent.replied:Sel",
      "speaker.selected:Ada",
      "agent.replied:Ada",
      "agent.replied:Sel",
      "turn.completed",
    ]);
    expect(of(frames, "speaker.selected").map((p) => [p.rule, p.reason])).toEqual([
      ["selector", "selector chose Ada: she knows"],
      ["fallback", "guard: Ada spoke 1 times in a row; picked Bob"],
      ["selector", "selector chose Ada"],
    ]);
    expect(of(frames, "guard.triggered").map((p) => p.code)).toEqual(["repeat_guard", "invalid_pick"]);
  });

  it("fails a selector turn without a selector agent, saying what to set", async () => {
    const g = await group("selector", [{ name: "Ada" }]);
    const frames = await run(g, "who speaks?");
    expectSequence(frames, ["message.posted", "turn.started", "turn.failed"]);
    expect(of(frames, "turn.failed")[0]).toMatchObject({ reason: "misconfigured" });
    expect(String(of(frames, "turn.failed")[0]?.detail)).toContain("selectorAgentId");
  });
});

describe("debate_vote", () => {
  const ballots = (choice: string | null, confidence: number) => [
    { choice, confidence, rationale: `for ${choice}` },
  ];

  it("answers, debates, votes and reaches consensus by majority", async () => {
    const g = await group(
      "debate_vote",
      [
        { name: "Ada", scripted: { replies: ["A0", "A1"], votes: ballots("Bob", 0.9) } },
        { name: "Bob", scripted: { replies: ["B0", "B1"], votes: ballots("Bob", 0.8) } },
        { name: "Cy", scripted: { replies: ["C0", "C1"], votes: ballots("Ada", 0.6) } },
      ],
      { turnLimits: { maxRounds: 1 } },
    );
    const frames = await run(g, "what should we do?");
    const three = (t: string) => ["Ada", "Bob", "Cy"].map((n) => `${t}:${n}`);
    expectSequence(frames, [
      "message.posted",
      "turn.started",
      three("agent.replied"),
      three("agent.replied"),
      "vote.opened",
      [...three("agent.replied"), ...three("vote.cast")],
      "vote.closed",
      "consensus.reached",
      "turn.completed",
    ]);
    const opened = of(frames, "vote.opened")[0];
    expect(opened?.options).toEqual([
      { choice: "Ada", agentId: g.agents[0]?.id, summary: "A1" },
      { choice: "Bob", agentId: g.agents[1]?.id, summary: "B1" },
      { choice: "Cy", agentId: g.agents[2]?.id, summary: "C1" },
    ]);
    expect(opened?.rule).toEqual({ kind: "majority" });
    expect(of(frames, "vote.closed")[0]).toMatchObject({
      winner: "Bob",
      closedBy: "all_voted",
      tieBreak: null,
    });
    const reached = of(frames, "consensus.reached")[0];
    expect(reached).toMatchObject({ choice: "Bob", rule: "majority", answer: "B1" });
    expect(reached?.confidence).toBeCloseTo(2 / 3, 5);
    // The recorded turn reads back with its vote and each ballot.
    const turnId = frames[0]?.event?.turnId;
    const turn = await waitUntil("the vote to be recorded", async () => {
      const res = await sys.get(`/v1/groups/${g.id}/turns/${turnId}`);
      const body = res.body as { status: string; votes: { consensus: string | null }[] };
      return body.status === "completed" && body.votes[0]?.consensus ? body : undefined;
    });
    expect(turn).toMatchObject({
      strategy: "debate_vote",
      votes: [{ winner: "Bob", consensus: "reached", closedBy: "all_voted" }],
    });
    const recorded = (turn as unknown as { votes: { ballots: { agentName: string; choice: string }[] }[] })
      .votes[0];
    expect(recorded?.ballots.map((b) => `${b.agentName}->${b.choice}`).sort()).toEqual([
      "Ada->Bob",
      "Bob->Bob",
      "Cy->Ada",
    ]);
    // Debate round 1 saw the others' opening answers (the replies are the scripted ones).
    expect(
      of(frames, "agent.replied")
        .map((p) => p.content)
        .slice(0, 6)
        .sort(),
    ).toEqual(["A0", "A1", "B0", "B1", "C0", "C1"]);
  });

  it("breaks a tie on count by mean confidence, names it, and fails consensus", async () => {
    const g = await group(
      "debate_vote",
      [
        { name: "Ada", scripted: { votes: ballots("Ada", 0.9) } },
        { name: "Bob", scripted: { votes: ballots("Bob", 0.5) } },
      ],
      { turnLimits: { maxRounds: 1 } },
    );
    const frames = await run(g, "pick one");
    expect(of(frames, "vote.closed")[0]).toMatchObject({
      winner: null,
      leader: "Ada",
      tieBreak: { tied: ["Ada", "Bob"], by: "mean_confidence" },
      outcome: "failed:tie",
    });
    expect(of(frames, "consensus.failed")[0]).toMatchObject({ code: "tie", leader: "Ada", confidence: 0.5 });
    expect(of(frames, "turn.completed")).toHaveLength(1);
  });

  it("closes the ballot at its deadline; a missing ballot abstains", async () => {
    const g = await group(
      "debate_vote",
      [
        { name: "Ada", scripted: { votes: ballots("Ada", 1) } },
        { name: "Bob", scripted: { votes: ballots("Ada", 1) } },
        { name: "Slow", scripted: { delayMs: 5000, votes: ballots("Slow", 1) } },
      ],
      // The two quick ballots must beat the deadline on a busy machine too; Slow's never does.
      { turnLimits: { maxRounds: 1 }, voting: { rule: "unanimous", deadlineMs: 2500 } },
    );
    const frames = await run(g, "quick vote");
    const closed = of(frames, "vote.closed")[0];
    expect(closed).toMatchObject({ closedBy: "deadline", winner: "Ada" });
    expect(closed?.turnout).toMatchObject({ eligible: 3, voted: 2, missing: [g.agents[2]?.id] });
    expect(of(frames, "vote.cast")).toHaveLength(2);
    expect(of(frames, "consensus.reached")[0]).toMatchObject({
      choice: "Ada",
      confidence: 1,
      rule: "unanimous",
    });
  });
});
