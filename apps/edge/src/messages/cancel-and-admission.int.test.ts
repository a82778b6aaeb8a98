import { jetstreamManager, type KV, Kvm } from "@conclave/bus";
import { messages, turns } from "@conclave/db";
import { deriveEventId, newEventId } from "@conclave/subjects";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EdgeResponse, startTestEdge, type TestEdge, type TestEdgeUser } from "../test-edge.js";
import { CLAIM_STALE_MS } from "./claim-group.js";

// The edge alone: no recorder or orchestrator runs, so each test writes the rows and the turn
// state those would have written, on its own group.
let edge: TestEdge;
let owner: TestEdgeUser;
let member: TestEdgeUser;
let viewer: TestEdgeUser;
let stranger: TestEdgeUser;
let inflight: KV;
let turnState: KV;

beforeAll(async () => {
  edge = await startTestEdge();
  [owner, member, viewer, stranger] = [
    await edge.register(),
    await edge.register(),
    await edge.register(),
    await edge.register(),
  ];
  const kvm = new Kvm(edge.bus.nc);
  inflight = await kvm.open(edge.bus.names.bucket("inflight"));
  turnState = await kvm.open(edge.bus.names.bucket("turns"));
});
afterAll(async () => {
  await edge?.stop();
});

const post = (path: string, body: unknown, token = owner.token, headers: Record<string, string> = {}) =>
  edge.request("POST", path, { body, token, headers });

function expectProblem(res: EdgeResponse, status: number) {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.type).toMatch(/^application\/problem\+json/);
}

async function newGroup(settings: object = {}): Promise<string> {
  const res = await post("/v1/groups", { name: `g-${newEventId()}`, settings, agents: [{ name: "Ada" }] });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  const groupId = res.body.id as string;
  for (const [who, role] of [
    [member, "member"],
    [viewer, "viewer"],
  ] as const)
    expect((await post(`/v1/groups/${groupId}/members`, { email: who.email, role })).status).toBe(201);
  return groupId;
}

async function recordTurn(groupId: string, status: "queued" | "running" | "completed" | "failed") {
  const turnId = newEventId();
  await edge.db.db.insert(turns).values({ id: turnId, groupId, messageId: newEventId(), status });
  return turnId;
}

async function lastCancel(groupId: string) {
  const jsm = await jetstreamManager(edge.bus.nc);
  const subject = edge.bus.names.convSubject(groupId, "turn.cancel_requested");
  const msg = await jsm.streams.getMessage(edge.bus.names.stream("conv"), { last_by_subj: subject });
  return msg ? { seq: msg.seq, event: msg.json<Record<string, unknown>>() } : undefined;
}

describe("POST /v1/groups/:groupId/turns/:turnId/cancel", () => {
  it("lets members and owners ask, refuses viewers (403) and hides the group from strangers (404)", async () => {
    const groupId = await newGroup();
    const turnId = await recordTurn(groupId, "running");
    const path = `/v1/groups/${groupId}/turns/${turnId}/cancel`;
    expectProblem(await post(path, {}, viewer.token), 403);
    expectProblem(await post(path, {}, stranger.token), 404);
    expectProblem(await edge.request("POST", path, { body: {} }), 401);
    expect(await lastCancel(groupId)).toBeUndefined();

    const res = await post(path, { reason: "off topic" }, member.token);
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(res.body).toEqual({ turnId, status: "cancel_requested" });
    const first = await lastCancel(groupId);
    expect(first?.event).toMatchObject({
      id: deriveEventId(turnId, "cancel"),
      type: "turn.cancel_requested",
      groupId,
      turnId,
      causationId: null,
      actor: { kind: "user", id: member.accountId },
      payload: { reason: "off topic" },
    });
    // Asking again (the owner, without a body) publishes nothing new.
    const again = await edge.request("POST", path, { token: owner.token });
    expect(again.status).toBe(202);
    expect((await lastCancel(groupId))?.seq).toBe(first?.seq);
  });

  it("answers 404 for a turn the group does not know and 409 for one that ended", async () => {
    const groupId = await newGroup();
    expectProblem(await post(`/v1/groups/${groupId}/turns/${newEventId()}/cancel`, {}), 404);
    for (const status of ["completed", "failed"] as const) {
      const turnId = await recordTurn(groupId, status);
      const res = await post(`/v1/groups/${groupId}/turns/${turnId}/cancel`, {});
      expectProblem(res, 409);
      expect(res.body.detail).toMatch(/turn already ended/);
    }
    // A turn of another group is not this group's.
    const other = await newGroup();
    const theirs = await recordTurn(other, "running");
    expectProblem(await post(`/v1/groups/${groupId}/turns/${theirs}/cancel`, {}), 404);
    expectProblem(
      await post(`/v1/groups/${groupId}/turns/${newEventId()}/cancel`, { reason: "x".repeat(1001) }),
      400,
    );
    expectProblem(await post(`/v1/groups/${groupId}/turns/not-a-uuid/cancel`, {}), 400);
    expect(await lastCancel(groupId)).toBeUndefined();
  });

  it("accepts a queued turn, and one accepted but not yet in the turns table", async () => {
    const groupId = await newGroup();
    const queued = await recordTurn(groupId, "queued");
    expect((await post(`/v1/groups/${groupId}/turns/${queued}/cancel`, {})).status).toBe(202);

    // Only its message is recorded yet.
    const posted = await post(`/v1/groups/${groupId}/messages`, { content: "hello" });
    const turnId = posted.body.turnId as string;
    await edge.db.db.insert(messages).values({
      id: posted.body.messageId as string,
      groupId,
      turnId,
      seq: posted.body.seq as number,
      type: "message.posted",
      authorKind: "user",
      authorId: owner.accountId,
      content: "hello",
      at: new Date().toISOString(),
    });
    expect((await post(`/v1/groups/${groupId}/turns/${turnId}/cancel`, {})).status).toBe(202);

    // Only the orchestrator knows it (running, nothing recorded).
    const running = newEventId();
    await turnState.put(
      groupId,
      JSON.stringify({ active: { turnId: running, messageId: newEventId() }, recent: [] }),
    );
    expect((await post(`/v1/groups/${groupId}/turns/${running}/cancel`, {})).status).toBe(202);
    expect((await lastCancel(groupId))?.event.turnId).toBe(running);
  });
});

