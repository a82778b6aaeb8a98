import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { type Frame, startSystem, type TestSystem, waitUntil } from "@conclave/testing";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

let sys: TestSystem;
let sql: postgres.Sql;
let site: Server;
let hits = 0;

beforeAll(async () => {
  // The side effect a tool has outside: a request to this server, counted.
  site = await new Promise<Server>((resolve) => {
    const s = createServer((_req, res) => {
      hits++;
      res.writeHead(200, { "content-type": "text/plain" });
      res.end("order #1 placed");
    });
    s.listen(0, "127.0.0.1", () => resolve(s));
  });
  sys = await startSystem({
    env: { NATS_ACK_WAIT_MS: "1500" },
    envFor: {
      executor: {
        TOOLS_HTTP_ALLOW_HOSTS: "127.0.0.1",
        TOOLS_HTTP_ALLOW_LOOPBACK_FOR_TESTS: "1",
        TOOLS_REQUIRE_APPROVAL: "run_js",
      },
    },
  });
  sql = postgres(sys.db.url, { max: 1 });
});
afterAll(async () => {
  await sql?.end();
  await sys?.stop();
  await new Promise((r) => site?.close(r));
});

/** A group with one scripted agent that asks for `toolCalls`, then answers; `tools` are the ones it may use. */
async function groupWith(scripted: object, tools: string[]) {
  const created = (await sys.post("/v1/groups", { name: "tools", agents: [{ name: "Toolsmith", scripted }] }))
    .body as { id: string; agents: { id: string }[] };
  await sql`update agents set tools = ${sql.json(tools)} where id = ${created.agents[0]?.id ?? ""}`;
  return created.id;
}

async function runTurn(groupId: string, content: string): Promise<Frame[]> {
  const client = await sys.openStream();
  await client.subscribe(groupId, 0);
  await sys.post(`/v1/groups/${groupId}/messages`, { content });
  await client.waitFor(
    "the turn end",
    (f) => f.event?.type === "turn.completed" || f.event?.type === "turn.failed",
    30_000,
  );
  await new Promise((r) => setTimeout(r, 200));
  await client.close();
  return client.events(groupId);
}

