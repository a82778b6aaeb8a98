import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { freePort, startSystem, type TestSystem } from "@conclave/testing";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

let sys: TestSystem;
let openai: Server;
let anthropic: Server;
let sql: postgres.Sql;
const seen: { path: string; body: Record<string, unknown>; authorization: string | undefined }[] = [];

/** A server that speaks OpenAI's streaming chat completions: three text chunks, then usage, then [DONE]. */
function openAiCompatible(req: IncomingMessage, res: ServerResponse) {
  const chunk = (o: object) => res.write(`data: ${JSON.stringify(o)}\n\n`);
  let raw = "";
  req.on("data", (c: Buffer) => (raw += c.toString()));
  req.on("end", () => {
    seen.push({
      path: req.url ?? "",
      body: JSON.parse(raw) as Record<string, unknown>,
      authorization: req.headers.authorization,
    });
    res.writeHead(200, { "content-type": "text/event-stream" });
    const words = ["Hello", " from", " the model"];
    // The "slow-1" model takes its time between words, so a watcher can join mid-answer.
    const slow = (JSON.parse(raw) as { model?: string }).model === "slow-1";
    void (async () => {
      for (const text of words) {
        chunk({
          id: "c1",
          object: "chat.completion.chunk",
          model: "local-1",
          choices: [{ index: 0, delta: { content: text }, finish_reason: null }],
        });
        if (slow) await new Promise((r) => setTimeout(r, 400));
      }
      finish();
    })();
  });
  const finish = () => {
    chunk({
      id: "c1",
      object: "chat.completion.chunk",
      model: "local-1",
      choices: [{ index: 0, delta: {}, finish_reason: "stop" }],
    });
    chunk({
      id: "c1",
      object: "chat.completion.chunk",
      model: "local-1",
      choices: [],
      usage: { prompt_tokens: 11, completion_tokens: 3, total_tokens: 14 },
    });
    res.end("data: [DONE]\n\n");
  };
}

/** An Anthropic endpoint that is overloaded. */
function overloaded(req: IncomingMessage, res: ServerResponse) {
  req.resume();
  req.on("end", () => {
    res.writeHead(529, { "content-type": "application/json" });
    res.end(JSON.stringify({ type: "error", error: { type: "overloaded_error", message: "Overloaded" } }));
  });
}

const listen = (handler: (req: IncomingMessage, res: ServerResponse) => void) =>
  new Promise<Server>((resolve) => {
    const s = createServer(handler);
    s.listen(0, "127.0.0.1", () => resolve(s));
  });
const base = (s: Server) => `http://127.0.0.1:${(s.address() as AddressInfo).port}`;

let healthPort = 0;

beforeAll(async () => {
  [openai, anthropic] = await Promise.all([listen(openAiCompatible), listen(overloaded)]);
  healthPort = await freePort();
  sys = await startSystem({
    envFor: {
      executor: {
        OPENAI_COMPAT_BASE_URL: `${base(openai)}/v1`,
        ANTHROPIC_API_KEY: "test-key",
        ANTHROPIC_BASE_URL: base(anthropic),
        LLM_ATTEMPTS: "1",
        LLM_FALLBACK: "openai-compatible",
        LLM_CIRCUIT_FAILURES: "1",
        EXECUTOR_HEALTH_PORT: String(healthPort),
        // Credentials are read on every call here, so the test sees a key as soon as it is stored.
        EXECUTOR_CREDENTIALS_CACHE_MS: "0",
      },
    },
  });
  sql = postgres(sys.db.url, { max: 1 });
});
afterAll(async () => {
  await sql?.end();
  await sys?.stop();
  await Promise.all([openai, anthropic].map((s) => new Promise((r) => s?.close(r))));
});

/** A group with one agent of `provider` (set in the database: the management API is its own work). */
async function groupWith(provider: string, scripted: object = {}) {
  const created = (await sys.post("/v1/groups", { name: provider, agents: [{ name: "Solo", scripted }] }))
    .body as { id: string; agents: { id: string }[] };
  const agentId = created.agents[0]?.id ?? "";
  if (provider !== "scripted")
    await sql`update agents set provider = ${provider}, model = 'local-1' where id = ${agentId}`;
  return created.id;
}

async function turn(groupId: string) {
  const client = await sys.openStream();
  await client.subscribe(groupId);
  await sys.post(`/v1/groups/${groupId}/messages`, { content: "hi there" });
  const replied = await client.waitFor(
    "the reply",
    (f) => f.event?.type === "agent.replied" || f.event?.type === "agent.failed",
  );
  await client.waitFor(
    "the turn end",
    (f) => f.event?.type === "turn.completed" || f.event?.type === "turn.failed",
  );
  await client.close();
  return { replied, deltas: client.frames.filter((f) => f.type === "delta") };
}

