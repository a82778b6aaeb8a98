import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { and, type DbHandle, eq, llmCalls, openDb } from "@conclave/db";
import type { Envelope } from "@conclave/subjects";
import {
  captureLlmWork,
  REPO_ROOT,
  startSystem,
  type TestSystem,
  type TestUser,
  waitUntil,
} from "@conclave/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// A turn's timeline end to end: each LLM call's prompt as the executor recorded it is the prompt the
// work item carried (read off the work subject), one record per call even when the executor dies
// before its ack and the item is redelivered; and only the group's readers see it.

let sys: TestSystem;
let db: DbHandle;
let outsider: TestUser;
let work: ReturnType<typeof captureLlmWork>;

beforeAll(async () => {
  sys = await startSystem({ env: { NATS_ACK_WAIT_MS: "1500" } });
  db = await openDb({ url: sys.db.url, poolSize: 1 });
  outsider = await sys.register();
  work = captureLlmWork(sys.bus);
});
afterAll(async () => {
  work?.stop();
  await db?.close();
  await sys?.stop();
});

interface Call {
  id: string;
  agentName: string;
  purpose: string;
  prompt: { system: string; messages: Record<string, unknown>[] };
  reply: string | null;
  durationMs: number;
  inputTokens: number | null;
  outputTokens: number | null;
  cost: number | null;
  currency: string | null;
  outcome: string;
}
interface Step {
  seq: number;
  event: { id: string; type: string; causationId: string | null; payload: Record<string, unknown> };
  call: Call | null;
}

async function group(body: Record<string, unknown>): Promise<string> {
  const res = await sys.post("/v1/groups", { name: "timed", ...body });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id as string;
}

/** Posts and waits until the turn is recorded with a call on every LLM outcome. */
async function turn(groupId: string, content: string): Promise<{ turnId: string; steps: Step[] }> {
  const posted = await sys.post(`/v1/groups/${groupId}/messages`, { content });
  expect(posted.status).toBe(202);
  const turnId = posted.body.turnId as string;
  let steps: Step[] = [];
  await waitUntil(
    "the turn's timeline",
    async () => {
      const res = await sys.get(`/v1/groups/${groupId}/turns/${turnId}/timeline`);
      if (res.status !== 200) return false;
      steps = res.body.steps as Step[];
      const outcomes = steps.filter(
        (s) => s.event.type === "agent.replied" || s.event.type === "agent.failed",
      );
      return steps.some((s) => s.event.type === "turn.completed") && outcomes.every((s) => s.call);
    },
    30_000,
  );
  return { turnId, steps };
}

const itemsOf = (turnId: string) => work.items.filter((w) => w.turnId === turnId);

