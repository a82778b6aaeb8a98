import { waitUntil } from "@conclave/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FaultCase, type FaultSystem, restartApp, startFaultSystem, writeReport } from "./harness.js";

// The suite's own PostgreSQL stops for 10 s under load. While it is down the edge must answer at
// once: 503 with Retry-After, or 202 when it holds the caller's access in memory (the message then
// needs only the bus) — never 500, never a held request. Once it is back, every accepted message
// runs and is recorded, and the feeds never stopped.

const DOWN_MS = 10_000;
let fs: FaultSystem;
const began = Date.now();

beforeAll(async () => {
  fs = await startFaultSystem();
}, 420_000);
afterAll(async () => {
  if (fs) await writeReport("postgres-down", fs.rows, Date.now() - began);
  await fs?.stop();
}, 120_000);

describe("PostgreSQL down for 10 s", () => {
  it("answers fast (503, or 202 from what the edge holds) while it is down, and loses nothing accepted", async () => {
    const c = new FaultCase(fs, "PostgreSQL down 10 s");
    await c.createGroups(2);
    await c.openSockets(2);
    // Every post is retried (same idempotency key) until it gets its 202.
    const loading = c.load(10, { gapMs: 300 });
    await waitUntil("a few posts accepted", () => c.accepted.length >= 4, 30_000);
    const downAt = Date.now();
    await fs.pg.stop();
    await new Promise((r) => setTimeout(r, DOWN_MS));
    const upAt = Date.now();
    await fs.pg.start();
    // As a supervisor would: start again any app that died meanwhile (reported below).
    const crashed = fs.sys.apps.filter((a) => !a.running);
    for (const a of crashed)
      console.error(`[fault] ${a.app} died; its last lines:\n${a.lines.slice(-6).join("\n")}`);
    await Promise.all(crashed.map((a) => restartApp(a)));
    c.faultEnded();
    await loading;
    const r = await c.settleAndCheck();
    expect(r.violations).toEqual([]);
    const refused = c.attempts.filter(
      (a) => a.status > 0 && a.status < 500 && a.status !== 202 && a.status !== 429,
    );
    expect(
      refused.map((a) => a.status),
      "no post refused for good",
    ).toEqual([]);
    expect(r.accepted).toBe(20);
    expect(r).toMatchObject({ outcomes: 20, lost: 0, duplicated: 0, stalls: 0 });

    // Posts made while it was down (a second of margin on each side).
    const during = c.attempts.filter((a) => a.atMs > downAt + 1000 && a.atMs + a.ms < upAt - 1000);
    expect(during.length, "posts were tried while PostgreSQL was down").toBeGreaterThan(0);
    const wrong = during.filter(
      (a) => (a.status === 503 ? a.retryAfter === null : a.status !== 202) || a.ms > 3000,
    );
    expect(wrong.map((a) => `${a.status} in ${a.ms} ms, Retry-After ${a.retryAfter}`)).toEqual([]);
    expect(
      crashed.map((a) => a.app),
      "no app died while PostgreSQL was down",
    ).toEqual([]);
  }, 240_000);
});
