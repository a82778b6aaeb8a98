import { and, eq, groupMembers, groups, sql } from "@conclave/db";
import { newEventId } from "@conclave/subjects";
import { waitUntil } from "@conclave/testing";
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

/** Requests of this test's database waiting for a lock right now. */
async function lockWaiters(): Promise<number> {
  const rows = (await edge.db.db.execute(
    sql`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`,
  )) as unknown as { n: number }[];
  return rows[0]?.n ?? 0;
}

/**
 * Starts the requests while the test holds the group's row lock, so that each passes its checks
 * made before the lock and then queues on it; releases the lock once all of them wait.
 */
async function raceOnTheLock(groupId: string, requests: () => Promise<EdgeResponse>[]) {
  let all: Promise<EdgeResponse[]> | undefined;
  await edge.db.db.transaction(async (tx) => {
    await tx.select({ id: groups.id }).from(groups).where(eq(groups.id, groupId)).for("update");
    const started = requests();
    all = Promise.all(started);
    await waitUntil(
      "the requests to queue on the group's lock",
      async () => (await lockWaiters()) >= started.length,
      30_000,
    );
  });
  if (!all) throw new Error("no requests");
  return all;
}

describe("the last owner of a group", () => {
  it("is never demoted when two owners demote each other at once: one wins, the other gets 409", async () => {
    for (let round = 0; round < 3; round++) {
      const groupId = await newGroup();
      const other = await edge.register();
      await join(groupId, other, "owner");
      const [a, b] = await raceOnTheLock(groupId, () => [
        call("PATCH", `/v1/groups/${groupId}/members/${other.accountId}`, owner.token, { role: "member" }),
        call("PATCH", `/v1/groups/${groupId}/members/${owner.accountId}`, other.token, { role: "viewer" }),
      ]);
      expect([a?.status, b?.status].sort(), `round ${round}`).toEqual([200, 409]);
      const refused = a?.status === 409 ? a : b;
      if (!refused) throw new Error("no answer");
      expectProblem(refused, 409, ["path.accountId"]);
      expect(refused.body.detail ?? refused.body.title).toMatch(/owner/);
      expect(await owners(groupId)).toHaveLength(1);
    }
  });

  it("keeps an owner when removals and demotions race, whichever goes first", async () => {
    for (let round = 0; round < 4; round++) {
      const groupId = await newGroup();
      const other = await edge.register();
      await join(groupId, other, "owner");
      // A removal against a removal, or against a demotion through the add route (an upsert).
      const requests = () => [
        round % 2 === 0
          ? call("DELETE", `/v1/groups/${groupId}/members/${other.accountId}`, owner.token)
          : call("POST", `/v1/groups/${groupId}/members`, owner.token, {
              email: other.email,
              role: "viewer",
            }),
        call("DELETE", `/v1/groups/${groupId}/members/${owner.accountId}`, other.token),
      ];
      const results = await raceOnTheLock(groupId, requests);
      const statuses = results.map((r) => r.status);
      expect(
        statuses.filter((s) => s < 300),
        `round ${round}: ${statuses}`,
      ).toHaveLength(1);
      for (const r of results.filter((r) => r.status >= 300)) expectProblem(r, 409);
      expect(await owners(groupId)).toHaveLength(1);
    }
  });

  it("keeps an owner when the same requests simply run at once, repeatedly", async () => {
    for (let round = 0; round < 6; round++) {
      const groupId = await newGroup();
      const other = await edge.register();
      await join(groupId, other, "owner");
      const results = await Promise.all([
        call("PATCH", `/v1/groups/${groupId}/members/${other.accountId}`, owner.token, { role: "member" }),
        call("PATCH", `/v1/groups/${groupId}/members/${owner.accountId}`, other.token, { role: "member" }),
        call("DELETE", `/v1/groups/${groupId}/members/${owner.accountId}`, other.token),
      ]);
      // Whichever order they ran in, the losers are refused: the last owner (409), no longer an
      // owner (403) or no longer in the group (404).
      for (const r of results.filter((r) => r.status >= 300)) expect([403, 404, 409]).toContain(r.status);
      expect(await owners(groupId), `round ${round}: ${results.map((r) => r.status)}`).toHaveLength(1);
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
    for (let round = 0; round < 3; round++) {
      const groupId = await newGroup();
      const person = await edge.register();
      await join(groupId, person, "owner");
      const created = await call("POST", "/v1/agents", person.token, { name: `R-${newEventId().slice(-6)}` });
      const agentId = created.body.id as string;
      // The removal first in the lock's queue, or the seating: either way no seat is left behind.
      const requests = () => {
        const seat = call("POST", `/v1/groups/${groupId}/agents`, person.token, { agentId });
        const removal = call("DELETE", `/v1/groups/${groupId}/members/${person.accountId}`, owner.token);
        return round % 2 === 0 ? [seat, removal] : [removal, seat];
      };
      const results = await raceOnTheLock(groupId, requests);
      const statuses = results.map((r) => r.status).sort();
      expect(statuses.includes(204), `round ${round}: ${statuses}`).toBe(true);
      expect([
        [201, 204],
        [204, 404],
      ]).toContainEqual(statuses);
      expect(await seatedIds(groupId), `round ${round}`).toEqual([]);
    }
  });
});
