import { eq, llmCalls } from "@conclave/db";
import { newEventId } from "@conclave/subjects";
import { type BothDatabases, capturingLogger, openBothDatabases } from "@conclave/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLlmCallLog, type LlmCallRecord } from "./llm-call-log.js";

let dbs: BothDatabases;
beforeAll(async () => {
  dbs = await openBothDatabases();
});
afterAll(async () => {
  await dbs?.close();
});

const call = (over: Partial<LlmCallRecord> = {}): LlmCallRecord => ({
  id: newEventId(),
  groupId: newEventId(),
  turnId: newEventId(),
  agentId: newEventId(),
  agentName: "Ada",
  purpose: "reply",
  step: 0,
  provider: "scripted",
  model: "echo",
  systemPrompt: "You are Ada.",
  messages: [{ role: "user", name: "Grace", content: 'hi ✓ 🧪\n\t"q"' }],
  reply: "hi",
  startedAt: "2026-03-01T12:00:00.000Z",
  endedAt: "2026-03-01T12:00:00.250Z",
  durationMs: 250,
  inputTokens: 5,
  outputTokens: 1,
  outcome: "ok",
  ...over,
});

describe.each(["postgres", "pglite"] as const)("the LLM call log on %s", (driver) => {
  it("keeps the first record of a work item: a redelivered call adds nothing", async () => {
    const { db } = dbs.handles[driver];
    const { log, lines } = capturingLogger();
    const calls = createLlmCallLog(db, log);
    const first = call();
    await calls.record(first);
    await calls.record({ ...first, reply: "again", durationMs: 9 });
    const rows = await db.select().from(llmCalls).where(eq(llmCalls.id, first.id));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ reply: "hi", durationMs: 250, messages: first.messages, error: null });
    expect(lines).toEqual([]);
  });

  it("stores every field as it was given, and stamps the time it was recorded", async () => {
    const { db } = dbs.handles[driver];
    const { log } = capturingLogger();
    const full = call({
      accountId: newEventId(),
      askId: "ask-1",
      cachedTokens: 2,
      cost: "0.00012345",
      currency: "USD",
      priceId: newEventId(),
      outcome: "failed",
      reply: null,
      error: "boom",
    });
    await createLlmCallLog(db, log).record(full);
    const [row] = await db.select().from(llmCalls).where(eq(llmCalls.id, full.id));
    const { recordedAt, startedAt, endedAt, ...rest } = row ?? { recordedAt: "" };
    const { startedAt: s0, endedAt: e0, ...given } = full;
    expect(rest).toEqual(given);
    expect([startedAt, endedAt].map((t) => new Date(String(t)).toISOString())).toEqual([s0, e0]);
    expect(Number.isNaN(new Date(String(recordedAt)).getTime())).toBe(false);
  });

  it("writes records that arrive together in shared inserts, one bad row losing no other", async () => {
    const { db } = dbs.handles[driver];
    const { log, lines } = capturingLogger();
    const calls = createLlmCallLog(db, log);
    const groupId = newEventId();
    const many = Array.from({ length: 450 }, (_, i) =>
      call({ groupId, systemPrompt: i === 300 ? "nul\u0000" : `#${i}` }),
    );
    await Promise.all(many.map((c) => calls.record(c)));
    const rows = await db.select({ id: llmCalls.id }).from(llmCalls).where(eq(llmCalls.groupId, groupId));
    expect(rows).toHaveLength(449);
    expect(lines.filter((l) => l.includes("llm call not recorded"))).toHaveLength(1);
  });

  it("logs a record it could not write instead of failing the call", async () => {
    const { db } = dbs.handles[driver];
    const { log, lines } = capturingLogger();
    // PostgreSQL text cannot hold NUL: the insert fails, the call goes on.
    await createLlmCallLog(db, log).record(call({ systemPrompt: "nul\u0000" }));
    expect(lines.join("")).toContain("llm call not recorded");
  });
});
