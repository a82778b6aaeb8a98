import { randomBytes } from "node:crypto";
import {
  BUS_USERS,
  type BusUser,
  busInboxPrefix,
  connectBus,
  type NatsConnection,
  natsAuthorizationConfig,
  type ObjectStore,
  Objm,
  provision,
} from "@conclave/bus";
import { AppError } from "@conclave/errors";
import { names, newEventId } from "@conclave/subjects";
import { type OwnNatsServer, quietLogger, startOwnNatsServer, uniqueNamespace } from "@conclave/testing";
import { runDataset } from "@conclave/tools";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDatasetStore } from "./dataset-store.js";

// A server that enforces each app's permissions: the executor reads files as its own NATS user.
const n = names(uniqueNamespace());
const passwords = Object.fromEntries(BUS_USERS.map((u) => [u, randomBytes(12).toString("hex")])) as Record<
  BusUser,
  string
>;
const admin = { user: "operator", password: randomBytes(12).toString("hex") };
let nats: OwnNatsServer;
let edge: NatsConnection;
let executor: NatsConnection;
let files: ObjectStore;

const as = (user: BusUser) =>
  connectBus({
    url: nats.url,
    name: `test-${user}`,
    user,
    password: passwords[user],
    inboxPrefix: busInboxPrefix(n.ns, user),
    log: quietLogger(),
  });

beforeAll(async () => {
  nats = await startOwnNatsServer({ config: natsAuthorizationConfig(n, passwords, admin), ...admin });
  const operator = await connectBus({ url: nats.url, name: "test-operator", ...admin, log: quietLogger() });
  await provision(operator, n).finally(() => operator.close());
  edge = await as("edge");
  files = await new Objm(edge).open(n.bucket("files"));
  executor = await as("executor");
});
afterAll(async () => {
  await edge?.close();
  await executor?.close();
  await nats?.dispose();
});

/** A CSV of many object-store chunks (128 KiB each). */
function bigCsv(rows: number): string {
  const lines = ["n,label,value,text"];
  for (let i = 0; i < rows; i++) lines.push(`${i},label-${i % 13},${i * 2},${"x".repeat(40)}`);
  return `${lines.join("\n")}\n`;
}

async function put(groupId: string, fileId: string, name: string, csv: string) {
  await files.putBlob(
    { name: `${groupId}/${fileId}`, metadata: { filename: name } },
    new TextEncoder().encode(csv),
  );
}

describe("the executor's dataset store", () => {
  const groupId = newEventId();
  const fileId = newEventId();
  const csv = bigCsv(70_000);

  beforeAll(async () => {
    // Past 3 MiB, the object store's own reader stalls for this user (flow control it may not answer).
    expect(csv.length).toBeGreaterThan(4 * 1024 * 1024);
    expect(csv.length).toBeLessThan(5 * 1024 * 1024);
    await put(groupId, fileId, "numbers.csv", csv);
  });

  it("reads a file of the group, every chunk, as the executor's NATS user", async () => {
    const store = createDatasetStore({ nc: executor, bucket: n.bucket("files") });
    expect(await store.get(groupId, fileId)).toEqual({ name: "numbers.csv", csvText: csv });
    const described = await runDataset(
      { store },
      { datasetId: fileId, action: "describe", limit: 100 },
      groupId,
    );
    expect(described).toMatchObject({ dataset: "numbers.csv", profile: { rows: 70_000 } });
  });

  it("finds nothing outside the caller's group, nor for ids that are not UUIDs", async () => {
    const store = createDatasetStore({ nc: executor, bucket: n.bucket("files") });
    expect(await store.get(newEventId(), fileId)).toBeUndefined();
    expect(await store.get(groupId, newEventId())).toBeUndefined();
    expect(await store.get(groupId, `${fileId}/../${fileId}`)).toBeUndefined();
    expect(await store.get(`${groupId}/x`, fileId)).toBeUndefined();
  });

  it("finds nothing once the file is deleted", async () => {
    const id = newEventId();
    await put(groupId, id, "gone.csv", "a\n1\n");
    const store = createDatasetStore({ nc: executor, bucket: n.bucket("files") });
    expect(await store.get(groupId, id)).toMatchObject({ name: "gone.csv" });
    await files.delete(`${groupId}/${id}`);
    expect(await store.get(groupId, id)).toBeUndefined();
  });

  it("refuses a file over its size limit before reading it", async () => {
    const store = createDatasetStore({ nc: executor, bucket: n.bucket("files"), maxBytes: 1024 });
    const e = await store.get(groupId, fileId).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(AppError);
    expect(e).toMatchObject({ code: "payload_too_large" });
  });

  it("reads an empty file", async () => {
    const id = newEventId();
    await put(groupId, id, "empty.csv", "");
    const store = createDatasetStore({ nc: executor, bucket: n.bucket("files") });
    expect(await store.get(groupId, id)).toEqual({ name: "empty.csv", csvText: "" });
  });
});
