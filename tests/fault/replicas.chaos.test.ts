import { type AppName, waitUntil } from "@conclave/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CheckResult } from "./checker.js";
import {
  FaultCase,
  type FaultSystem,
  restartApp,
  startFaultSystem,
  terminateApp,
  writeReport,
} from "./harness.js";

// Every app as several processes at once, on a nats-server and a PostgreSQL of the suite's own;
// each app killed with SIGKILL at its worst moment, then a rolling SIGTERM restart of all of them.
// The cases share the system; each judges only its own groups and sockets.

const REPLICAS: Record<AppName, number> = { edge: 2, orchestrator: 3, executor: 2, recorder: 2, fanout: 2 };
let fs: FaultSystem;
const began = Date.now();

beforeAll(async () => {
  fs = await startFaultSystem({ replicas: REPLICAS });
}, 420_000);
afterAll(async () => {
  if (fs) await writeReport("replicas", fs.rows, Date.now() - began);
  await fs?.stop();
}, 120_000);

const clean = (r: CheckResult) => {
  expect(r.violations).toEqual([]);
  expect(r.accepted, "the load got 202s").toBeGreaterThan(0);
  expect(r).toMatchObject({ outcomes: r.accepted, lost: 0, duplicated: 0, stalls: 0 });
};

describe("every app replicated (2 edges, 3 orchestrators, 2 executors, 2 recorders, 2 fanouts)", () => {
  it("runs every accepted message once, in order, to every socket", async () => {
    const c = new FaultCase(fs, "replicas under load");
    await c.createGroups(3);
    await c.openSockets(2);
    await c.load(4);
    const r = await c.settleAndCheck();
    clean(r);
    expect(r.accepted).toBe(12);
  });

  // The worker apps crash from their consumer's failpoint: after the handler's side effects, before
  // the ack. The three run side by side (each judges its own groups) to keep the suite short.
  it.concurrent.each([
    ["orchestrator", "orchestrator:1"],
    ["executor", "1"],
    ["recorder", "3"],
  ] as const)(
    "kill -9 of an %s between its side effects and its ack",
    async (app, failpoint) => {
      const c = new FaultCase(fs, `kill -9 ${app} before ack`);
      const victim = fs.sys.app(app, 0);
      await terminateApp(victim);
      await restartApp(victim, { FAULT_CRASH_BEFORE_ACK: failpoint });
      await c.createGroups(2);
      await c.openSockets(2);
      const stop = c.startLoad({ gapMs: 300, max: 4 });
      expect(await victim.waitForExit(120_000), `${app} killed itself at the failpoint`).toBe(-1);
      c.faultEnded();
      await restartApp(victim, { FAULT_CRASH_BEFORE_ACK: undefined });
      await stop();
      clean(await c.settleAndCheck());
    },
    360_000,
  );

  it("kill -9 of an edge while posts are in flight (clients retry on the other with their idempotency key)", async () => {
    const c = new FaultCase(fs, "kill -9 edge mid-post");
    await c.createGroups(3);
    await c.openSockets(2);
    const loading = c.load(5, { gapMs: 100 });
    await waitUntil("a few posts accepted", () => c.accepted.length >= 3, 30_000);
    fs.sys.app("edge", 0).kill("SIGKILL");
    await fs.sys.app("edge", 0).waitForExit();
    c.faultEnded();
    await loading;
    await restartApp(fs.sys.app("edge", 0));
    const r = await c.settleAndCheck();
    clean(r);
    // Every post got its 202 in the end, from one edge or the other.
    expect(c.attempts.filter((a) => a.status > 0 && a.status !== 202 && a.status < 500)).toEqual([]);
    expect(r.accepted).toBe(15);
  }, 300_000);

  it("kill -9 of a fanout with sockets streaming (they resume on the other after their last seq)", async () => {
    const c = new FaultCase(fs, "kill -9 fanout mid-stream");
    await c.createGroups(3);
    const sockets = await c.openSockets(4);
    const stop = c.startLoad({ gapMs: 150, max: 5 });
    await new Promise((r) => setTimeout(r, 1000));
    fs.sys.app("fanout", 0).kill("SIGKILL");
    await fs.sys.app("fanout", 0).waitForExit();
    c.faultEnded();
    await stop();
    await restartApp(fs.sys.app("fanout", 0));
    clean(await c.settleAndCheck());
    expect(
      sockets.filter((s) => s.reconnects > 0).length,
      "the killed fanout's sockets reconnected",
    ).toBeGreaterThan(0);
  }, 300_000);

  it("a rolling SIGTERM restart of every app, under load", async () => {
    const c = new FaultCase(fs, "rolling SIGTERM restart");
    await c.createGroups(2);
    await c.openSockets(2);
    const stop = c.startLoad({ gapMs: 800, max: 30 });
    // In two waves, so at least one replica of each app keeps serving while the others restart.
    const exits: string[] = [];
    const waves = [
      [0, 2],
      [1, 3],
    ];
    for (const [wave, w] of waves.entries()) {
      const batch = (Object.keys(REPLICAS) as AppName[]).flatMap((a) =>
        (w ?? []).filter((i) => i < REPLICAS[a]).map((i) => fs.sys.app(a, i)),
      );
      await Promise.all(
        batch.map(async (p) => {
          exits.push(`${p.app} (wave ${wave}): ${await terminateApp(p)}`);
          await restartApp(p);
        }),
      );
    }
    c.faultEnded();
    await stop();
    clean(await c.settleAndCheck());
    // Each one drained and exited cleanly within its grace period.
    expect(exits.filter((e) => !e.endsWith(": 0"))).toEqual([]);
  }, 420_000);
});