describe("the agent's tool loop", () => {
  it("runs the tools the model asks for and gives it the results, all as events", async () => {
    const groupId = await groupWith(
      { toolCalls: [{ name: "calculator", args: { expression: "6 * 7" } }], replies: ["The answer is 42."] },
      ["calculator"],
    );
    const events = await runTurn(groupId, "what is six times seven?");
    expect(events.map((f) => f.event?.type)).toEqual([
      "message.posted",
      "turn.started",
      "agent.tool_requested",
      "tool.completed",
      "agent.replied",
      "turn.completed",
    ]);
    const done = events.find((f) => f.event?.type === "tool.completed")?.event?.payload;
    expect(done).toMatchObject({ name: "calculator", ok: true, replayed: false });
    expect(JSON.stringify(done?.result)).toMatch(/42/);
    expect(events.find((f) => f.event?.type === "agent.replied")?.event?.payload.content).toBe(
      "The answer is 42.",
    );
    // Both LLM calls of the loop report their model and usage.
    for (const type of ["agent.tool_requested", "agent.replied"]) {
      expect(events.find((f) => f.event?.type === type)?.event?.payload).toMatchObject({
        model: expect.any(String),
        usage: { outputTokens: expect.any(Number) },
      });
    }
  });

  it("holds a tool that needs approval until a person approves it, then runs it", async () => {
    const groupId = await groupWith(
      { toolCalls: [{ name: "run_js", args: { code: "6 * 7" } }], replies: ["Computed."] },
      ["run_js"],
    );
    const client = await sys.openStream();
    await client.subscribe(groupId, 0);
    await sys.post(`/v1/groups/${groupId}/messages`, { content: "compute, with approval" });
    const waiting = await client.waitFor(
      "the approval request",
      (f) => f.event?.type === "tool.approval_requested",
    );
    await new Promise((r) => setTimeout(r, 300));
    expect(client.events(groupId).some((f) => f.event?.type === "tool.completed")).toBe(false);
    const turnId = waiting.event?.turnId ?? "";
    const key = String(waiting.event?.payload.key);
    const bad = await sys.post(`/v1/groups/${groupId}/turns/${turnId}/tool-decisions`, {
      key: "not-a-key",
      approve: true,
    });
    expect(bad.status).toBe(400);
    const decided = await sys.post(`/v1/groups/${groupId}/turns/${turnId}/tool-decisions`, {
      key,
      approve: true,
    });
    expect(decided.status).toBe(202);
    await client.waitFor("the turn end", (f) => f.event?.type === "turn.completed", 30_000);
    const done = client.events(groupId).find((f) => f.event?.type === "tool.completed")?.event?.payload;
    expect(done).toMatchObject({ name: "run_js", ok: true });
    expect(JSON.stringify(done?.result)).toMatch(/42/);
    await client.close();
  });

  it("answers the model with the refusal when a person denies the call, and nothing runs", async () => {
    const groupId = await groupWith({ toolCalls: [{ name: "run_js", args: { code: "1" } }], echo: true }, [
      "run_js",
    ]);
    const client = await sys.openStream();
    await client.subscribe(groupId, 0);
    await sys.post(`/v1/groups/${groupId}/messages`, { content: "try it" });
    const waiting = await client.waitFor(
      "the approval request",
      (f) => f.event?.type === "tool.approval_requested",
    );
    const url = `/v1/groups/${groupId}/turns/${waiting.event?.turnId}/tool-decisions`;
    expect(
      (await sys.post(url, { key: waiting.event?.payload.key, approve: false, reason: "not today" })).status,
    ).toBe(202);
    await client.waitFor("the turn end", (f) => f.event?.type === "turn.completed", 30_000);
    const types = client.events(groupId).map((f) => f.event?.type);
    expect(types).toContain("tool.denied");
    expect(types).not.toContain("tool.completed");
    // The scripted agent echoes the last message it got: the refusal.
    expect(
      client.events(groupId).find((f) => f.event?.type === "agent.replied")?.event?.payload.content,
    ).toMatch(/denied this call: not today/);
    await client.close();
  });

  it("refuses a decision about a waiting call from another group's path; the group's own approval runs it", async () => {
    const groupId = await groupWith(
      { toolCalls: [{ name: "run_js", args: { code: "2 * 21" } }], replies: ["Done."] },
      ["run_js"],
    );
    // Someone who sees the group's events (a viewer) and posts in a group of their own.
    const intruder = await sys.register();
    expect(
      (await sys.post(`/v1/groups/${groupId}/members`, { accountId: intruder.accountId, role: "viewer" }))
        .status,
    ).toBe(201);
    const theirs = (await sys.post("/v1/groups", { name: "elsewhere" }, intruder.accessToken)).body
      .id as string;
    const client = await sys.openStream();
    await client.subscribe(groupId, 0);
    await sys.post(`/v1/groups/${groupId}/messages`, { content: "compute it" });
    const waiting = await client.waitFor(
      "the approval request",
      (f) => f.event?.type === "tool.approval_requested",
    );
    const turnId = waiting.event?.turnId ?? "";
    const key = String(waiting.event?.payload.key);
    const decide = (group: string, approve: boolean, token?: string) =>
      sys.post(`/v1/groups/${group}/turns/${turnId}/tool-decisions`, { key, approve }, token);
    expect((await decide(theirs, false, intruder.accessToken)).status).toBe(404);
    expect((await decide(groupId, false, intruder.accessToken)).status).toBe(403);
    const approved = await decide(groupId, true);
    expect(approved.status).toBe(202);
    expect(approved.body.duplicate).toBe(false);
    await client.waitFor(
      "the turn end",
      (f) => f.event?.type === "turn.completed" || f.event?.type === "turn.failed",
      30_000,
    );
    const types = client.events(groupId).map((f) => f.event?.type);
    expect(types).toContain("tool.completed");
    expect(types.at(-1)).toBe("turn.completed");
    await client.close();
  });

  it("refuses, in code, a tool the agent is not allowed, whatever the model asks", async () => {
    const groupId = await groupWith(
      { toolCalls: [{ name: "run_js", args: { code: "1+1" } }], replies: ["ok"] },
      ["calculator"],
    );
    const events = await runTurn(groupId, "run some code");
    const done = events.find((f) => f.event?.type === "tool.completed")?.event?.payload;
    expect(done).toMatchObject({ name: "run_js", ok: false, error: { code: "forbidden" } });
    expect(events.at(-1)?.event?.type).toBe("turn.completed");
  });

  it("refuses a fetch of a private address (SSRF) with a clear error the model can read", async () => {
    const groupId = await groupWith(
      {
        toolCalls: [{ name: "http_fetch", args: { url: "http://169.254.169.254/latest/meta-data" } }],
        replies: ["could not"],
      },
      ["http_fetch"],
    );
    const events = await runTurn(groupId, "fetch the metadata");
    const done = events.find((f) => f.event?.type === "tool.completed")?.event?.payload;
    expect(done?.ok).toBe(false);
    expect(JSON.stringify(done?.error)).toMatch(/169\.254\.169\.254|not allowed|link-local|private/i);
  });

  it("runs a side effect once when the executor dies after it and before the ack, and the turn completes", async () => {
    const url = `http://127.0.0.1:${(site.address() as AddressInfo).port}/order`;
    const groupId = await groupWith(
      { toolCalls: [{ name: "http_fetch", args: { url } }], replies: ["Ordered."] },
      ["http_fetch"],
    );
    const executor = sys.app("executor");
    await executor.stop();
    executor.restart({ FAULT_CRASH_BEFORE_ACK: "executor-tool:1" });
    await executor.waitForLog("executor started");
    const before = hits;
    const client = await sys.openStream();
    await client.subscribe(groupId, 0);
    await sys.post(`/v1/groups/${groupId}/messages`, { content: "place the order" });
    expect(await executor.waitForExit(30_000)).toBe(-1);
    executor.restart({ FAULT_CRASH_BEFORE_ACK: undefined });
    await client.waitFor(
      "the turn end",
      (f) => f.event?.type === "turn.completed" || f.event?.type === "turn.failed",
      30_000,
    );
    await waitUntil(
      "the redelivered call to be answered from the ledger",
      () => executor.lines.some((l) => l.includes('"replayed":true')),
      15_000,
    );
    await client.close();
    expect(hits - before).toBe(1);
    const types = client.events(groupId).map((f) => f.event?.type);
    expect(types.filter((t) => t === "tool.completed")).toHaveLength(1);
    expect(types.at(-1)).toBe("turn.completed");
  });
});
