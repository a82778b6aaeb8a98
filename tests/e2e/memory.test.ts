import type { Subscription } from "@conclave/bus";
import type { ConversationMessage, WorkLlm } from "@conclave/subjects";
import { startSystem, type TestSystem, waitUntil } from "@conclave/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// Conversation memory end to end: what each LLM call was sent is read off the work subject (a core
// subscription sees every work item JetStream stores), so these tests check the exact prompts.

let sys: TestSystem;
let sub: Subscription;
const sent: { groupId: string; turnId: string | null; payload: WorkLlm }[] = [];

beforeAll(async () => {
  sys = await startSystem();
  sub = sys.bus.nc.subscribe(sys.bus.names.workSubject("llm"));
  void (async () => {
    for await (const m of sub) {
      const e = m.json() as { groupId: string; turnId: string | null; payload: WorkLlm };
      sent.push({ groupId: e.groupId, turnId: e.turnId, payload: e.payload });
    }
  })();
});
afterAll(async () => {
  sub?.unsubscribe();
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
  sent.filter((w) => w.turnId === turnId && w.payload.agent.name === agent).map((w) => w.payload.messages);

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
