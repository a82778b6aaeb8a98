import type { AnyEnvelope, EventType } from "@conclave/subjects";
import { captureLlmWork, readGroupEvents, startSystem, type TestSystem, waitUntil } from "@conclave/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// Memory blocks, resets and the `memory` tool end to end: what each LLM call was sent is read off
// the work subject (a core subscription sees every work item JetStream stores).

let sys: TestSystem;
let work: ReturnType<typeof captureLlmWork>;

beforeAll(async () => {
  sys = await startSystem();
  work = captureLlmWork(sys.bus);
});
afterAll(async () => {
  work?.stop();
  await sys?.stop();
});

interface Group {
  id: string;
  agents: { id: string; name: string }[];
}

async function group(agents: object[]): Promise<Group> {
  const res = await sys.post("/v1/groups", { name: "memory blocks", agents });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as unknown as Group;
}

/** Posts and waits until the turn ended (its status as recorded). */
async function turn(g: Group, content: string): Promise<string> {
  const posted = await sys.post(`/v1/groups/${g.id}/messages`, { content, authorName: "Lin" });
  expect(posted.status, JSON.stringify(posted.body)).toBe(202);
  const { turnId } = posted.body as { turnId: string };
  await waitUntil(
    "the turn's end",
    async () => {
      const status = ((await sys.get(`/v1/groups/${g.id}/turns/${turnId}`)).body as { status?: string })
        .status;
      return status === "completed" || status === "failed";
    },
    60_000,
  );
  return turnId;
}

/** What `agent` was sent in `turnId`: each ask's system prompt and messages, in order. */
const asks = (turnId: string, agent: string) =>
  work.items
    .filter((w) => w.turnId === turnId && w.payload.agent.name === agent)
    .map((w) => ({ system: w.payload.agent.systemPrompt, messages: w.payload.messages }));

const blockText = (label: string, value: string) => `<block label="${label}">\n${value}\n</block>`;

const ofType = <T extends EventType>(events: AnyEnvelope[], type: T) =>
  events.filter((e): e is Extract<AnyEnvelope, { type: T }> => e.type === type);

describe("memory blocks in prompts", () => {
  it("puts the group's blocks into the next turn's system prompt, as they are when it starts", async () => {
    const g = await group([{ name: "Ada", systemPrompt: "You are Ada.", scripted: { echo: true } }]);
    const put = await sys.request("PUT", `/v1/groups/${g.id}/memory/blocks/facts`, {
      body: { value: "Lin likes tea" },
    });
    expect(put.status, JSON.stringify(put.body)).toBe(201);
    const t1 = await turn(g, "What do I like?");
    const [first] = asks(t1, "Ada");
    expect(first?.system).toContain("You are Ada.");
    expect(first?.system).toContain(blockText("facts", "Lin likes tea"));

    await sys.request("PUT", `/v1/groups/${g.id}/memory/blocks/facts`, {
      body: { value: "Lin likes coffee" },
    });
    const t2 = await turn(g, "And now?");
    const [second] = asks(t2, "Ada");
    expect(second?.system).toContain(blockText("facts", "Lin likes coffee"));
    expect(second?.system).not.toContain("Lin likes tea");
    const started = ofType(await readGroupEvents(sys.bus, g.id), "turn.started").find((e) => e.turnId === t2);
    expect(started?.payload.memory?.blocks).toEqual([{ label: "facts", version: 2 }]);
  });

  it("after a reset, the next turn's prompt holds none of the earlier messages; the blocks stay", async () => {
    const g = await group([
      { name: "Bo", scripted: { replies: ["Hello Lin.", "You are Lin.", "I do not know."] } },
    ]);
    await sys.request("PUT", `/v1/groups/${g.id}/memory/blocks/rules`, { body: { value: "Be brief." } });
    await turn(g, "My name is Lin.");
    const t2 = await turn(g, "What is my name?");
    const before = asks(t2, "Bo")[0]?.messages.map((m) => m.content) ?? [];
    expect(before.some((c) => c.includes("My name is Lin."))).toBe(true);

    const reset = await sys.post(`/v1/groups/${g.id}/memory/reset`, { reason: "new topic" });
    expect(reset.status, JSON.stringify(reset.body)).toBe(200);
    const { resetSeq, eventId } = reset.body as { resetSeq: number; eventId: string };
    const event = (await readGroupEvents(sys.bus, g.id)).find((e) => e.id === eventId);
    expect(event).toMatchObject({ type: "memory.reset", seq: resetSeq, payload: { reason: "new topic" } });

    const t3 = await turn(g, "Who am I?");
    const [after] = asks(t3, "Bo");
    expect(after?.messages).toHaveLength(1);
    expect(after?.messages[0]?.content).toContain("Who am I?");
    for (const earlier of ["My name is Lin.", "What is my name?", "Hello Lin.", "You are Lin."])
      expect(JSON.stringify(after?.messages)).not.toContain(earlier);
    expect(after?.system).toContain(blockText("rules", "Be brief."));
    const started = ofType(await readGroupEvents(sys.bus, g.id), "turn.started").find((e) => e.turnId === t3);
    expect(started?.payload.memory?.resetSeq).toBe(resetSeq);
  });
});

