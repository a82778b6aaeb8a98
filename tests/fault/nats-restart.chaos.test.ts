import { waitUntil } from "@conclave/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FaultCase, type FaultSystem, STALL_BOUND_MS, startFaultSystem, writeReport } from "./harness.js";

// The suite's own nats-server is killed under load and started again on the same data folder.
// Posts meanwhile get 503 (the client retries with its idempotency key); once NATS is back every
// feed must resume at once: no socket waits past the stall bound for an event that is stored.

let fs: FaultSystem;
const began = Date.now();

beforeAll(async () => {
  fs = await startFaultSystem();
}, 420_000);
afterAll(async () => {
  if (fs) await writeReport("nats-restart", fs.rows, Date.now() - began);
  await fs?.stop();
}, 120_000);

describe("a nats-server restart under load", () => {
  it("loses nothing accepted, and every feed resumes once NATS is back", async () => {
    const c = new FaultCase(fs, "nats-server restart under load");
    await c.createGroups(2);
    await c.openSockets(2);
    // Every post is retried (same idempotency key) until it gets its 202.
    const loading = c.load(10, { gapMs: 300 });
    await waitUntil("a few posts accepted", () => c.accepted.length >= 4, 30_000);
    await fs.nats.kill();
    await new Promise((r) => setTimeout(r, 2000));
    await fs.nats.restart();
    c.faultEnded();
    await loading;
    const r = await c.settleAndCheck();
    expect(r.violations).toEqual([]);
    expect(r.accepted).toBe(20);
    expect(r).toMatchObject({ outcomes: 20, lost: 0, duplicated: 0, stalls: 0 });
    expect(r.maxLagMs).toBeLessThanOrEqual(STALL_BOUND_MS);
  }, 240_000);
});
