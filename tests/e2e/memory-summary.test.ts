import { jetstream, Kvm } from "@conclave/bus";
import { countTokens, createMemoryStore, MESSAGE_OVERHEAD_TOKENS } from "@conclave/memory";
import type { ConversationMessage, MemoryRecord } from "@conclave/subjects";
import {
  captureLlmWork,
  type StreamClient,
  startSystem,
  type TestSystem,
  waitUntil,
} from "@conclave/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// Summaries end to end, with three orchestrator replicas and two executors (short ack wait, so a
// killed worker's messages come back quickly): each threshold crossing gives exactly one
// `memory.summarized`, even with kill -9 in the middle of one, and later prompts start from it.

let sys: TestSystem;
let work: ReturnType<typeof captureLlmWork>;
let watcher: StreamClient;

beforeAll(async () => {
  // Hundreds of posts in a row: above the default rate limit, which is not what this is about.
  sys = await startSystem({
    orchestrators: 3,
    executors: 2,
    env: { NATS_ACK_WAIT_MS: "1500", RATE_LIMIT_PER_MINUTE: "100000", RATE_LIMIT_BURST: "10000" },
  });
  work = captureLlmWork(sys.bus);
  watcher = await sys.openStream();
});
afterAll(async () => {
  work?.stop();
  await watcher?.close();
  await sys?.stop();
});

async function memoryOf(groupId: string): Promise<MemoryRecord> {
  const kv = await new Kvm(sys.bus.nc).open(sys.bus.names.bucket("memory"));
  return createMemoryStore({ kv, js: jetstream(sys.bus.nc), names: sys.bus.names }).read(groupId);
}

