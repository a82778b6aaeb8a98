import { and, eq, groupMembers } from "@conclave/db";
import { newEventId } from "@conclave/subjects";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EdgeResponse, startTestEdge, type TestEdge, type TestEdgeUser } from "../test-edge.js";

// The edge alone on real PostgreSQL: membership changes race each other through the HTTP routes.
let edge: TestEdge;
let owner: TestEdgeUser;

beforeAll(async () => {
  edge = await startTestEdge();
  owner = await edge.register();
});
afterAll(async () => {
  await edge?.stop();
});

const call = (method: string, path: string, token: string, body?: unknown) =>
  edge.request(method, path, { token, ...(body === undefined ? {} : { body }) });

function expectProblem(res: EdgeResponse, status: number, paths: string[] = []) {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.type).toMatch(/^application\/problem\+json/);
  const errors = (res.body.errors as { path: string }[] | undefined) ?? [];
  for (const p of paths) expect(errors.map((e) => e.path)).toContain(p);
}

async function newGroup(): Promise<string> {
  const res = await call("POST", "/v1/groups", owner.token, { name: `g-${newEventId()}` });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id as string;
}

async function join(groupId: string, who: TestEdgeUser, role: "owner" | "member" | "viewer") {
  const res = await call("POST", `/v1/groups/${groupId}/members`, owner.token, { email: who.email, role });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
}

async function owners(groupId: string): Promise<string[]> {
  const rows = await edge.db.db
    .select({ accountId: groupMembers.accountId })
    .from(groupMembers)
    .where(and(eq(groupMembers.groupId, groupId), eq(groupMembers.role, "owner")));
  return rows.map((r) => r.accountId);
}

/** A new agent of `who`'s, seated in the group by them (they must own the group). */
async function seatOwnAgent(groupId: string, who: TestEdgeUser, name: string): Promise<string> {
  const created = await call("POST", "/v1/agents", who.token, { name });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const agentId = created.body.id as string;
  const seated = await call("POST", `/v1/groups/${groupId}/agents`, who.token, { agentId });
  expect(seated.status, JSON.stringify(seated.body)).toBe(201);
  return agentId;
}

async function seatedIds(groupId: string): Promise<string[]> {
  const res = await call("GET", `/v1/groups/${groupId}/agents`, owner.token);
  expect(res.status).toBe(200);
  return (res.body.items as { id: string }[]).map((a) => a.id);
}

describe("the last owner of a group", () => {
  it("is never demoted when two owners demote each other at once", async () => {
    for (let round = 0; round < 5; round++) {
      const groupId = await newGroup();
      const other = await edge.register();
      await join(groupId, other, "owner");
      const [a, b] = await Promise.all([
        call("PATCH", `/v1/groups/${groupId}/members/${other.accountId}`, owner.token, { role: "member" }),
        call("PATCH", `/v1/groups/${groupId}/members/${owner.accountId}`, other.token, { role: "member" }),
      ]);
      expect([a.status, b.status].sort(), `round ${round}`).toEqual([200, 409]);
      const refused = a.status === 409 ? a : b;
      expectProblem(refused, 409, ["path.accountId"]);
      expect(refused.body.detail ?? refused.body.title).toMatch(/owner/);
      expect(await owners(groupId)).toHaveLength(1);
    }
  });

  it("is never removed or demoted when removals and demotions race", async () => {
    for (let round = 0; round < 5; round++) {
      const groupId = await newGroup();
      const other = await edge.register();
      await join(groupId, other, "owner");
      // A removal against a removal, or against a demotion through the add route (an upsert).
      const first =
        round % 2 === 0
          ? call("DELETE", `/v1/groups/${groupId}/members/${other.accountId}`, owner.token)
          : call("POST", `/v1/groups/${groupId}/members`, owner.token, {
              email: other.email,
              role: "viewer",
            });
      const results = await Promise.all([
        first,
        call("DELETE", `/v1/groups/${groupId}/members/${owner.accountId}`, other.token),
      ]);
      const statuses = results.map((r) => r.status);
      expect(
        statuses.filter((s) => s < 300),
        `round ${round}: ${statuses}`,
      ).toHaveLength(1);
      for (const r of results.filter((r) => r.status >= 300)) expectProblem(r, 409);
      expect(await owners(groupId)).toHaveLength(1);
    }
  });

  it("answers 409 to the last owner leaving, and through the add route too", async () => {
    const groupId = await newGroup();
    expectProblem(
      await call("DELETE", `/v1/groups/${groupId}/members/${owner.accountId}`, owner.token),
      409,
      ["path.accountId"],
    );
    const other = await edge.register();
    await join(groupId, other, "owner");
    // The other owner demotes the first through POST (an upsert), then the first is no owner any more.
    const demoted = await call("POST", `/v1/groups/${groupId}/members`, other.token, {
      email: owner.email,
      role: "member",
    });
    expect(demoted.status, JSON.stringify(demoted.body)).toBe(201);
    expect(await owners(groupId)).toEqual([other.accountId]);
    expectProblem(await call("DELETE", `/v1/groups/${groupId}/members/${other.accountId}`, other.token), 409);
  });
});

