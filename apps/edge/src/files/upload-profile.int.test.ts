import { monitorEventLoopDelay } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { Objm } from "@conclave/bus";
import { PROFILE_VALUE_CHARS, profileCsv } from "@conclave/tools";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestEdge, type TestEdge, type TestEdgeUser } from "../test-edge.js";

const MAX_FILE_BYTES = 5 * 1024 * 1024;

let edge: TestEdge;
let user: TestEdgeUser;
let groupId: string;

beforeAll(async () => {
  edge = await startTestEdge({ MAX_FILE_BYTES: String(MAX_FILE_BYTES) });
  user = await edge.register();
  const group = await edge.request("POST", "/v1/groups", { body: { name: "files" }, token: user.token });
  expect(group.status).toBe(201);
  groupId = group.body.id as string;
});
afterAll(async () => {
  // The test bus removes streams and KV buckets, not object stores.
  await new Objm(edge.bus.nc)
    .open(edge.bus.names.bucket("files"))
    .then((os) => os.destroy())
    .catch(() => undefined);
  await edge?.stop();
});

async function upload(csv: string) {
  const res = await edge.app.request(`/v1/groups/${groupId}/files?name=big.csv`, {
    method: "POST",
    headers: { authorization: `Bearer ${user.token}`, "content-type": "text/csv" },
    body: csv,
  });
  return { status: res.status, text: await res.text() };
}

/** About 4 MiB of rows with many distinct values: seconds of profiling on a busy machine. */
function bigCsv(): string {
  const rows = ["id,name,city,amount,when"];
  for (let i = 0; i < 99_000; i++)
    rows.push(
      `${i},person-${(i * 7919) % 99_991}-x,city${i % 50},${(i % 1000) / 10},2024-0${(i % 9) + 1}-1${i % 10}`,
    );
  return rows.join("\n");
}

describe("uploading a large CSV", () => {
  it("profiles it off the event loop: other requests keep being answered", async () => {
    const csv = bigCsv();
    // What profiling costs on this machine right now, on the event loop: the old edge's stall.
    const t0 = performance.now();
    profileCsv(csv, { maxBytes: MAX_FILE_BYTES });
    const inline = performance.now() - t0;
    expect(inline).toBeGreaterThan(100);
    // The profiler's thread starts on first use: warm it so the measure is of profiling alone.
    expect((await upload("a,b\n1,2\n")).status).toBe(201);

    const delay = monitorEventLoopDelay({ resolution: 10 });
    let slowestHealth = 0;
    let healthChecks = 0;
    let done = false;
    const probe = (async () => {
      while (!done) {
        const t = performance.now();
        const res = await edge.app.request("/healthz");
        expect(res.status).toBe(200);
        slowestHealth = Math.max(slowestHealth, performance.now() - t);
        healthChecks++;
        await sleep(10);
      }
    })();
    delay.enable();
    const res = await upload(csv);
    delay.disable();
    done = true;
    await probe;
    expect(res.status, res.text.slice(0, 500)).toBe(201);
    const stalled = delay.max / 1e6;
    // Against the inline cost measured on the same box: a loaded machine slows both (inline took
    // 3-11 s here, the old edge stalled that long; off the loop the stall is 0.1-0.6 s of reading).
    const bound = inline / 4;
    expect(stalled, `event loop stalled ${stalled} ms; profiling inline takes ${inline} ms`).toBeLessThan(
      bound,
    );
    expect(slowestHealth, `slowest /healthz ${slowestHealth} ms`).toBeLessThan(bound);
    expect(healthChecks).toBeGreaterThan(1);
  });

  it("keeps the profile small when a cell is 4 MiB: values are cut with a marker", async () => {
    const huge = "x".repeat(4 * 1024 * 1024);
    const res = await upload(`note,n\n${huge},1\nshort,2\n`);
    expect(res.status).toBe(201);
    expect(res.text.length).toBeLessThan(10_000);
    const file = JSON.parse(res.text) as {
      id: string;
      profile: { columns: { name: string; top?: { value: string; count: number }[] }[] };
    };
    const top = file.profile.columns[0]?.top ?? [];
    expect(top.map((t) => t.value.length).sort((a, b) => a - b)).toEqual([5, PROFILE_VALUE_CHARS + 1]);
    expect(top.find((t) => t.value.length > 5)?.value).toBe(`${"x".repeat(PROFILE_VALUE_CHARS)}…`);
    const got = await edge.app.request(`/v1/groups/${groupId}/files/${file.id}`, {
      headers: { authorization: `Bearer ${user.token}` },
    });
    expect(got.status).toBe(200);
    expect((await got.text()).length).toBeLessThan(10_000);
  });
});
