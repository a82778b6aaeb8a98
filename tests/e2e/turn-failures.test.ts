import { startSystem, type TestSystem } from "@conclave/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

let sys: TestSystem;

beforeAll(async () => {
  sys = await startSystem({ env: { TURN_TIMEOUT_MS: "1500" } });
});
afterAll(async () => {
  await sys?.stop();
});

async function groupWith(agents: object[]) {
  const res = await sys.post("/v1/groups", { name: "failures", agents });
  return (res.body as { id: string }).id;
}

describe("turns that do not complete still end", () => {
  it("fails the turn with agent_failed when an agent fails, and runs the next turn", async () => {
    const groupId = await groupWith([
      { name: "Broken", scripted: { failWith: "provider said no" } },
      { name: "Fine" },
    ]);
    const client = await sys.openStream();
    await client.subscribe(groupId, 0);
    await sys.post(`/v1/groups/${groupId}/messages`, { content: "one" });
    await sys.post(`/v1/groups/${groupId}/messages`, { content: "two" });
    await client.waitFor(
      "two turn ends",
      () => client.events(groupId).filter((f) => f.event?.type === "turn.failed").length === 2,
    );
    const failed = client.events(groupId).filter((f) => f.event?.type === "turn.failed");
    expect(failed.map((f) => f.event?.payload.reason)).toEqual(["agent_failed", "agent_failed"]);
    expect(failed[0]?.event?.payload.detail).toBe("Broken: provider said no");
    expect(client.events(groupId).filter((f) => f.event?.type === "agent.failed")).toHaveLength(2);
    expect(client.events(groupId).filter((f) => f.event?.type === "agent.replied")).toHaveLength(2);
    await client.close();
  });

  it("fails a turn at its deadline with the agents that did not answer, then the queue moves on", async () => {
    const groupId = await groupWith([{ name: "Sleepy", scripted: { delayMs: 5_000 } }, { name: "Awake" }]);
    const client = await sys.openStream();
    await client.subscribe(groupId, 0);
    const t0 = Date.now();
    await sys.post(`/v1/groups/${groupId}/messages`, { content: "anyone?" });
    const failed = await client.waitFor("the deadline", (f) => f.event?.type === "turn.failed");
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1400);
    expect(failed.event?.payload).toMatchObject({ reason: "timeout", detail: "no answer from Sleepy" });
    expect(failed.event?.payload.replyIds).toHaveLength(1);
    await client.close();
  });
});