describe("the memory tool", () => {
  const append = { name: "memory", args: { action: "append", label: "facts", text: "Lin likes tea" } };

  it("lets an agent allowed it append to a block: one memory.updated, the agent its actor", async () => {
    const g = await group([
      { name: "Scribe", tools: ["memory"], scripted: { toolCalls: [append], replies: ["Noted."] } },
    ]);
    const scribe = g.agents[0];
    const t1 = await turn(g, "Remember that I like tea.");
    const block = await sys.get(`/v1/groups/${g.id}/memory/blocks/facts`);
    expect(block.status, JSON.stringify(block.body)).toBe(200);
    expect(block.body).toMatchObject({
      value: "Lin likes tea",
      version: 1,
      updatedBy: { kind: "agent", id: scribe?.id, name: "Scribe" },
    });
    const events = await readGroupEvents(sys.bus, g.id);
    const updated = ofType(events, "memory.updated");
    expect(updated).toHaveLength(1);
    expect(updated[0]).toMatchObject({
      turnId: t1,
      actor: { kind: "agent", id: scribe?.id, name: "Scribe" },
      payload: { label: "facts", action: "append", value: "Lin likes tea", version: 1 },
    });
    expect(ofType(events, "tool.completed")[0]?.payload).toMatchObject({
      name: "memory",
      ok: true,
      result: { label: "facts", value: "Lin likes tea", changed: true },
    });
    // The next turn's prompt carries what it wrote.
    expect(work.items.find((w) => w.turnId === t1)?.payload.agent.allowedTools).toEqual(["memory"]);
    const t2 = await turn(g, "What do I like?");
    expect(asks(t2, "Scribe")[0]?.system).toContain(blockText("facts", "Lin likes tea"));
  });

  it("is refused to an agent whose allowed tools lack it: a failed tool call, no block, no event", async () => {
    const g = await group([
      { name: "Clerk", tools: ["calculator"], scripted: { toolCalls: [append], replies: ["Tried."] } },
    ]);
    const t = await turn(g, "Remember that I like tea.");
    const events = await readGroupEvents(sys.bus, g.id);
    expect(ofType(events, "tool.completed")[0]?.payload).toMatchObject({
      name: "memory",
      ok: false,
      error: { code: "forbidden" },
    });
    expect(ofType(events, "memory.updated")).toEqual([]);
    expect(events.find((e) => e.turnId === t && e.type === "turn.completed")).toBeDefined();
    expect((await sys.get(`/v1/groups/${g.id}/memory/blocks`)).body.items).toEqual([]);
    expect(work.items.find((w) => w.turnId === t)?.payload.agent.allowedTools).toEqual(["calculator"]);
  });
});
