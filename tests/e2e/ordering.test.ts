import { type Frame, startSystem, type TestSystem } from "@conclave/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

let sys: TestSystem;

beforeAll(async () => {
  sys = await startSystem({ orchestrators: 2, executors: 2 });
});
afterAll(async () => {
  await sys?.stop();
});

describe("two orchestrator replicas, 20 concurrent messages to one group", () => {
  it("runs the turns one at a time, in order of acceptance", async () => {
    const created = await sys.post("/v1/groups", {
      name: "busy",
      agents: [
        { name: "Quick", scripted: { delayMs: 5 } },
        { name: "Slow", scripted: { delayMs: 40 } },
        { name: "Instant" },
      ],
    });
    const groupId = (created.body as { id: string }).id;
    const client = await sys.openStream();
    await client.subscribe(groupId, 0);

    const posts = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        sys.post(`/v1/groups/${groupId}/messages`, { content: `message ${i}` }),
      ),
    );
    expect(posts.map((p) => p.status)).toEqual(Array(20).fill(202));
    const accepted = posts
      .map((p) => p.body as { turnId: string; seq: number })
      .sort((a, b) => a.seq - b.seq);

    await client.waitFor(
      "20 turns to end",
      () => client.events(groupId).filter((f) => f.event?.type === "turn.completed").length === 20,
      60_000,
    );
    const events = client.events(groupId);

    // The turns start in the order their messages were accepted (stream seq of the 202).
    const startedOrder = events.filter((f) => f.event?.type === "turn.started").map((f) => f.event?.turnId);
    expect(startedOrder).toEqual(accepted.map((a) => a.turnId));

    // Between a turn's start and its end, nothing of another turn happens (message.posted aside).
    let current: string | null = null;
    const violations: string[] = [];
    for (const f of events as Frame[]) {
      const e = f.event;
      if (!e || e.type === "message.posted") continue;
      if (e.type === "turn.started") {
        if (current !== null) violations.push(`turn ${e.turnId} started while ${current} ran`);
        current = e.turnId;
      } else if (e.turnId !== current) {
        violations.push(`${e.type} of ${e.turnId} while ${current} ran`);
      }
      if (e.type === "turn.completed" || e.type === "turn.failed") current = null;
    }
    expect(violations).toEqual([]);
    expect(events.filter((f) => f.event?.type === "agent.replied")).toHaveLength(60);
    expect(events.filter((f) => f.event?.type === "turn.failed")).toHaveLength(0);
    // Both replicas took part: the shared consumer spreads the events over them.
    const starts = sys.apps
      .filter((a) => a.app === "orchestrator")
      .map((a) => a.lines.filter((l) => l.includes('"msg":"turn.started"')).length);
    expect(
      starts.every((n) => n > 0),
      `turn starts per replica: ${starts}`,
    ).toBe(true);
    expect(starts.reduce((a, b) => a + b, 0)).toBe(20);
    await client.close();
  });
});
