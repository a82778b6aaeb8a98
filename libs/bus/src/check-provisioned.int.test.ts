import { openTestBus, type TestBus } from "@conclave/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertProvisioned } from "./check-provisioned.js";
import { BUS_USERS } from "./permissions.js";
import { provision } from "./provision.js";

let bus: TestBus;

beforeAll(async () => {
  bus = await openTestBus();
});
afterAll(async () => {
  await bus?.dispose();
});

describe("an app's start-up check of what it uses on the bus", () => {
  it("fails on a namespace nobody provisioned, naming what is missing and the command to run", async () => {
    const ns = bus.names.ns;
    await expect(assertProvisioned(bus.nc, bus.names, "orchestrator")).rejects.toThrow(
      new RegExp(
        `missing stream ${ns}_CONV.*consumer orchestrator of ${ns}_CONV.*run \`conclave provision\``,
      ),
    );
    await expect(assertProvisioned(bus.nc, bus.names, "edge")).rejects.toThrow(/KV_.*_limits.*OBJ_.*_files/);
  });

  it("passes for every app once provisioned", async () => {
    await provision(bus.nc, bus.names);
    for (const user of BUS_USERS) await assertProvisioned(bus.nc, bus.names, user);
  });
});
