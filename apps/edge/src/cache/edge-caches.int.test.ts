import { and, eq, groupMembers } from "@conclave/db";
import { newEventId } from "@conclave/subjects";
import { waitUntil } from "@conclave/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestEdge, type TestEdge, type TestEdgeReplica, type TestEdgeUser } from "../test-edge.js";

// Kept far longer than any wait below: whatever changes here is the announcement's doing, not the TTL's.
// Every in-process request comes from one "address": its bucket must hold this file's sign-ups.
const LONG_TTL = { ACCESS_CACHE_TTL_MS: "60000", RATE_LIMIT_IP_BURST: "1000" };

let edge: TestEdge;
let replica: TestEdgeReplica;
let owner: TestEdgeUser;

beforeAll(async () => {
  edge = await startTestEdge(LONG_TTL);
  replica = await edge.replica();
  owner = await edge.register();
});
afterAll(async () => {
  await edge?.stop();
});

type Request = TestEdge["request"];
const as = (request: Request, token: string) => (method: string, path: string, body?: unknown) =>
  request(method, path, { token, ...(body === undefined ? {} : { body }) });

async function newGroup(): Promise<string> {
  const res = await as(edge.request, owner.token)("POST", "/v1/groups", { name: `g-${newEventId()}` });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id as string;
}