describe("admission under the reject policy", () => {
  const postMessage = (groupId: string, content: string, headers: Record<string, string> = {}) =>
    post(`/v1/groups/${groupId}/messages`, { content }, owner.token, headers);
  const claimOf = async (groupId: string) => {
    const e = await inflight.get(groupId);
    return e?.operation === "PUT" ? e.json<{ messageId: string; eventId: string; at: string }>() : undefined;
  };

  it("admits one of five concurrent posts to an idle group and refuses the others with 409", async () => {
    const groupId = await newGroup({ concurrentInput: "reject" });
    const res = await Promise.all([1, 2, 3, 4, 5].map((i) => postMessage(groupId, `post ${i}`)));
    expect(res.map((r) => r.status).sort()).toEqual([202, 409, 409, 409, 409]);
    const accepted = res.find((r) => r.status === 202);
    for (const r of res.filter((x) => x.status === 409)) {
      expect(r.type).toMatch(/^application\/problem\+json/);
      expect(r.body.detail).toMatch(/concurrentInput policy is reject/);
    }
    expect(await claimOf(groupId)).toMatchObject({
      messageId: accepted?.body.messageId,
      eventId: accepted?.body.messageId,
    });
  });

  it("refuses while the claimed turn runs, naming it, and frees a claim whose turn is over", async () => {
    const groupId = await newGroup({ concurrentInput: "reject" });
    const first = await postMessage(groupId, "first");
    expect(first.status).toBe(202);
    const { messageId, turnId } = first.body as { messageId: string; turnId: string };
    await turnState.put(
      groupId,
      JSON.stringify({ cursor: 1, active: { turnId, messageId }, recent: [messageId] }),
    );
    const refused = await postMessage(groupId, "second");
    expectProblem(refused, 409);
    expect(refused.body.detail).toContain(turnId);

    // The turn ended but its claim was not released: the orchestrator's state proves it stale.
    await turnState.put(groupId, JSON.stringify({ cursor: 2, active: null, recent: [messageId] }));
    const next = await postMessage(groupId, "third");
    expect(next.status, JSON.stringify(next.body)).toBe(202);
    expect((await claimOf(groupId))?.messageId).toBe(next.body.messageId);
  });

  it("frees a claim left by an edge that died before publishing", async () => {
    const groupId = await newGroup({ concurrentInput: "reject" });
    const orphan = newEventId();
    const at = (ms: number) => new Date(Date.now() - ms).toISOString();
    await inflight.put(groupId, JSON.stringify({ messageId: orphan, eventId: orphan, at: at(1000) }));
    expectProblem(await postMessage(groupId, "too soon"), 409);
    await inflight.put(
      groupId,
      JSON.stringify({ messageId: orphan, eventId: orphan, at: at(CLAIM_STALE_MS + 1000) }),
    );
    const res = await postMessage(groupId, "later");
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect((await claimOf(groupId))?.messageId).toBe(res.body.messageId);
  });

  it("answers a retried post its original 202, while its turn holds the group and after", async () => {
    const groupId = await newGroup({ concurrentInput: "reject" });
    const key = { "idempotency-key": `k-${newEventId()}` };
    const first = await postMessage(groupId, "once", key);
    expect(first.status).toBe(202);
    const retry = await postMessage(groupId, "once", key);
    expect(retry.status).toBe(202);
    expect(retry.body).toEqual(first.body);
    expectProblem(await postMessage(groupId, "someone else"), 409);

    // Recorded, its turn over, and another message now holds the group: still the same answer.
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
    await turnState.put(groupId, JSON.stringify({ active: null, recent: [messageId] }));
    const other = await postMessage(groupId, "next");
    expect(other.status).toBe(202);
    const late = await postMessage(groupId, "once", key);
    expect(late.status).toBe(202);
    expect(late.body).toEqual(first.body);
    expect((await claimOf(groupId))?.messageId).toBe(other.body.messageId);
  });

  it("takes no claim for the enqueue and interrupt policies", async () => {
    for (const concurrentInput of ["enqueue", "interrupt"]) {
      const groupId = await newGroup({ concurrentInput });
      const res = await Promise.all([1, 2, 3].map((i) => postMessage(groupId, `post ${i}`)));
      expect(res.map((r) => r.status)).toEqual([202, 202, 202]);
      expect(await claimOf(groupId)).toBeUndefined();
    }
  });
});
