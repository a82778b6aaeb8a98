import type { ConversationMessage } from "@conclave/subjects";
import { captureLlmWork, startSystem, type TestSystem, waitUntil } from "@conclave/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// Conversation memory end to end: what each LLM call was sent is read off the work subject (a core
// subscription sees every work item JetStream stores), so these tests check the exact prompts.

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

async function group(strategy: string, agents: object[], settings: object = {}): Promise<Group> {
  const res = await sys.post("/v1/groups", { name: strategy, strategy, agents, settings });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  const id = (res.body as { id: string }).id;
  const got = await sys.get(`/v1/groups/${id}`);
  return { id, agents: (got.body as unknown as Group).agents };
}

/** Posts and waits until the turn ended (its status as recorded). */
async function turn(g: Group, content: string, authorName = "Lin"): Promise<string> {
  const posted = await sys.post(`/v1/groups/${g.id}/messages`, { content, authorName });
  expect(posted.status, JSON.stringify(posted.body)).toBe(202);
  const { turnId } = posted.body as { turnId: string };
  await waitUntil(
    "the turn's end",
    async () => {
      const t = await sys.get(`/v1/groups/${g.id}/turns/${turnId}`);
      const status = (t.body as { status?: string }).status;
      return status === "completed" || status === "failed";
    },
    60_000,
  );
  return turnId;
}

/** The messages `agent` was sent in `turnId` (each of its asks, in order). */
const asks = (turnId: string, agent: string): ConversationMessage[][] =>
  work.items
    .filter((w) => w.turnId === turnId && w.payload.agent.name === agent)
    .map((w) => w.payload.messages);

describe("history in every prompt", () => {
  it("round robin: turn 2 holds turn 1's message and both answers, with roles and names", async () => {
    const g = await group("round_robin", [
      { name: "Ada", scripted: { replies: ["Nice to meet you, Lin.", "Your name is Lin."] } },
      { name: "Bob", scripted: { echo: true } },
    ]);
    await turn(g, "My name is Lin.");
    const t2 = await turn(g, "What is my name?");
    const me = "Lin";
    const [ada] = asks(t2, "Ada");
    expect(ada).toEqual([
      { role: "user", name: me, content: `[${me}]: My name is Lin.` },
      { role: "assistant", content: "Nice to meet you, Lin." },
      {
        role: "user",
        name: "Bob",
        content: `[Bob]: My name is Lin.\n\nAnswers so far in this conversation:\n[Ada]: Nice to meet you, Lin.\n\nYou are Bob; it is your turn to answer.`,
      },
      { role: "user", name: me, content: "What is my name?" },
    ]);
    const [bob] = asks(t2, "Bob");
    expect(bob?.slice(0, 3)).toEqual([
      { role: "user", name: me, content: `[${me}]: My name is Lin.` },
      { role: "user", name: "Ada", content: "[Ada]: Nice to meet you, Lin." },
      {
        role: "assistant",
        content: `My name is Lin.\n\nAnswers so far in this conversation:\n[Ada]: Nice to meet you, Lin.\n\nYou are Bob; it is your turn to answer.`,
      },
    ]);
  });
});

describe("every strategy remembers", () => {
  const cases: {
    strategy: string;
    agents: object[];
    first: string;
    second: string;
    settings?: (ids: Record<string, string>) => object;
  }[] = [
    {
      strategy: "broadcast",
      agents: [
        { name: "Ada", scripted: { replies: ["A says hi"] } },
        { name: "Bob", scripted: { replies: ["B says hi"] } },
      ],
      first: "Hello both.",
      second: "Again?",
    },
    {
      strategy: "mentions",
      agents: [
        { name: "Ada", scripted: { replies: ["A says hi"] } },
        { name: "Bob", scripted: { replies: ["B says hi"] } },
      ],
      first: "@Ada hello.",
      second: "@Bob what did Ada say?",
    },
    {
      strategy: "selector",
      agents: [
        { name: "Sel", scripted: { replies: ["Ada", "TASK_COMPLETE"] } },
        { name: "Ada", scripted: { replies: ["A says hi"] } },
      ],
      first: "Hello.",
      second: "Again?",
      settings: (ids) => ({ selectorAgentId: ids.Sel }),
    },
  ];
  for (const c of cases) {
    it(`${c.strategy}: the next turn holds the message and the answers, never picks`, async () => {
      const g = await group(c.strategy, c.agents);
      if (c.settings) {
        const ids = Object.fromEntries(g.agents.map((a) => [a.name, a.id]));
        const res = await sys.request("PATCH", `/v1/groups/${g.id}`, { body: { settings: c.settings(ids) } });
        expect(res.status, JSON.stringify(res.body)).toBe(200);
      }
      const watch = await sys.openStream();
      await watch.subscribe(g.id, 0);
      const t1 = await turn(g, c.first);
      const t2 = await turn(g, c.second);
      await watch.waitFor(
        "turn 2's end on the socket",
        (f) => f.event?.turnId === t2 && f.event.type === "turn.completed",
        30_000,
      );
      const replies = watch
        .events(g.id)
        .filter((f) => f.event?.turnId === t1 && f.event.type === "agent.replied");
      await watch.close();
      // The selector is asked first in turn 2 (its scripted picks end that turn at once).
      const speaker = c.strategy === "mentions" ? "Bob" : c.strategy === "selector" ? "Sel" : "Ada";
      const [prompt] = asks(t2, speaker);
      expect(prompt?.[0]).toEqual({ role: "user", name: "Lin", content: `[Lin]: ${c.first}` });
      const history = JSON.stringify(prompt);
      expect(history).toContain("A says hi");
      if (c.strategy === "broadcast") expect(history).toContain("[Bob]: B says hi");
      if (c.strategy === "selector") {
        expect(replies.length).toBe(3); // two picks and Ada's answer
        expect(prompt?.some((m) => /^(\[Sel\]: )?(TASK_COMPLETE|Ada)$/.test(m.content))).toBe(false);
        expect(prompt?.filter((m) => m.role === "assistant")).toEqual([]);
        expect(prompt?.[1]).toEqual({ role: "user", name: "Ada", content: "[Ada]: A says hi" });
      }
      expect(prompt?.at(-1)?.content).toContain(c.second);
    });
  }
});