async function summarizerAgent(delayMs: number): Promise<string> {
  const res = await sys.post("/v1/agents", {
    name: `Summarizer${delayMs}`,
    scripted: { replies: ["SUMMARY: Lin asked about plans; Ada answered each."], delayMs },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return (res.body as { id: string }).id;
}

async function memoryGroup(memory: object): Promise<{ id: string }> {
  const res = await sys.post("/v1/groups", {
    name: "remembers",
    strategy: "broadcast",
    agents: [{ name: "Ada", scripted: { replies: ["Noted, and here is my considered answer to that."] } }],
    settings: { memory },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  const id = (res.body as { id: string }).id;
  await watcher.subscribe(id, 0);
  return { id };
}

async function turn(groupId: string, content: string): Promise<string> {
  const posted = await sys.post(`/v1/groups/${groupId}/messages`, { content, authorName: "Lin" });
  expect(posted.status, JSON.stringify(posted.body)).toBe(202);
  const { turnId } = posted.body as { turnId: string };
  await watcher.waitFor(
    "the turn's end",
    (f) => f.event?.turnId === turnId && /^turn\.(completed|failed)$/.test(f.event.type),
    60_000,
  );
  return turnId;
}

const summaries = (groupId: string) =>
  watcher.events(groupId).filter((f) => f.event?.type === "memory.summarized");
const summaryWork = (groupId: string) => [
  ...new Set(work.items.filter((w) => w.groupId === groupId && w.payload.summarize).map((w) => w.id)),
];
const promptOf = (turnId: string) =>
  work.items.find((w) => w.turnId === turnId && !w.payload.summarize)?.payload;
const tokensOf = (ms: readonly ConversationMessage[]) =>
  ms.reduce((n, m) => n + countTokens(m.content) + MESSAGE_OVERHEAD_TOKENS, 0);

describe("summaries", () => {
  it("one memory.summarized per crossing with kill -9 of an orchestrator and the executors mid-summary; the next prompt uses it", async () => {
    const summarizerAgentId = await summarizerAgent(2_000);
    const g = await memoryGroup({ windowTokens: 120, summarizeAfterTokens: 100, summarizerAgentId });
    for (let i = 0; summaryWork(g.id).length === 0; i++) {
      expect(i, "a summary was asked for within 20 turns").toBeLessThan(20);
      await turn(g.id, `Question ${i}: what is the plan for step ${i}?`);
    }
    // Mid-summary: the work item is out and the summarizer is still "thinking" (2 s).
    const asker = await waitUntil(
      "a replica to log that it asked for the summary",
      () =>
        [0, 1, 2]
          .map((i) => sys.app("orchestrator", i))
          .find((o) => o.lines.some((l) => l.includes("summary asked for") && l.includes(g.id))),
      10_000,
    );
    asker.kill("SIGKILL");
    const executors = [0, 1].map((i) => sys.app("executor", i));
    for (const e of executors) e.kill("SIGKILL");
    await Promise.all([...executors, asker].map((p) => p.waitForExit()));
    for (const e of executors) e.restart();
    asker.restart();
    await Promise.all(executors.map((e) => e.waitForLog("executor started")));
    await waitUntil("the summary", () => summaries(g.id).length > 0, 60_000);
    await waitUntil("the summary applied", async () => (await memoryOf(g.id)).summary !== null, 30_000);
    // Turns go on; further crossings may ask for further summaries, each exactly once.
    for (let i = 0; i < 6; i++) await turn(g.id, `Follow-up ${i}?`);
    await waitUntil("no summary under way", async () => (await memoryOf(g.id)).summarizing === null, 60_000);
    const events = summaries(g.id);
    const upTo = events.map((f) => f.event?.payload.upToSeq as number);
    expect(new Set(upTo).size, JSON.stringify(upTo)).toBe(upTo.length);
    expect(new Set(events.map((f) => f.event?.id)).size).toBe(events.length);
    expect(events.length).toBe(summaryWork(g.id).length);
    // The next prompt starts from the latest summary, then the window after it.
    const record = await memoryOf(g.id);
    const last = events.at(-1)?.event;
    expect(record.summary?.eventId).toBe(last?.id);
    const t = await turn(g.id, "Where were we?");
    const prompt = promptOf(t);
    expect(prompt?.agent.systemPrompt).toContain("SUMMARY: Lin asked about plans; Ada answered each.");
    expect(JSON.stringify(prompt?.messages)).not.toContain("Question 0:");
  });
});

describe("a long conversation", () => {
  it("with 500 earlier messages, each prompt holds the newest that fit plus the latest summary; a new window applies from the next turn", async () => {
    const summarizerAgentId = await summarizerAgent(0);
    const g = await memoryGroup({ windowTokens: 300, summarizeAfterTokens: 200, summarizerAgentId });
    for (let i = 0; i < 250; i++) await turn(g.id, `Message ${i}: and what about item ${i}?`);
    await waitUntil("no summary under way", async () => (await memoryOf(g.id)).summarizing === null, 60_000);
    expect(summaries(g.id).length).toBeGreaterThan(5);
    const record = await memoryOf(g.id);
    const t = await turn(g.id, "Summing up?");
    const prompt = promptOf(t);
    expect(prompt?.agent.systemPrompt).toContain(record.summary?.text ?? "<no summary>");
    const history = (prompt?.messages ?? []).slice(0, -1);
    expect(history.length).toBeGreaterThan(2);
    expect(tokensOf(history)).toBeLessThanOrEqual(300);
    // Newest first: the history ends with the turn just before, and is contiguous (alternating).
    expect(history.at(-1)?.content).toBe("Noted, and here is my considered answer to that.");
    expect(history.at(-2)?.content).toBe("[Lin]: Message 249: and what about item 249?");
    const patched = await sys.request("PATCH", `/v1/groups/${g.id}`, {
      body: { settings: { memory: { windowTokens: 100 } } },
    });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    const narrower = promptOf(await turn(g.id, "Shorter?"))?.messages.slice(0, -1) ?? [];
    expect(tokensOf(narrower)).toBeLessThanOrEqual(100);
    expect(narrower.length).toBeLessThan(history.length);
    expect(narrower.at(-2)?.content).toBe("[Lin]: Summing up?");
  });
});