describe("a person's agents leave a group with them", () => {
  it("unseats a removed person's agents and keeps the others in order; their later edits stay outside", async () => {
    const groupId = await newGroup();
    const first = await seatOwnAgent(groupId, owner, `Own-${newEventId().slice(-6)}`);
    const person = await edge.register();
    await join(groupId, person, "owner");
    const theirs = await seatOwnAgent(groupId, person, `Theirs-${newEventId().slice(-6)}`);
    const last = await seatOwnAgent(groupId, owner, `Last-${newEventId().slice(-6)}`);
    expect(await seatedIds(groupId)).toEqual([first, theirs, last]);

    const removed = await call("DELETE", `/v1/groups/${groupId}/members/${person.accountId}`, owner.token);
    expect(removed.status, JSON.stringify(removed.body)).toBe(204);
    expect(await seatedIds(groupId)).toEqual([first, last]);
    // The agent is still theirs to change, but it no longer speaks in the group.
    const edited = await call("PATCH", `/v1/agents/${theirs}`, person.token, {
      scripted: { replies: ["not here any more"] },
    });
    expect(edited.status, JSON.stringify(edited.body)).toBe(200);
    expect(await seatedIds(groupId)).toEqual([first, last]);
    const group = await call("GET", `/v1/groups/${groupId}`, owner.token);
    expect((group.body.agents as { id: string }[]).map((a) => a.id)).toEqual([first, last]);
  });

  it("unseats them when they leave or become a viewer, not when they become a member", async () => {
    const groupId = await newGroup();
    const leaver = await edge.register();
    const demoted = await edge.register();
    await join(groupId, leaver, "owner");
    await join(groupId, demoted, "owner");
    const leaversAgent = await seatOwnAgent(groupId, leaver, `L-${newEventId().slice(-6)}`);
    const demotedsAgent = await seatOwnAgent(groupId, demoted, `D-${newEventId().slice(-6)}`);

    const toMember = await call("PATCH", `/v1/groups/${groupId}/members/${demoted.accountId}`, owner.token, {
      role: "member",
    });
    expect(toMember.status).toBe(200);
    expect(await seatedIds(groupId)).toEqual([leaversAgent, demotedsAgent]);
    const toViewer = await call("PATCH", `/v1/groups/${groupId}/members/${demoted.accountId}`, owner.token, {
      role: "viewer",
    });
    expect(toViewer.status).toBe(200);
    expect(await seatedIds(groupId)).toEqual([leaversAgent]);

    const left = await call("DELETE", `/v1/groups/${groupId}/members/${leaver.accountId}`, leaver.token);
    expect(left.status).toBe(204);
    expect(await seatedIds(groupId)).toEqual([]);
  });

  it("never leaves an agent seated for a person removed while they seat it", async () => {
    for (let round = 0; round < 5; round++) {
      const groupId = await newGroup();
      const person = await edge.register();
      await join(groupId, person, "owner");
      const created = await call("POST", "/v1/agents", person.token, { name: `R-${newEventId().slice(-6)}` });
      const agentId = created.body.id as string;
      const [seat, removal] = await Promise.all([
        call("POST", `/v1/groups/${groupId}/agents`, person.token, { agentId }),
        call("DELETE", `/v1/groups/${groupId}/members/${person.accountId}`, owner.token),
      ]);
      expect(removal.status, JSON.stringify(removal.body)).toBe(204);
      expect([201, 404], JSON.stringify(seat.body)).toContain(seat.status);
      expect(await seatedIds(groupId), `round ${round}`).toEqual([]);
    }
  });
});
