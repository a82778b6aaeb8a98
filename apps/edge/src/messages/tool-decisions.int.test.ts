import { createHash } from "node:crypto";
import { jetstreamManager, type KV, Kvm } from "@conclave/bus";
import { events } from "@conclave/db";
import { deriveEventId, newEventId } from "@conclave/subjects";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EdgeResponse, startTestEdge, type TestEdge, type TestEdgeUser } from "../test-edge.js";

// The edge alone: no executor, orchestrator or recorder runs, so each test writes what those would
// have (the recorded approval request, the orchestrator's state) on groups of its own.
let edge: TestEdge;
let owner: TestEdgeUser;
let member: TestEdgeUser;
let viewer: TestEdgeUser;
let outsider: TestEdgeUser;
let turnState: KV;

beforeAll(async () => {
  edge = await startTestEdge();
  [owner, member, viewer, outsider] = [
    await edge.register(),
    await edge.register(),
    await edge.register(),
    await edge.register(),
  ];
  turnState = await new Kvm(edge.bus.nc).open(edge.bus.names.bucket("turns"));
});
afterAll(async () => {
  await edge?.stop();
});

const post = (path: string, body: unknown, token = member.token) =>
  edge.request("POST", path, { body, token });

function expectProblem(res: EdgeResponse, status: number) {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.type).toMatch(/^application\/problem\+json/);
}

const callKey = () => createHash("sha256").update(newEventId()).digest("hex");

/** A group with `member` and `viewer`, and the outsider as a member only when asked. */
async function newGroup(withOutsider = false): Promise<string> {
  const res = await post("/v1/groups", { name: `g-${newEventId()}` }, owner.token);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  const groupId = res.body.id as string;
  const people = [
    [member, "member"],
    [viewer, "viewer"],
    ...(withOutsider ? [[outsider, "member"] as const] : []),
  ] as const;
  for (const [who, role] of people)
    expect(
      (await post(`/v1/groups/${groupId}/members`, { email: who.email, role }, owner.token)).status,
    ).toBe(201);
  return groupId;
}

/** What the recorder writes for the executor's `tool.approval_requested`. */
async function recordApprovalRequest(groupId: string, turnId: string, key: string) {
  await edge.db.db.insert(events).values({
    id: newEventId(),
    seq: 1,
    groupId,
    turnId,
    causationId: null,
    type: "tool.approval_requested",
    v: 1,
    actor: { kind: "agent", id: newEventId(), name: "Toolsmith" },
    payload: { agentId: newEventId(), step: 0, callId: "c1", name: "run_js", args: {}, key },
    at: new Date().toISOString(),
  });
}

async function decisions(groupId: string) {
  const jsm = await jetstreamManager(edge.bus.nc);
  const info = await jsm.streams.info(edge.bus.names.stream("conv"), {
    subjects_filter: edge.bus.names.groupFilter(groupId),
  });
  return Object.keys(info.state.subjects ?? {}).filter((s) => /tool\.(approved|denied)$/.test(s));
}

describe("POST /v1/groups/:groupId/turns/:turnId/tool-decisions", () => {
  it("refuses a decision made under another group's path, and the real one still counts", async () => {
    const target = await newGroup();
    const attackers = await newGroup(true);
    const turnId = newEventId();
    const key = callKey();
    await recordApprovalRequest(target, turnId, key);

    // A member of another group (and no member of this one) names this group's turn and call.
    const forged = await post(
      `/v1/groups/${attackers}/turns/${turnId}/tool-decisions`,
      { key, approve: false, reason: "nope" },
      outsider.token,
    );
    expectProblem(forged, 404);
    expect(await decisions(attackers)).toEqual([]);
    expectProblem(
      await post(
        `/v1/groups/${target}/turns/${turnId}/tool-decisions`,
        { key, approve: false },
        outsider.token,
      ),
      404,
    );

    const real = await post(`/v1/groups/${target}/turns/${turnId}/tool-decisions`, { key, approve: true });
    expect(real.status, JSON.stringify(real.body)).toBe(202);
    expect(real.body.duplicate).toBe(false);
    const again = await post(`/v1/groups/${target}/turns/${turnId}/tool-decisions`, { key, approve: false });
    expect(again.body).toEqual({ seq: real.body.seq, duplicate: true });
    const jsm = await jetstreamManager(edge.bus.nc);
    const stored = await jsm.streams.getMessage(edge.bus.names.stream("conv"), {
      seq: real.body.seq as number,
    });
    expect(stored?.json()).toMatchObject({
      id: deriveEventId(turnId, `decision:${target}:${key}`),
      type: "tool.approved",
      groupId: target,
      turnId,
      actor: { kind: "user", id: member.accountId },
      payload: { key },
    });
  });

  it("answers 404 for a turn the group never had or a call that never asked, and 403 to viewers", async () => {
    const groupId = await newGroup();
    const turnId = newEventId();
    const key = callKey();
    await recordApprovalRequest(groupId, turnId, key);
    const started = Date.now();
    expectProblem(
      await post(`/v1/groups/${groupId}/turns/${newEventId()}/tool-decisions`, { key, approve: true }),
      404,
    );
    // It waited a moment for a request recorded late, not long.
    expect(Date.now() - started).toBeLessThan(10_000);
    expectProblem(
      await post(`/v1/groups/${groupId}/turns/${turnId}/tool-decisions`, { key: callKey(), approve: true }),
      404,
    );
    expectProblem(
      await post(
        `/v1/groups/${groupId}/turns/${turnId}/tool-decisions`,
        { key, approve: true },
        viewer.token,
      ),
      403,
    );
    expect(await decisions(groupId)).toEqual([]);
  });

  it("accepts a call the orchestrator holds as waiting before the recorder has it", async () => {
    const groupId = await newGroup();
    const turnId = newEventId();
    const key = callKey();
    await turnState.put(
      groupId,
      JSON.stringify({
        active: {
          turnId,
          messageId: newEventId(),
          loops: { [newEventId()]: { pending: { c1: { name: "run_js", key, awaiting: true } } } },
        },
        recent: [],
      }),
    );
    const res = await post(`/v1/groups/${groupId}/turns/${turnId}/tool-decisions`, { key, approve: true });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    // The same call not waiting (its tool needs no approval) is no call to decide.
    const other = await newGroup();
    const running = newEventId();
    await turnState.put(
      other,
      JSON.stringify({
        active: { turnId: running, messageId: newEventId(), loops: { a: { pending: { c1: { key } } } } },
        recent: [],
      }),
    );
    expectProblem(
      await post(`/v1/groups/${other}/turns/${running}/tool-decisions`, { key, approve: true }),
      404,
    );
  });

  it("waits a moment for a request recorded just after the decision arrives", async () => {
    const groupId = await newGroup();
    const turnId = newEventId();
    const key = callKey();
    const pending = post(`/v1/groups/${groupId}/turns/${turnId}/tool-decisions`, { key, approve: true });
    await new Promise((r) => setTimeout(r, 150));
    await recordApprovalRequest(groupId, turnId, key);
    const res = await pending;
    expect(res.status, JSON.stringify(res.body)).toBe(202);
  });
});
