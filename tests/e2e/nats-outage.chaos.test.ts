import { setTimeout as sleep } from "node:timers/promises";
import {
  type OwnNatsServer,
  startOwnNatsServer,
  startSystem,
  type TestSystem,
  waitUntil,
} from "@conclave/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

let nats: OwnNatsServer;
let sys: TestSystem;

beforeAll(async () => {
  nats = await startOwnNatsServer();
  sys = await startSystem({ natsUrl: nats.url, env: { PUBLISH_TIMEOUT_MS: "1500" } });
});
afterAll(async () => {
  await sys?.stop();
  await nats?.dispose();
});

describe("a nats-server outage", () => {
  it("answers 503, never 202, while NATS is down, and loses nothing that got 202", async () => {
    const created = await sys.post("/v1/groups", { name: "outage", agents: [{ name: "Ada" }] });
    const groupId = (created.body as { id: string }).id;
    const before = await sys.post(`/v1/groups/${groupId}/messages`, { content: "before" });
    expect(before.status).toBe(202);

    await nats.kill();
    await sleep(300);
    const during = await Promise.all(
      [1, 2, 3].map((i) => sys.post(`/v1/groups/${groupId}/messages`, { content: `during ${i}` })),
    );
    expect(during.map((r) => r.status)).toEqual([503, 503, 503]);
    expect(during[0]?.body).toMatchObject({ status: 503, title: "unavailable" });
    const ready = await fetch(`${sys.edgeUrl}/readyz`);
    expect(ready.status).toBe(503);

    await nats.restart();
    await waitUntil(
      "the edge and the fanout to be ready again",
      async () =>
        (await fetch(`${sys.edgeUrl}/readyz`)).status === 200 &&
        (await fetch(`${sys.fanoutUrl}/readyz`)).status === 200,
      20_000,
    );
    const after = await sys.post(`/v1/groups/${groupId}/messages`, { content: "after" });
    expect(after.status).toBe(202);

    const client = await sys.openStream();
    // Right after a restart JetStream may still be recovering its streams: retry until it serves.
    await waitUntil("a subscription", () => client.subscribe(groupId, 0).then(() => true), 30_000, 500);
    await client.waitFor(
      "both turns to end",
      () => client.events(groupId).filter((f) => f.event?.type === "turn.completed").length === 2,
      60_000,
    );
    await sleep(300);
    const posted = client
      .events(groupId)
      .filter((f) => f.event?.type === "message.posted")
      .map((f) => f.event?.payload.content);
    // Nothing answered 503 was published late on reconnect.
    expect(posted).toEqual(["before", "after"]);
    await client.close();
  });
});
