import { capturingLogger, waitUntil } from "@conclave/testing";
import { describe, expect, it } from "vitest";
import type { Retention, RetentionReport } from "./retention.js";
import { createSweeper } from "./sweeper.js";

const report = (): RetentionReport => ({ dryRun: false, now: new Date().toISOString(), groups: [], ms: 1 });

/** A retention whose runs take `ms` and fail when `fail` says so, counting starts and ends. */
function fakeRetention(ms: number, fail: (n: number) => boolean = () => false) {
  const calls = { started: 0, ended: 0, aborted: false };
  const retention: Retention = {
    async run(options) {
      const n = ++calls.started;
      await new Promise((r) => setTimeout(r, ms));
      calls.aborted = options?.signal?.aborted ?? false;
      calls.ended++;
      if (fail(n)) throw new Error(`sweep ${n} failed`);
      return report();
    },
  };
  return { retention, calls };
}

describe("the retention sweeper", () => {
  it("never sweeps with an interval of 0", async () => {
    const { retention, calls } = fakeRetention(0);
    const { log, lines } = capturingLogger();
    const sweeper = createSweeper({ retention, intervalMs: 0, log });
    sweeper.start();
    await new Promise((r) => setTimeout(r, 100));
    await sweeper.stop();
    expect(calls.started).toBe(0);
    expect(lines.some((l) => l.includes("retention sweeps off"))).toBe(true);
  });

  it("sweeps again after a failed sweep, and logs it", async () => {
    const { retention, calls } = fakeRetention(1, (n) => n === 1);
    const { log, lines } = capturingLogger();
    const sweeper = createSweeper({ retention, intervalMs: 10, log });
    sweeper.start();
    await waitUntil("three sweeps", () => calls.ended >= 3);
    await sweeper.stop();
    expect(lines.filter((l) => l.includes("retention sweep failed"))).toHaveLength(1);
    expect(lines.filter((l) => l.includes("retention sweep done")).length).toBeGreaterThanOrEqual(2);
  });

  it("waits on stop for the sweep under way, then starts no other", async () => {
    const { retention, calls } = fakeRetention(200);
    const { log } = capturingLogger();
    const sweeper = createSweeper({ retention, intervalMs: 10, log });
    sweeper.start();
    await waitUntil("a sweep to start", () => calls.started === 1);
    await sweeper.stop();
    expect(calls.ended).toBe(1);
    // The sweep was told to stop after the group it was at.
    expect(calls.aborted).toBe(true);
    await new Promise((r) => setTimeout(r, 100));
    expect(calls.started).toBe(1);
  });
});
