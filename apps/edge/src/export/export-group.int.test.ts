import { events, llmCalls } from "@conclave/db";
import { newEventId } from "@conclave/subjects";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestEdge, type TestEdge, type TestEdgeUser } from "../test-edge.js";
import { EXPORT_LIMITS } from "./schemas.js";

// A large group's export over rows written straight into the read model: NDJSON streams every
// event in seq order across many pages (another group's events between them left out), every LLM
// call across its smaller pages, and JSON is refused above its limit. The whole system's export
// (after real turns, as replay gives the events) is tests/e2e/export.test.ts.

const EVENTS = 20_000;
const CALLS = 3 * EXPORT_LIMITS.llmCallBatch + 7;
let edge: TestEdge;
let owner: TestEdgeUser;
let groupId = "";

beforeAll(async () => {
  edge = await startTestEdge();
  owner = await edge.register();
  const created = await edge.request("POST", "/v1/groups", { token: owner.token, body: { name: "large" } });
  expect(created.status).toBe(201);
  groupId = created.body.id as string;
  const other = newEventId();
  const T0 = Date.parse("2026-03-01T12:00:00.000Z");
  const rows: (typeof events.$inferInsert)[] = [];
  for (let i = 1; i <= EVENTS * 2; i++)
    rows.push({
      id: newEventId(),
      seq: i,
      groupId: i % 2 === 0 ? groupId : other,
      turnId: null,
      causationId: null,
      type: "message.posted",
      v: 1,
      actor: { kind: "user", id: owner.accountId },
      payload: { content: `message ${i}` },
      at: new Date(T0 + i).toISOString(),
    });
  for (let i = 0; i < rows.length; i += 1000) await edge.db.db.insert(events).values(rows.slice(i, i + 1000));
  const calls: (typeof llmCalls.$inferInsert)[] = Array.from({ length: CALLS }, (_, i) => ({
    id: newEventId(),
    groupId,
    turnId: null,
    agentId: newEventId(),
    agentName: "Ada",
    purpose: "reply",
    step: 0,
    provider: "scripted",
    model: "scripted",
    systemPrompt: `prompt ${i}`,
    messages: [{ role: "user", content: `message ${i}` }],
    reply: "ok",
    startedAt: new Date(T0 + i).toISOString(),
    endedAt: new Date(T0 + i + 5).toISOString(),
    durationMs: 5,
    outcome: "ok" as const,
  }));
  await edge.db.db.insert(llmCalls).values(calls);
}, 120_000);
afterAll(async () => {
  await edge?.stop();
});

describe("exporting a large group", () => {
  it("streams every event in seq order and every LLM call, page after page, and nothing of another group", async () => {
    const t0 = performance.now();
    const res = await edge.app.request(`/v1/groups/${groupId}/export`, {
      headers: { authorization: `Bearer ${owner.token}` },
    });
    expect(res.status).toBe(200);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = "";
    let chunks = 0;
    let largest = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks++;
      largest = Math.max(largest, value.byteLength);
      text += decoder.decode(value, { stream: true });
    }
    const ms = performance.now() - t0;
    expect(text.endsWith("\n")).toBe(true);
    const records = text
      .slice(0, -1)
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const eventRecords = records.filter((r) => r.kind === "event");
    expect(eventRecords.every((r) => r.groupId === groupId)).toBe(true);
    const seqs = eventRecords.map((r) => r.seq as number);
    const prompts = records
      .filter((r) => r.kind === "llm_call")
      .map((r) => (r.prompt as { system: string }).system);
    const last = records.at(-1);
    expect(seqs).toEqual(Array.from({ length: EVENTS }, (_, i) => (i + 1) * 2));
    expect(prompts).toEqual(Array.from({ length: CALLS }, (_, i) => `prompt ${i}`));
    expect(last).toMatchObject({ kind: "end", counts: { event: EVENTS, llm_call: CALLS, group: 1 } });
    expect(records[0]).toMatchObject({ kind: "header", scope: "group", id: groupId });
    // Written in bounded chunks as it is read, not as one body.
    expect(chunks).toBeGreaterThan(10);
    expect(largest).toBeLessThan(1024 * 1024);
    // The baseline: the same 20,000 events through the replay route (two requests of its 10,000).
    const r0 = performance.now();
    for (const from of [0, 20_001]) {
      const rep = await edge.app.request(`/v1/groups/${groupId}/replay?fromSeq=${from}`, {
        headers: { authorization: `Bearer ${owner.token}` },
      });
      await rep.text();
    }
    const replayMs = performance.now() - r0;
    console.log(
      `replay of the same events: ${replayMs.toFixed(0)} ms; export: ${EVENTS} events + ${CALLS} LLM calls in ${ms.toFixed(0)} ms (${Math.round(EVENTS / (ms / 1000))} events/s), ${chunks} chunks, largest ${largest} bytes`,
    );
  });

  it("refuses the group as one JSON document, naming format", async () => {
    const res = await edge.request("GET", `/v1/groups/${groupId}/export?format=json`, { token: owner.token });
    expect(res.status).toBe(400);
    expect(res.type).toMatch(/problem\+json/);
    expect(res.body.errors).toEqual([
      { path: "query.format", message: expect.stringMatching(/20000 events.*ndjson/) },
    ]);
  });

  it("stops reading when the client goes away", async () => {
    const res = await edge.app.request(`/v1/groups/${groupId}/export`, {
      headers: { authorization: `Bearer ${owner.token}` },
    });
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value).split("\n")[0]).toContain('"kind":"header"');
    await reader.cancel();
    // The edge still answers: nothing is left holding a connection of the pool.
    const again = await edge.request("GET", `/v1/groups/${groupId}`, { token: owner.token });
    expect(again.status).toBe(200);
  });
});
