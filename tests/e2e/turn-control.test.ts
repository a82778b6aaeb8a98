import { type Frame, type StreamClient, startSystem, type TestSystem } from "@conclave/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// Turn control under concurrent posts (the group's concurrent-input policy) and the per-turn limits,
// through HTTP and a WebSocket watcher, with two orchestrator replicas sharing the work.

let sys: TestSystem;

beforeAll(async () => {
  sys = await startSystem({ orchestrators: 2, executors: 2 });
});
afterAll(async () => {
  await sys?.stop();
});

async function group(agents: object[], settings: object = {}, strategy = "broadcast") {
  const res = await sys.post("/v1/groups", { name: "control", strategy, agents, settings });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  const groupId = (res.body as { id: string }).id;
  const client = await sys.openStream();
  await client.subscribe(groupId, 0);
  return { groupId, client };
}

const ends = (client: StreamClient, groupId: string) =>
  client.events(groupId).filter((f) => /^turn\.(completed|failed)$/.test(f.event?.type ?? ""));
const ofTurn = (frames: Frame[], turnId: string) => frames.filter((f) => f.event?.turnId === turnId);

async function postAll(groupId: string, contents: string[]) {
  const answers = await Promise.all(
    contents.map((content) => sys.post(`/v1/groups/${groupId}/messages`, { content })),
  );
  return answers.map((a) => {
    expect(a.status).toBe(202);
    return a.body as { turnId: string; seq: number };
  });
}

describe("concurrent input", () => {
  it("enqueue: every concurrent post runs, one turn at a time, in order of acceptance", async () => {
    const { groupId, client } = await group([{ name: "Steady", scripted: { delayMs: 100 } }], {
      concurrentInput: "enqueue",
    });
    const posted = await postAll(groupId, ["1", "2", "3", "4", "5"]);
    await client.waitFor("five turn ends", () => ends(client, groupId).length === 5, 30_000);
    const frames = client.events(groupId);
    const bySeq = [...posted].sort((a, b) => a.seq - b.seq);
    const startedOrder = frames.filter((f) => f.event?.type === "turn.started").map((f) => f.event?.turnId);
    expect(startedOrder).toEqual(bySeq.map((p) => p.turnId));
    // Never two turns at once: each turn ends before the next one starts.
    for (let i = 0; i + 1 < bySeq.length; i++) {
      const end = ofTurn(frames, bySeq[i]?.turnId ?? "").find((f) => f.event?.type === "turn.completed");
      const next = ofTurn(frames, bySeq[i + 1]?.turnId ?? "").find((f) => f.event?.type === "turn.started");
      expect(end?.seq ?? Number.POSITIVE_INFINITY).toBeLessThan(next?.seq ?? 0);
    }
    await client.close();
  });

  it("interrupt: a new post cancels the running turn; only the newest of a burst runs to the end", async () => {
    // The burst has to reach the orchestrator while the first turn still runs, on a busy machine too.
    const { groupId, client } = await group([{ name: "Slow", scripted: { delayMs: 4000 } }], {
      concurrentInput: "interrupt",
    });
    const [first] = await postAll(groupId, ["first"]);
    await client.waitFor("the first turn to start", (f) => f.event?.type === "turn.started");
    const burst = await postAll(groupId, ["a", "b", "c"]);
    await client.waitFor("four turn ends", () => ends(client, groupId).length === 4, 30_000);
    await new Promise((r) => setTimeout(r, 500));
    const all = [first, ...burst].filter((p) => p !== undefined);
    const newest = [...all].sort((a, b) => b.seq - a.seq)[0];
    const frames = client.events(groupId);
    for (const p of all) {
      const ended = ofTurn(ends(client, groupId), p.turnId);
      expect(ended, `turn ${p.seq} ends exactly once`).toHaveLength(1);
      if (p === newest) expect(ended[0]?.event?.type).toBe("turn.completed");
      else expect(ended[0]?.event?.payload).toMatchObject({ reason: "interrupted" });
    }
    expect(
      ofTurn(frames, first?.turnId ?? "").find((f) => f.event?.type === "turn.failed")?.event?.payload.detail,
    ).toMatch(/^interrupted by message /);
    await client.close();
  });
});

