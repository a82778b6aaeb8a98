import { createApiKey } from "@conclave/auth";
import { type JetStreamManager, jetstream, jetstreamManager, publishEnvelope } from "@conclave/bus";
import { messages, turns } from "@conclave/db";
import {
  type AnyEnvelope,
  type Envelope,
  type EventType,
  makeEnvelope,
  newEventId,
  type PayloadOf,
} from "@conclave/subjects";
import { quietLogger, waitUntil } from "@conclave/testing";
import type { OpenAPIHono } from "@hono/zod-openapi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEdge, loadConfig } from "../app.js";
import type { EdgeEnv } from "../http/env.js";
import { startTestEdge, type TestEdge, type TestEdgeUser } from "../test-edge.js";

// The edge alone: the test plays the orchestrator and the recorder, publishing a turn's events
// and writing its rows itself, and watches the consumers the waits make on the stream.
let edge: TestEdge;
let owner: TestEdgeUser;
let jsm: JetStreamManager;
let stream = "";

beforeAll(async () => {
  edge = await startTestEdge();
  owner = await edge.register();
  jsm = await jetstreamManager(edge.bus.nc);
  stream = edge.bus.names.stream("conv");
});
afterAll(async () => {
  await edge?.stop();
});

async function newGroup(): Promise<string> {
  const res = await edge.request("POST", "/v1/groups", {
    body: { name: `g-${newEventId()}`, agents: [{ name: `Ada-${newEventId().slice(-6)}` }] },
    token: owner.token,
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id as string;
}

const init = (token: string, body?: object, signal?: AbortSignal): RequestInit => ({
  method: body ? "POST" : "GET",
  headers: { authorization: `Bearer ${token}`, ...(body ? { "content-type": "application/json" } : {}) },
  ...(body ? { body: JSON.stringify(body) } : {}),
  ...(signal ? { signal } : {}),
});

async function call(app: OpenAPIHono<EdgeEnv>, path: string, options: RequestInit) {
  const res = await app.request(path, options);
  return {
    status: res.status,
    type: res.headers.get("content-type") ?? "",
    body: (await res.json()) as Record<string, unknown>,
  };
}

const feedConsumers = async () =>
  (await jsm.consumers.list(stream).next()).filter((c) => c.name.startsWith("feed_"));
const noFeedLeft = () =>
  waitUntil("no wait consumer left", async () => (await feedConsumers()).length === 0, 15_000);

async function lastPosted(groupId: string): Promise<Envelope<"message.posted"> | undefined> {
  const m = await jsm.streams
    .getMessage(stream, { last_by_subj: edge.bus.names.convSubject(groupId, "message.posted") })
    .catch(() => null);
  return m ? m.json<Envelope<"message.posted">>() : undefined;
}

async function publish<T extends EventType>(
  posted: Envelope<"message.posted">,
  type: T,
  payload: PayloadOf<T>,
  turnId = posted.turnId,
) {
  const e = makeEnvelope({
    id: newEventId(),
    type,
    groupId: posted.groupId,
    turnId,
    causationId: posted.id,
    actor: { kind: "system", id: "orchestrator" },
    payload,
  });
  // A generic envelope is one of the catalog's (the union needs telling).
  await publishEnvelope(jetstream(edge.bus.nc), edge.bus.names, e as unknown as AnyEnvelope);
  return e;
}

const replied = (content: string) => ({
  agentId: newEventId(),
  agentName: "Ada",
  content,
  provider: "scripted",
  model: "scripted-1",
  latencyMs: 2,
  usage: { inputTokens: 12, outputTokens: 4, cachedTokens: 0 },
});

describe("a post with ?wait=", () => {
  it("answers 200 with the finished turn once its outcome is in the stream, and removes its consumer", async () => {
    const groupId = await newGroup();
    const answer = call(
      edge.app,
      `/v1/groups/${groupId}/messages?wait=30`,
      init(owner.token, { content: "hi" }),
    );
    await waitUntil("the wait's consumer", async () => (await feedConsumers()).length === 1);
    const posted = await waitUntil("the message in the stream", () => lastPosted(groupId));
    await publish(posted, "turn.started", {
      messageId: posted.id,
      messageSeq: 1,
      strategy: "broadcast",
      agentIds: [],
      deadline: new Date(Date.now() + 60_000).toISOString(),
    });
    const reply = await publish(posted, "agent.replied", replied("the answer"));
    await publish(posted, "agent.replied", replied('{"choice":"x"}'));
    // Another turn's outcome in the same group does not end this wait.
    await publish(
      posted,
      "turn.completed",
      { messageId: newEventId(), replyIds: [], durationMs: 1 },
      newEventId(),
    );
    await publish(posted, "turn.completed", { messageId: posted.id, replyIds: [reply.id], durationMs: 42 });
    const res = await answer;
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({
      messageId: posted.id,
      turnId: posted.turnId,
      status: "completed",
      strategy: "broadcast",
      durationMs: 42,
      vote: null,
      usage: { inputTokens: 24, outputTokens: 8 },
    });
    expect((res.body.replies as { id: string; content: string }[]).map((r) => [r.id, r.content])).toEqual([
      [reply.id, "the answer"],
    ]);
    await noFeedLeft();
  });

  it("answers 202 with its ids and status after about the wait when the turn does not end", async () => {
    const groupId = await newGroup();
    const t0 = Date.now();
    const res = await call(
      edge.app,
      `/v1/groups/${groupId}/messages?wait=1`,
      init(owner.token, { content: "slow" }),
    );
    expect(Date.now() - t0).toBeGreaterThanOrEqual(950);
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    const posted = await lastPosted(groupId);
    expect(res.body).toEqual({
      messageId: posted?.id,
      turnId: posted?.turnId,
      seq: expect.any(Number),
      status: "queued",
    });
    await noFeedLeft();
  });

  it("stops waiting when the client goes away, and removes its consumer", async () => {
    const groupId = await newGroup();
    const gone = new AbortController();
    const answer = call(
      edge.app,
      `/v1/groups/${groupId}/messages?wait=60`,
      init(owner.token, { content: "bye" }, gone.signal),
    );
    await waitUntil("the wait's consumer", async () => (await feedConsumers()).length === 1);
    const t0 = Date.now();
    gone.abort();
    const res = await answer;
    expect(res.status).toBe(202);
    expect(Date.now() - t0).toBeLessThan(20_000);
    await noFeedLeft();
  });

  it("refuses a bad wait with a 400 naming query.wait and publishes nothing", async () => {
    const groupId = await newGroup();
    for (const wait of ["0", "-1", "60.5", "61", "abc", ""]) {
      const res = await call(
        edge.app,
        `/v1/groups/${groupId}/messages?wait=${wait}`,
        init(owner.token, { content: "no" }),
      );
      expect(res.status, `wait=${wait}`).toBe(400);
      expect(res.type).toMatch(/^application\/problem\+json/);
      expect((res.body.errors as { path: string }[]).map((e) => e.path)).toEqual(["query.wait"]);
    }
    expect(await lastPosted(groupId)).toBeUndefined();
  });

  it("is a 403 for a credential that may post but not read, before anything is published", async () => {
    const groupId = await newGroup();
    const { key } = await createApiKey(edge.db.db, {
      accountId: owner.accountId,
      name: "w",
      scopes: ["write"],
    });
    const res = await call(edge.app, `/v1/groups/${groupId}/messages?wait=5`, init(key, { content: "x" }));
    expect(res.status, JSON.stringify(res.body)).toBe(403);
    expect(await lastPosted(groupId)).toBeUndefined();
    // Without wait the same key posts as before.
    expect((await call(edge.app, `/v1/groups/${groupId}/messages`, init(key, { content: "x" }))).status).toBe(
      202,
    );
  });

  it("is a 404 for an outsider, publishing nothing", async () => {
    const groupId = await newGroup();
    const outsider = await edge.register();
    const res = await call(
      edge.app,
      `/v1/groups/${groupId}/messages?wait=5`,
      init(outsider.token, { content: "x" }),
    );
    expect(res.status).toBe(404);
    expect(await lastPosted(groupId)).toBeUndefined();
  });

  it("answers 202 at once on an edge whose EDGE_MAX_WAITS are all taken (the message is accepted)", async () => {
    const full = await createEdge({
      config: loadConfig({ CONCLAVE_NS: edge.bus.names.ns, EDGE_MAX_WAITS: "0" }),
      nc: edge.bus.nc,
      db: edge.db,
      log: quietLogger("edge-full"),
    });
    const groupId = await newGroup();
    const t0 = Date.now();
    const res = await call(
      full,
      `/v1/groups/${groupId}/messages?wait=30`,
      init(owner.token, { content: "x" }),
    );
    expect(res.status).toBe(202);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(res.body.status).toBe("queued");
    expect((await lastPosted(groupId))?.turnId).toBe(res.body.turnId);
    expect(await feedConsumers()).toEqual([]);
  });
});

describe("a turn's GET with ?wait=", () => {
  /** Posts without waiting and records the message and its turn as the recorder would. */
  async function recordedTurn(groupId: string, status: "queued" | "running" | "completed") {
    const res = await call(edge.app, `/v1/groups/${groupId}/messages`, init(owner.token, { content: "q" }));
    const { messageId, turnId, seq } = res.body as { messageId: string; turnId: string; seq: number };
    const at = new Date().toISOString();
    await edge.db.db.insert(messages).values({
      id: messageId,
      groupId,
      turnId,
      seq,
      type: "message.posted",
      authorKind: "user",
      authorId: owner.accountId,
      content: "q",
      at,
    });
    await edge.db.db.insert(turns).values({ id: turnId, groupId, messageId, status, postedAt: at });
    return { messageId, turnId, seq, posted: (await lastPosted(groupId)) as Envelope<"message.posted"> };
  }

  it("answers 200 at once for a turn that ended, read from the stream after its message", async () => {
    const groupId = await newGroup();
    const t = await recordedTurn(groupId, "completed");
    await publish(t.posted, "turn.failed", {
      messageId: t.messageId,
      reason: "cancelled",
      detail: "stopped",
      replyIds: [],
      durationMs: 7,
    });
    const res = await call(edge.app, `/v1/groups/${groupId}/turns/${t.turnId}?wait=20`, init(owner.token));
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({
      messageId: t.messageId,
      turnId: t.turnId,
      seq: t.seq,
      status: "failed",
      reason: "cancelled",
      detail: "stopped",
      strategy: null,
      replies: [],
    });
    await noFeedLeft();
  });

  it("answers 202 with the recorded status when the wait ends first", async () => {
    const groupId = await newGroup();
    const t = await recordedTurn(groupId, "running");
    const t0 = Date.now();
    const res = await call(edge.app, `/v1/groups/${groupId}/turns/${t.turnId}?wait=1`, init(owner.token));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(950);
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ messageId: t.messageId, turnId: t.turnId, seq: t.seq, status: "running" });
    // Without wait the route answers as before, from PostgreSQL.
    const plain = await call(edge.app, `/v1/groups/${groupId}/turns/${t.turnId}`, init(owner.token));
    expect(plain.status).toBe(200);
    expect(plain.body).toMatchObject({ id: t.turnId, status: "running", votes: [] });
    await noFeedLeft();
  });

  it("is a 404 for a turn the group does not have, and for an outsider; a bad wait is a 400", async () => {
    const groupId = await newGroup();
    const unknown = await call(
      edge.app,
      `/v1/groups/${groupId}/turns/${newEventId()}?wait=1`,
      init(owner.token),
    );
    expect(unknown.status).toBe(404);
    const t = await recordedTurn(groupId, "queued");
    const outsider = await edge.register();
    expect(
      (await call(edge.app, `/v1/groups/${groupId}/turns/${t.turnId}?wait=1`, init(outsider.token))).status,
    ).toBe(404);
    const bad = await call(edge.app, `/v1/groups/${groupId}/turns/${t.turnId}?wait=0`, init(owner.token));
    expect(bad.status).toBe(400);
    expect((bad.body.errors as { path: string }[]).map((e) => e.path)).toEqual(["query.wait"]);
  });
});