describe("providers", () => {
  it("streams a scripted answer as deltas live, then persists the whole answer with its usage", async () => {
    // Words 60 ms apart, well past the executor's 20 ms delta window: each goes out as it comes.
    const { replied, deltas } = await turn(
      await groupWith("scripted", { replies: ["alpha beta gamma delta"], tokenDelayMs: 60 }),
    );
    expect(replied.event?.payload.content).toBe("alpha beta gamma delta");
    expect(deltas.map((d) => d.index)).toEqual(deltas.map((_, i) => i));
    expect(deltas.map((d) => d.text).join("")).toBe("alpha beta gamma delta");
    expect(deltas.length).toBeGreaterThan(1);
    expect(replied.event?.payload.usage).toMatchObject({ outputTokens: expect.any(Number) });
  });

  it("sends the words that come at once as one delta", async () => {
    const { replied, deltas } = await turn(
      await groupWith("scripted", { replies: ["all of these words come in one go"] }),
    );
    expect(replied.event?.payload.content).toBe("all of these words come in one go");
    expect(deltas.map((d) => [d.index, d.text])).toEqual([[0, "all of these words come in one go"]]);
  });

  it("answers through an OpenAI-compatible server, with its model and token counts", async () => {
    const { replied, deltas } = await turn(await groupWith("openai-compatible"));
    expect(replied.event?.payload).toMatchObject({
      content: "Hello from the model",
      provider: "openai-compatible",
      model: "local-1",
      usage: { inputTokens: 11, outputTokens: 3 },
    });
    // The three chunks come in one burst: they may go out as fewer deltas, numbered without a gap.
    expect(deltas.map((d) => d.text).join("")).toBe("Hello from the model");
    expect(deltas.map((d) => d.index)).toEqual(deltas.map((_, i) => i));
    const request = seen.at(-1);
    expect(request?.path).toBe("/v1/chat/completions");
    expect(request?.body).toMatchObject({ model: "local-1", stream: true });
  });

  it("falls back when the agent's provider is overloaded, and records which answered and why", async () => {
    const { replied } = await turn(await groupWith("anthropic"));
    expect(replied.event?.type).toBe("agent.replied");
    expect(replied.event?.payload.provider).toBe("openai-compatible");
    expect(replied.event?.payload.skipped).toEqual([
      expect.objectContaining({ provider: "anthropic", reason: "failed" }),
    ]);
  });

  it("gives a watcher who joins mid-answer the whole answer, not a torn one", async () => {
    const groupId = await groupWith("openai-compatible");
    await sql`update agents set model = 'slow-1' where id in (select agent_id from group_agents where group_id = ${groupId})`;
    const early = await sys.openStream();
    await early.subscribe(groupId);
    await sys.post(`/v1/groups/${groupId}/messages`, { content: "take your time" });
    await early.waitFor("the first delta", (f) => f.type === "delta");
    const late = await sys.openStream();
    await late.subscribe(groupId);
    const whole = await late.waitFor("the reply", (f) => f.event?.type === "agent.replied");
    expect(whole.event?.payload.content).toBe("Hello from the model");
    // What the late watcher saw live starts past the beginning: it can tell it joined mid-answer.
    const lateDeltas = late.frames.filter((f) => f.type === "delta");
    expect(lateDeltas.every((d) => Number(d.index) > 0)).toBe(true);
    await early.close();
    await late.close();
  });

  it("pays with the agent owner's stored credential when the account has one", async () => {
    expect(seen.at(-1)?.authorization).toBeUndefined();
    const put = await sys.request("PUT", "/v1/provider-credentials/openai-compatible", {
      body: { apiKey: "account-secret-key-123" },
    });
    expect(put.status).toBe(201);
    const { replied } = await turn(await groupWith("openai-compatible"));
    expect(replied.event?.payload.provider).toBe("openai-compatible");
    expect(seen.at(-1)?.authorization).toBe("Bearer account-secret-key-123");
    for (const app of sys.apps) expect(app.lines.join("\n")).not.toContain("account-secret-key-123");
  });

  it("shows the overloaded provider's open circuit in the executor's health", async () => {
    const res = await fetch(`http://127.0.0.1:${healthPort}/health/detailed`);
    const health = (await res.json()) as {
      status: string;
      providers: Record<string, { circuits: { state: string }[] }>;
    };
    expect(health.status).toBe("degraded");
    expect(health.providers.anthropic?.circuits.map((c) => c.state)).toEqual(["open"]);
    expect(health.providers["openai-compatible"]?.circuits.every((c) => c.state === "closed")).toBe(true);
    expect((await fetch(`http://127.0.0.1:${healthPort}/readyz`)).status).toBe(200);
  });

  it("sends an agent whose provider has no key here to the fallback", async () => {
    const { replied } = await turn(await groupWith("gemini"));
    expect(replied.event?.type).toBe("agent.replied");
    expect(replied.event?.payload.provider).toBe("openai-compatible");
  });
});
