import { connectBus, type NatsConnection } from "@conclave/bus";
import { type DbHandle, openDb } from "@conclave/db";
import { createAppMetrics } from "@conclave/metrics";
import { withOps } from "@conclave/runtime";
import {
  type OwnNatsServer,
  type OwnPostgres,
  openProvisionedBus,
  quietLogger,
  startOwnNatsServer,
  startPostgres,
  type TestBus,
  uniqueNamespace,
  waitUntil,
} from "@conclave/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRecorder, loadConfig } from "./app.js";

interface Detailed {
  status: string;
  checks: Record<string, { status: string; responseMs: number; error?: string }>;
}

let nats: OwnNatsServer;
let pg: OwnPostgres;
let bus: TestBus;
let nc: NatsConnection;
let db: DbHandle;
let service: ReturnType<typeof withOps>;
let base: string;

beforeAll(async () => {
  [nats, pg] = await Promise.all([startOwnNatsServer(), startPostgres()]);
  bus = await openProvisionedBus(uniqueNamespace(), nats.url);
  db = await openDb({ url: pg.url, poolSize: 2 });
  await db.migrate();
  const log = quietLogger("recorder");
  nc = await connectBus({ url: nats.url, name: "recorder", log });
  const metrics = createAppMetrics("recorder");
  const recorder = createRecorder({
    config: loadConfig({ CONCLAVE_NS: bus.names.ns }),
    nc,
    db: db.db,
    log,
    metrics,
  });
  service = withOps(recorder, { metrics, nc, db, hostname: "127.0.0.1", port: 0, log });
  await service.start();
  base = `http://127.0.0.1:${service.opsPort}`;
});
afterAll(async () => {
  await service?.stop();
  await nc?.close().catch(() => undefined);
  await bus?.dispose().catch(() => undefined);
  await db?.close();
  await nats?.dispose();
  await pg?.close();
});

const detailed = async () => (await (await fetch(`${base}/health/detailed`)).json()) as Detailed;
const ready = async () => (await fetch(`${base}/readyz`)).status;

describe("the ops port when a dependency stops", () => {
  it("reports PostgreSQL down with its error in the very next check, and not ready; up again once back", async () => {
    const before = await detailed();
    expect(before.status).toBe("ok");
    expect(before.checks.postgres?.status).toBe("up");
    expect(await ready()).toBe(200);

    await pg.stop();
    const during = await detailed();
    expect(during.status).toBe("down");
    expect(during.checks.postgres?.status).toBe("down");
    expect(during.checks.postgres?.error).toEqual(expect.any(String));
    expect(during.checks.postgres?.error?.length).toBeGreaterThan(0);
    expect(during.checks.nats?.status).toBe("up");
    expect(await ready()).toBe(503);

    await pg.start();
    await waitUntil(
      "postgres up again",
      async () => (await detailed()).checks.postgres?.status === "up",
      30_000,
      200,
    );
    expect(await ready()).toBe(200);
  });

  it("reports NATS down with its error in the very next check, and not ready; up again once back", async () => {
    await nats.kill();
    const during = await detailed();
    expect(during.status).toBe("down");
    expect(during.checks.nats?.status).toBe("down");
    expect(during.checks.nats?.error?.length).toBeGreaterThan(0);
    expect(during.checks.consumers?.status).toBe("down");
    expect(await ready()).toBe(503);

    await nats.restart();
    await waitUntil("nats up again", async () => (await ready()) === 200, 60_000, 250);
    const after = await detailed();
    expect(after.checks.nats?.status).toBe("up");
    expect(after.checks.consumers?.status).toBe("up");
  });
});