describe("cancel", () => {
  it("cancels a queued turn at once; it never starts, and the turns around it run", async () => {
    // Two posts and a cancel must be through while the first turn runs, on a busy machine too.
    const { groupId, client } = await group([{ name: "Steady", scripted: { delayMs: 4000 } }]);
    const [first] = await postAll(groupId, ["first"]);
    const [second] = await postAll(groupId, ["second"]);
    const cancel = await sys.post(`/v1/groups/${groupId}/turns/${second?.turnId}/cancel`, {
      reason: "changed my mind",
    });
    expect(cancel.status).toBe(202);
    const [third] = await postAll(groupId, ["third"]);
    await client.waitFor("three turn ends", () => ends(client, groupId).length === 3, 30_000);
    const frames = client.events(groupId);
    const typesOf = (turnId = "") => ofTurn(frames, turnId).map((f) => f.event?.type);
    expect(typesOf(first?.turnId)).toEqual([
      "message.posted",
      "turn.started",
      "agent.replied",
      "turn.completed",
    ]);
    expect(typesOf(second?.turnId)).toEqual(["message.posted", "turn.cancel_requested", "turn.failed"]);
    const cancelled = ofTurn(frames, second?.turnId ?? "").at(-1);
    expect(cancelled?.event?.payload.reason).toBe("cancelled");
    expect(cancelled?.event?.payload.detail).toMatch(/^cancelled by \S+ before it started: changed my mind$/);
    // It ended at once, while the turn before it was still running.
    const firstDone = ofTurn(frames, first?.turnId ?? "").find((f) => f.event?.type === "turn.completed");
    expect(cancelled?.seq ?? Number.POSITIVE_INFINITY).toBeLessThan(firstDone?.seq ?? 0);
    expect(typesOf(third?.turnId)).toEqual([
      "message.posted",
      "turn.started",
      "agent.replied",
      "turn.completed",
    ]);
    await client.close();
  });
});

describe("turn limits", () => {
  it("fails a turn at the group's agent step limit, with the reason", async () => {
    const { groupId, client } = await group(
      [{ name: "Ada" }, { name: "Bob" }, { name: "Cy" }],
      { turnLimits: { maxRounds: 2, maxAgentSteps: 4 } },
      "round_robin",
    );
    await postAll(groupId, ["go around"]);
    const end = await client.waitFor("the turn's end", (f) =>
      /^turn\.(completed|failed)$/.test(f.event?.type ?? ""),
    );
    expect(end.event?.payload).toMatchObject({
      reason: "limit",
      detail: "agent step limit of 4 per turn reached",
    });
    expect(client.events(groupId).filter((f) => f.event?.type === "agent.replied")).toHaveLength(4);
    await client.close();
  });

  it("fails a turn over its token budget", async () => {
    const { groupId, client } = await group(
      [{ name: "Ada" }, { name: "Bob" }],
      {
        turnLimits: { maxRounds: 3, maxTokensPerTurn: 40 },
      },
      "round_robin",
    );
    await postAll(groupId, [
      "a question long enough to cost some tokens each time it is sent around the table",
    ]);
    const end = await client.waitFor("the turn's end", (f) =>
      /^turn\.(completed|failed)$/.test(f.event?.type ?? ""),
    );
    expect(end.event?.payload).toMatchObject({ reason: "limit" });
    expect(String(end.event?.payload.detail)).toMatch(/^token limit of 40 per turn reached \(\d+ used\)$/);
    expect(client.events(groupId).filter((f) => f.event?.type === "agent.replied").length).toBeLessThan(6);
    await client.close();
  });

  it("fails a turn at the group's own wall-time limit", async () => {
    const { groupId, client } = await group([{ name: "Sleepy", scripted: { delayMs: 5_000 } }], {
      turnLimits: { turnTimeoutMs: 1000 },
    });
    const t0 = Date.now();
    await postAll(groupId, ["hello?"]);
    const end = await client.waitFor("the turn's end", (f) => f.event?.type === "turn.failed");
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    expect(end.event?.payload).toMatchObject({ reason: "timeout", detail: "no answer from Sleepy" });
    await client.close();
  });
});