describe("GET /v1/groups/:groupId/turns/:turnId/timeline", () => {
  let groupId = "";
  let turnId = "";
  let steps: Step[] = [];
  let items: Envelope<"work.llm">[] = [];

  beforeAll(async () => {
    groupId = await group({
      strategy: "round_robin",
      agents: [
        {
          name: "Ada",
          systemPrompt: 'You are Ada.\n\tQuote "exactly" — ünïcødé ✓ 🧪',
          scripted: { echo: true },
        },
        { name: "Bob", systemPrompt: "", scripted: { echo: true } },
      ],
    });
    await turn(groupId, "warm-up, so the next prompt carries history");
    ({ turnId, steps } = await turn(groupId, 'second: {"json":"in text"}\n  spaces  and 🧪\u00e9'));
    items = itemsOf(turnId);
  });

  it("joins each LLM outcome to its call, whose prompt is the one the executor received", async () => {
    expect(items.length).toBe(2);
    const outcomes = steps.filter((s) => s.event.type === "agent.replied");
    expect(outcomes.map((s) => s.call?.agentName)).toEqual(["Ada", "Bob"]);
    for (const item of items) {
      const step = steps.find((s) => s.call?.id === item.id);
      expect(step?.event.causationId).toBe(item.id);
      const call = step?.call as Call;
      // Byte for byte: the system prompt and each message's text as strings, and the whole list.
      expect(call.prompt.system).toBe(item.payload.agent.systemPrompt);
      expect(call.prompt.messages).toEqual(item.payload.messages);
      expect(call.prompt.messages.map((m) => m.content)).toStrictEqual(
        item.payload.messages.map((m) => m.content),
      );
      expect(call.prompt.messages.length).toBeGreaterThan(1);
      expect(call).toMatchObject({ outcome: "ok", purpose: "reply", reply: step?.event.payload.content });
      expect(call.durationMs).toBeGreaterThanOrEqual(0);
      expect(call.inputTokens).not.toBeNull();
      expect(call.outputTokens).not.toBeNull();
      // Priced by the seeded scripted price, zero.
      expect(call).toMatchObject({ cost: 0, currency: "USD" });
    }
    // Events without a call (the turn's start, its end, the message) carry none.
    expect(steps.filter((s) => s.call === null).map((s) => s.event.type)).toContain("turn.started");
    expect(steps.map((s) => s.seq)).toEqual([...steps.map((s) => s.seq)].sort((a, b) => a - b));
  });

  it("prints each step with its prompt in the CLI (`conclave replay --turn … --prompts`)", async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ["--import", "tsx", "apps/cli/src/main.ts", "replay", groupId, "--turn", turnId, "--prompts"],
      {
        cwd: REPO_ROOT,
        env: {
          PATH: process.env.PATH ?? "",
          CONCLAVE_TOKEN: sys.user.accessToken,
          CONCLAVE_URL: sys.edgeUrl,
        },
      },
    );
    expect(stdout).toContain("agent.replied");
    expect(stdout).toContain("[system]");
    expect(stdout).toContain("You are Ada.");
    // Each message of Bob's prompt, line by line, in order.
    const bob = items.find((w) => w.payload.agent.name === "Bob");
    let from = stdout.indexOf("[system]");
    for (const m of bob?.payload.messages ?? [])
      for (const line of m.content.split("\n")) {
        const at = stdout.indexOf(line, from);
        expect(at, line).toBeGreaterThanOrEqual(0);
        from = at;
      }
  });

  it("is a 404 to outsiders, for another group's turn and for an unknown turn", async () => {
    const path = `/v1/groups/${groupId}/turns/${turnId}/timeline`;
    const refused = await sys.get(path, outsider.accessToken);
    expect(refused.status).toBe(404);
    expect(JSON.stringify(refused.body)).not.toContain("You are Ada");
    const other = await group({ agents: [{ name: "Cy", scripted: { echo: true } }] });
    const theirs = await turn(other, "elsewhere");
    expect((await sys.get(`/v1/groups/${groupId}/turns/${theirs.turnId}/timeline`)).status).toBe(404);
    expect((await sys.get(`/v1/groups/${other}/turns/${turnId}/timeline`)).status).toBe(404);
    expect((await sys.get(`/v1/groups/${groupId}/turns/not-a-turn/timeline`)).status).toBe(400);
  });

  it("records a call once when the executor dies before its ack and the item is redelivered", async () => {
    const g = await group({ agents: [{ name: "Solo", systemPrompt: "once", scripted: { echo: true } }] });
    const executor = sys.app("executor");
    await executor.stop();
    executor.restart({ FAULT_CRASH_BEFORE_ACK: "1" });
    await executor.waitForLog("executor started");
    const posted = await sys.post(`/v1/groups/${g}/messages`, { content: "crash after the record" });
    expect(posted.status).toBe(202);
    const crashedTurn = posted.body.turnId as string;
    expect(await executor.waitForExit(30_000), "the executor killed itself before its ack").toBe(-1);
    executor.restart({ FAULT_CRASH_BEFORE_ACK: undefined });
    await executor.waitForLog("executor started");
    const res = await waitForTimeline(g, crashedTurn);
    const item = itemsOf(crashedTurn)[0];
    expect(item).toBeDefined();
    const rows = await db.db
      .select()
      .from(llmCalls)
      .where(and(eq(llmCalls.groupId, g), eq(llmCalls.turnId, crashedTurn)));
    expect(rows.map((r) => r.id)).toEqual([item?.id]);
    expect(res.filter((s) => s.call).map((s) => s.event.type)).toEqual(["agent.replied"]);
    expect(executor.lines.some((l) => l.includes("llm call not recorded"))).toBe(false);
  });
});

async function waitForTimeline(groupId: string, turnId: string): Promise<Step[]> {
  let steps: Step[] = [];
  await waitUntil(
    "the turn's timeline",
    async () => {
      const res = await sys.get(`/v1/groups/${groupId}/turns/${turnId}/timeline`);
      steps = res.status === 200 ? (res.body.steps as Step[]) : [];
      return steps.some((s) => s.event.type === "turn.completed") && steps.some((s) => s.call);
    },
    30_000,
  );
  return steps;
}
