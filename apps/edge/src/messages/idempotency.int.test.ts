import { messages } from "@conclave/db";

import { newEventId } from "@conclave/subjects";
import { quietLogger } from "@conclave/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEdge, loadConfig } from "../app.js";
import { type EdgeResponse, startTestEdge, type TestEdge, type TestEdgeUser } from "../test-edge.js";

// The edge alone (no recorder): the stored event in the stream is what a retry is compared with.
let edge: TestEdge;
let owner: TestEdgeUser;

beforeAll(async () => {
  edge = await startTestEdge();
  owner = await edge.register();
});
afterAll(async () => {
  await edge?.stop();
});

async function newGroup(settings: object = {}): Promise<string> {
  const res = await edge.request("POST", "/v1/groups", {
    body: { name: `g-${newEventId()}`, settings, agents: [{ name: "Ada" }] },
    token: owner.token,
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id as string;
}

const post = (groupId: string, body: object, key: string) =>
  edge.request("POST", `/v1/groups/${groupId}/messages`, {
    body,
    token: owner.token,
    headers: { "idempotency-key": key },
  });

function expectKeyReused(res: EdgeResponse) {
  expect(res.status, JSON.stringify(res.body)).toBe(422);
  expect(res.type).toMatch(/^application\/problem\+json/);
  expect(res.body.errors).toEqual([{ path: "header.idempotency-key", message: expect.any(String) }]);
}

describe("an Idempotency-Key reused with another body", () => {
  for (const concurrentInput of ["enqueue", "reject"]) {
    it(`is a 422, while the same body still answers the first ids (${concurrentInput})`, async () => {
      const groupId = await newGroup({ concurrentInput });
      const key = `k-${newEventId()}`;
      const first = await post(groupId, { content: "pay 10" }, key);
      expect(first.status, JSON.stringify(first.body)).toBe(202);
      expectKeyReused(await post(groupId, { content: "pay 1000" }, key));
      expectKeyReused(await post(groupId, { content: "pay 10", authorName: "Mallory" }, key));
      const retry = await post(groupId, { content: "  pay 10 " }, key);
      expect(retry.status).toBe(202);
      expect(retry.body).toEqual(first.body);
    });
  }

  it("is a 422 once the first post is recorded (reject policy reads the read model first)", async () => {
    const groupId = await newGroup({ concurrentInput: "reject" });
    const key = `k-${newEventId()}`;
    const first = await post(groupId, { content: "once" }, key);
    const { messageId, turnId, seq } = first.body as { messageId: string; turnId: string; seq: number };
    await edge.db.db.insert(messages).values({
      id: messageId,
      groupId,
      turnId,
      seq,
      type: "message.posted",
      authorKind: "user",
      authorId: owner.accountId,
      content: "once",
      at: new Date().toISOString(),
    });
    expectKeyReused(await post(groupId, { content: "twice" }, key));
    expect((await post(groupId, { content: "once" }, key)).body).toEqual(first.body);
  });

  it("is refused across two edge replicas posting at once: one 202, the other 422", async () => {
    const second = await createEdge({
      config: loadConfig({ CONCLAVE_NS: edge.bus.names.ns }),
      nc: edge.bus.nc,
      db: edge.db,
      log: quietLogger("edge-2"),
    });
    const groupId = await newGroup();
    for (let round = 0; round < 5; round++) {
      const key = `k-${newEventId()}`;
      const init = (content: string): RequestInit => ({
        method: "POST",
        headers: {
          authorization: `Bearer ${owner.token}`,
          "content-type": "application/json",
          "idempotency-key": key,
        },
        body: JSON.stringify({ content }),
      });
      const answers = await Promise.all([
        edge.app.request(`/v1/groups/${groupId}/messages`, init("left")),
        second.request(`/v1/groups/${groupId}/messages`, init("right")),
      ]);
      expect(answers.map((r) => r.status).sort()).toEqual([202, 422]);
    }
  });
});
