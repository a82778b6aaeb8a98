import { jetstreamManager } from "@conclave/bus";
import { CONSUMERS, SCRIPTED_MAX_DELAY_MS } from "@conclave/subjects";
import { type StreamClient, startSystem, type TestSystem, type TestUser, waitUntil } from "@conclave/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// Two executors of 8 LLM slots each; the flood is three groups of 12 agents that each sleep 5 s.
const SLOTS = 8;
const EXECUTORS = 2;
const FLOOD_GROUPS = 3;
const FLOOD_AGENTS = 12;

let sys: TestSystem;
let flooder: TestUser;

beforeAll(async () => {
  sys = await startSystem({
    executors: EXECUTORS,
    envFor: { executor: { EXECUTOR_CONCURRENCY: String(SLOTS) } },
  });
  flooder = await sys.register();
}, 120_000);
afterAll(async () => {
  await sys?.stop();
});

async function group(body: object, token?: string): Promise<string> {
  const res = await sys.post("/v1/groups", { name: `g-${Math.random()}`, ...body }, token);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id as string;
}

/** Milliseconds from posting a message to each group (all at once) to its turn's `turn.completed`. */
async function turnLatencies(client: StreamClient, groupIds: string[]): Promise<number[]> {
  return Promise.all(
    groupIds.map(async (groupId) => {
      const t0 = performance.now();
      const res = await sys.post(`/v1/groups/${groupId}/messages`, { content: "ping" });
      expect(res.status, JSON.stringify(res.body)).toBe(202);
      const turnId = res.body.turnId as string;
      await client.waitFor(
        `turn ${turnId} to complete`,
        (f) => f.event?.type === "turn.completed" && f.event.turnId === turnId,
        60_000,
      );
      return performance.now() - t0;
    }),
  );
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

async function llmBacklog(): Promise<{ ackPending: number; pending: number }> {
  const jsm = await jetstreamManager(sys.bus.nc);
  const info = await jsm.consumers.info(sys.bus.names.stream("work"), CONSUMERS.executorLlm);
  return { ackPending: info.num_ack_pending, pending: info.num_pending };
}

describe("fair share of the executors", () => {
  it("keeps another account's turn near its idle latency while one account floods every slot", async () => {
    const mine = [
      await group({ agents: [{ name: "Quick" }] }),
      await group({ agents: [{ name: "Quick" }] }),
      await group({ agents: [{ name: "Quick" }] }),
    ];
    const client = await sys.openStream();
    for (const g of mine) await client.subscribe(g, 0);
    await turnLatencies(client, mine); // warm-up: the first turns open connections and fill caches
    const idle = [...(await turnLatencies(client, mine)), ...(await turnLatencies(client, mine))];

    const floodGroups: string[] = [];
    for (let g = 0; g < FLOOD_GROUPS; g++)
      floodGroups.push(
        await group(
          {
            agents: Array.from({ length: FLOOD_AGENTS }, (_, i) => ({
              name: `Sleepy${i}`,
              scripted: { delayMs: SCRIPTED_MAX_DELAY_MS },
            })),
          },
          flooder.accessToken,
        ),
      );
    for (const g of floodGroups) {
      const res = await sys.post(`/v1/groups/${g}/messages`, { content: "flood" }, flooder.accessToken);
      expect(res.status, JSON.stringify(res.body)).toBe(202);
    }
    // The flood has reached the executors: more items handed out than all their slots together.
    await waitUntil(
      "the flood to occupy the executors",
      async () => (await llmBacklog()).ackPending >= SLOTS * EXECUTORS || undefined,
      30_000,
    );

    // All at once, so every one of them runs while the flood does.
    const flooded = await turnLatencies(client, mine);

    const idleMs = median(idle);
    const bound = Math.max(2 * idleMs, idleMs + 1500);
    // Before per-account shares the other turn waited for the flood's sleeps (10 s and more).
    expect(
      median(flooded),
      `idle ${idle.map(Math.round)} ms, flooded ${flooded.map(Math.round)} ms`,
    ).toBeLessThanOrEqual(bound);
    // Still flooding: otherwise the measurement above proved nothing.
    const backlog = await llmBacklog();
    expect(backlog.ackPending + backlog.pending).toBeGreaterThan(0);
    await client.close();
  }, 180_000);
});
