import type { MessageMeta } from "@conclave/bus";
import { createLogger } from "@conclave/log";
import { describe, expect, it } from "vitest";
import { createFairAdmission, deferDelayMs } from "./fair-admission.js";

const log = createLogger({ app: "test", level: "warn" });
const meta = (deliveryCount = 1): MessageMeta => ({
  seq: 1,
  subject: "work.llm",
  deliveryCount,
  log,
  signal: new AbortController().signal,
});

/** A handler that runs until `finish()`; records who ran. */
function blocking() {
  const ran: string[] = [];
  const gates: (() => void)[] = [];
  const run = async (account: string) => {
    ran.push(account);
    await new Promise<void>((r) => gates.push(r));
  };
  return { ran, run, finish: () => gates.shift()?.() };
}

describe("createFairAdmission", () => {
  it("runs an account's share, holds as many more, hands the rest back, and lets others in", async () => {
    const admission = createFairAdmission({ slots: 4, share: 0.5, deferUntilDelivery: 10 });
    expect(admission).toMatchObject({ window: 8, perAccount: 2 });
    const h = blocking();
    const handle = admission.admit((a: string) => a, h.run);
    const flood = [1, 2, 3, 4].map(() => handle("flooder", meta()));
    await new Promise((r) => setTimeout(r, 5));
    expect(h.ran).toEqual(["flooder", "flooder"]);
    // Beyond what it may run and wait for, the flooder's item goes back to the queue, not a failure.
    const handedBack = await handle("flooder", meta(1));
    expect(handedBack).toEqual({ retryInMs: expect.any(Number) });
    // Another account runs at once in a free slot.
    const other = handle("other", meta());
    await new Promise((r) => setTimeout(r, 5));
    expect(h.ran).toEqual(["flooder", "flooder", "other"]);
    // Deferred often enough, an item waits here instead: deferring never exhausts max_deliver.
    const late = handle("flooder", meta(11));
    h.finish();
    h.finish();
    h.finish();
    await Promise.all([flood[0], flood[1], other]);
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setTimeout(r, 5));
      h.finish();
    }
    await Promise.all([...flood, late]);
    expect(h.ran.filter((a) => a === "flooder")).toHaveLength(5);
  });

  it("does not count its own deferrals as the handler's failed attempts", async () => {
    const admission = createFairAdmission({ slots: 1, share: 1, deferUntilDelivery: 10 });
    const h = blocking();
    const seen: number[] = [];
    const handle = admission.admit(
      (a: string) => a,
      async (a: string, m: MessageMeta) => {
        seen.push(m.deliveryCount);
        await h.run(a);
      },
    );
    const first = handle("flooder", { ...meta(1), seq: 1 });
    expect(await handle("flooder", { ...meta(1), seq: 2 })).toHaveProperty("retryInMs");
    expect(await handle("flooder", { ...meta(2), seq: 2 })).toHaveProperty("retryInMs");
    h.finish();
    await first;
    const second = handle("flooder", { ...meta(4), seq: 2 });
    await new Promise((r) => setTimeout(r, 5));
    h.finish();
    await second;
    // Delivered 4 times, handed back twice by this process: its second attempt.
    expect(seen).toEqual([1, 2]);
  });

  it("defers for a growing, jittered, capped delay", () => {
    expect(deferDelayMs(1, () => 1)).toBe(500);
    expect(deferDelayMs(2, () => 1)).toBe(1000);
    expect(deferDelayMs(3, () => 0)).toBe(1000);
    expect(deferDelayMs(10, () => 1)).toBe(10_000);
  });
});