describe("votes in history", () => {
  it("debate: the next turn sees the debate's answers and the group's choice, never ballot JSON", async () => {
    const vote = { choice: "Ada", confidence: 0.9, rationale: "clearest" };
    const g = await group(
      "debate_vote",
      ["Ada", "Bob", "Cy"].map((name) => ({
        name,
        scripted: { replies: [`${name}: plan ${name}`], votes: [vote] },
      })),
    );
    await turn(g, "Which plan?");
    const t2 = await turn(g, "And now?");
    const [first] = asks(t2, "Bob");
    const history = JSON.stringify(first);
    expect(history).not.toContain("confidence");
    expect(history).not.toContain("rationale");
    expect(first?.filter((m) => m.content.startsWith("[vote]"))).toEqual([
      { role: "user", content: "[vote] The group chose Ada's answer, 3 of 3 votes." },
    ]);
    // Opening answers and one debate round of each: Bob's own in the assistant role.
    expect(first?.filter((m) => m.role === "assistant").length).toBe(2);
    expect(first?.[0]).toEqual({ role: "user", name: "Lin", content: "[Lin]: Which plan?" });
    expect(first?.at(-1)).toEqual({ role: "user", name: "Lin", content: "And now?" });
  });
});

describe("what an agent sees", () => {
  it("the context endpoint equals, byte for byte, what the executor is sent", async () => {
    const g = await group("broadcast", [
      {
        name: "Ada",
        systemPrompt: "You are Ada.",
        personality: "curious and brief",
        scripted: { replies: ["one", "two", "three"] },
      },
      { name: "Bob", scripted: { echo: true } },
    ]);
    await turn(g, "First.");
    await turn(g, "Second.");
    const pinned = await sys.request("PUT", `/v1/groups/${g.id}/memory/blocks/facts`, {
      body: { value: "Lin prefers short answers." },
    });
    expect(pinned.status, JSON.stringify(pinned.body)).toBe(201);
    const ada = g.agents.find((a) => a.name === "Ada")?.id as string;
    const q = new URLSearchParams({ content: "Third?", authorName: "Lin" });
    const res = await sys.get(`/v1/groups/${g.id}/agents/${ada}/context?${q}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const ctx = res.body as {
      sent: { systemPrompt: string; messages: ConversationMessage[] };
      parts: { part: string; messages: number; tokens: number }[];
      memory: { window: { entries: number } };
    };
    expect(ctx.memory.window.entries).toBe(6);
    const part = (name: string) => ctx.parts.find((p) => p.part === name);
    expect(part("history")?.messages).toBe(6);
    for (const name of ["system_prompt", "personality", "memory_blocks", "history", "message"])
      expect(part(name)?.tokens, name).toBeGreaterThan(0);
    expect(part("summary")?.tokens).toBe(0);
    expect(ctx.sent.systemPrompt).toContain("Lin prefers short answers.");
    const t3 = await turn(g, "Third?");
    const item = work.items.find((w) => w.turnId === t3 && w.payload.agent.name === "Ada");
    expect(
      JSON.stringify({ systemPrompt: item?.payload.agent.systemPrompt, messages: item?.payload.messages }),
    ).toBe(JSON.stringify(ctx.sent));
    const outsider = await sys.register();
    const hidden = await sys.get(`/v1/groups/${g.id}/agents/${ada}/context?${q}`, outsider.accessToken);
    expect(hidden.status).toBe(404);
  });
});

describe("consistent without the read model", () => {
  it("with the recorder stopped between two turns, the second still sees the first", async () => {
    const g = await group("broadcast", [{ name: "Ada", scripted: { replies: ["Hi Lin.", "You are Lin."] } }]);
    await turn(g, "My name is Lin.");
    const recorder = sys.app("recorder");
    await recorder.stop();
    try {
      const posted = await sys.post(`/v1/groups/${g.id}/messages`, {
        content: "Who am I?",
        authorName: "Lin",
      });
      expect(posted.status).toBe(202);
      const { turnId } = posted.body as { turnId: string };
      await waitUntil("the second turn's ask", () => asks(turnId, "Ada").length > 0, 60_000);
      expect(asks(turnId, "Ada")[0]).toEqual([
        { role: "user", name: "Lin", content: "[Lin]: My name is Lin." },
        { role: "assistant", content: "Hi Lin." },
        { role: "user", name: "Lin", content: "Who am I?" },
      ]);
    } finally {
      recorder.restart();
      await recorder.waitForLog("recorder started");
    }
  });
});