async function join(groupId: string, who: TestEdgeUser, role: "member" | "viewer") {
  const res = await as(edge.request, owner.token)("POST", `/v1/groups/${groupId}/members`, {
    email: who.email,
    role,
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
}

const post = (request: Request, token: string, groupId: string) =>
  as(request, token)("POST", `/v1/groups/${groupId}/messages`, { content: "hello" }).then((r) => r.status);
const read = (request: Request, token: string, groupId: string) =>
  as(request, token)("GET", `/v1/groups/${groupId}/messages`).then((r) => r.status);

/** Until `request` answers `status` (the other edge hears the announcement a moment after the change). */
const eventually = (what: string, ask: () => Promise<number>, status: number) =>
  waitUntil(what, async () => (await ask()) === status, 10_000, 20);

describe("what the edge caches for posts", () => {
  it("refuses a removed member's next post, on the edge that removed them and on the others", async () => {
    const groupId = await newGroup();
    const member = await edge.register();
    await join(groupId, member, "member");
    // Both edges now hold the member's principal and role.
    expect(await post(edge.request, member.token, groupId)).toBe(202);
    expect(await post(replica.request, member.token, groupId)).toBe(202);

    const removed = await as(edge.request, owner.token)(
      "DELETE",
      `/v1/groups/${groupId}/members/${member.accountId}`,
    );
    expect(removed.status).toBe(204);
    expect(await post(edge.request, member.token, groupId)).toBe(404);
    await eventually(
      "the replica to refuse the removed member",
      () => read(replica.request, member.token, groupId),
      404,
    );
    expect(await post(replica.request, member.token, groupId)).toBe(404);
    // The owner is untouched.
    expect(await post(replica.request, owner.token, groupId)).toBe(202);
  });

  it("sees a role change and a member who leaves by themselves", async () => {
    const groupId = await newGroup();
    const member = await edge.register();
    await join(groupId, member, "member");
    expect(await post(edge.request, member.token, groupId)).toBe(202);
    expect(await post(replica.request, member.token, groupId)).toBe(202);

    // Made a viewer through the replica this time.
    const demoted = await as(replica.request, owner.token)(
      "PATCH",
      `/v1/groups/${groupId}/members/${member.accountId}`,
      { role: "viewer" },
    );
    expect(demoted.status, JSON.stringify(demoted.body)).toBe(200);
    expect(await post(replica.request, member.token, groupId)).toBe(403);
    await eventually(
      "the first edge to refuse the viewer's post",
      () => post(edge.request, member.token, groupId),
      403,
    );
    expect(await read(edge.request, member.token, groupId)).toBe(200);

    const left = await as(edge.request, member.token)(
      "DELETE",
      `/v1/groups/${groupId}/members/${member.accountId}`,
    );
    expect(left.status).toBe(204);
    expect(await read(edge.request, member.token, groupId)).toBe(404);
    await eventually(
      "the replica to forget the member who left",
      () => read(replica.request, member.token, groupId),
      404,
    );
  });

  it("refuses every post to a deleted group", async () => {
    const groupId = await newGroup();
    expect(await post(replica.request, owner.token, groupId)).toBe(202);
    expect((await as(edge.request, owner.token)("DELETE", `/v1/groups/${groupId}`)).status).toBe(204);
    expect(await post(edge.request, owner.token, groupId)).toBe(404);
    await eventually(
      "the replica to forget the deleted group",
      () => read(replica.request, owner.token, groupId),
      404,
    );
  });

  it("applies a changed concurrentInput policy to the next post", async () => {
    const groupId = await newGroup();
    expect(await post(edge.request, owner.token, groupId)).toBe(202);
    expect(await post(replica.request, owner.token, groupId)).toBe(202);
    const patched = await as(edge.request, owner.token)("PATCH", `/v1/groups/${groupId}`, {
      settings: { concurrentInput: "reject" },
    });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    // No orchestrator runs here: the first post's claim holds the group, so the next is refused.
    expect(await post(edge.request, owner.token, groupId)).toBe(202);
    expect(await post(edge.request, owner.token, groupId)).toBe(409);
    await eventually(
      "the replica to apply the reject policy",
      () => post(replica.request, owner.token, groupId),
      409,
    );
  });

  it("ends an access token's use with its session (logout, logout-all, a reused refresh token)", async () => {
    const person = await edge.register();
    const login = async () => {
      const res = await edge.request("POST", "/v1/auth/login", {
        body: { email: person.email, password: `correct horse battery ${edge.bus.names.ns}` },
      });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      return res.body as { accessToken: string; refreshToken: string };
    };
    const me = (request: Request, token: string) => as(request, token)("GET", "/v1/me").then((r) => r.status);

    const one = await login();
    expect(await me(edge.request, one.accessToken)).toBe(200);
    expect(await me(replica.request, one.accessToken)).toBe(200);
    expect(
      (await edge.request("POST", "/v1/auth/logout", { body: { refreshToken: one.refreshToken } })).status,
    ).toBe(204);
    expect(await me(edge.request, one.accessToken)).toBe(401);
    await eventually(
      "the replica to end the logged-out session",
      () => me(replica.request, one.accessToken),
      401,
    );

    const two = await login();
    const three = await login();
    for (const t of [two, three]) {
      expect(await me(edge.request, t.accessToken)).toBe(200);
      expect(await me(replica.request, t.accessToken)).toBe(200);
    }
    expect((await as(replica.request, two.accessToken)("POST", "/v1/auth/logout-all", {})).status).toBe(200);
    for (const t of [two, three]) {
      expect(await me(replica.request, t.accessToken)).toBe(401);
      await eventually("the first edge to end every session", () => me(edge.request, t.accessToken), 401);
    }

    const four = await login();
    expect(await me(replica.request, four.accessToken)).toBe(200);
    const rotated = await edge.request("POST", "/v1/auth/refresh", {
      body: { refreshToken: four.refreshToken },
    });
    expect(rotated.status).toBe(200);
    const next = rotated.body as { accessToken: string };
    expect(await me(edge.request, next.accessToken)).toBe(200);
    // The used refresh token again: the whole session ends, both its access tokens with it.
    expect(
      (await edge.request("POST", "/v1/auth/refresh", { body: { refreshToken: four.refreshToken } })).status,
    ).toBe(401);
    expect(await me(edge.request, next.accessToken)).toBe(401);
    await eventually(
      "the replica to end the replayed session",
      () => me(replica.request, four.accessToken),
      401,
    );
  });

  it("refuses a revoked API key", async () => {
    const created = await as(edge.request, owner.token)("POST", "/v1/api-keys", {
      name: "k",
      scopes: ["read"],
    });
    expect(created.status).toBe(201);
    const { id, key } = created.body as { id: string; key: string };
    const me = (request: Request) => as(request, key)("GET", "/v1/me").then((r) => r.status);
    expect(await me(edge.request)).toBe(200);
    expect(await me(replica.request)).toBe(200);
    expect((await as(replica.request, owner.token)("DELETE", `/v1/api-keys/${id}`)).status).toBe(204);
    expect(await me(replica.request)).toBe(401);
    await eventually("the first edge to refuse the revoked key", () => me(edge.request), 401);
  });

  it("drops everything on an announcement it cannot read (it may have missed one)", async () => {
    const groupId = await newGroup();
    const member = await edge.register();
    await join(groupId, member, "member");
    expect(await post(edge.request, member.token, groupId)).toBe(202);
    // Behind the edge's back: nothing is announced, so the cached role still answers.
    await edge.db.db
      .delete(groupMembers)
      .where(and(eq(groupMembers.groupId, groupId), eq(groupMembers.accountId, member.accountId)));
    expect(await post(edge.request, member.token, groupId)).toBe(202);
    edge.bus.nc.publish(edge.bus.names.accessSubject("membership"), "not json");
    await eventually(
      "the edge to read the membership again",
      () => read(edge.request, member.token, groupId),
      404,
    );
  });
});

describe("the TTL", () => {
  it("bounds what a change no edge announced can leave behind", async () => {
    const short = await edge.replica({ ACCESS_CACHE_TTL_MS: "200" });
    const groupId = await newGroup();
    const member = await edge.register();
    await join(groupId, member, "member");
    expect(await post(short.request, member.token, groupId)).toBe(202);
    await edge.db.db
      .delete(groupMembers)
      .where(and(eq(groupMembers.groupId, groupId), eq(groupMembers.accountId, member.accountId)));
    await eventually(
      "the role to be read again after the TTL",
      () => read(short.request, member.token, groupId),
      404,
    );
    expect(await post(short.request, member.token, groupId)).toBe(404);
  });
});
