import { Kvm } from "@conclave/bus";
import { agents, eq } from "@conclave/db";
import { blockEventId } from "@conclave/memory";
import {
  type AnyEnvelope,
  BLOCK_LIMITS,
  type EventType,
  emptyMemory,
  MemoryRecord,
  newEventId,
} from "@conclave/subjects";
import { readGroupEvents } from "@conclave/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestEdge, type TestEdge, type TestEdgeUser } from "../test-edge.js";

// The edge alone on the shared NATS and PostgreSQL: the memory routes, their access rules and
// limits, and the events each change publishes (read back from the group's stream).
let edge: TestEdge;
let owner: TestEdgeUser;
let member: TestEdgeUser;
let viewer: TestEdgeUser;
let outsider: TestEdgeUser;

beforeAll(async () => {
  edge = await startTestEdge({ CORS_ORIGINS: "https://app.example.com" });
  [owner, member, viewer, outsider] = [
    await edge.register(),
    await edge.register(),
    await edge.register(),
    await edge.register(),
  ];
});
afterAll(async () => {
  await edge?.stop();
});

interface Res {
  status: number;
  type: string;
  headers: Headers;
  body: Record<string, unknown>;
}

/** A request as `who`, with the response headers (ETag, Location). */
async function call(
  who: TestEdgeUser,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Res> {
  const res = await edge.app.request(path, {
    method,
    headers: {
      authorization: `Bearer ${who.token}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
      ...headers,
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return {
    status: res.status,
    type: res.headers.get("content-type") ?? "",
    headers: res.headers,
    body: (text ? JSON.parse(text) : {}) as Record<string, unknown>,
  };
}

function expectProblem(res: Res, status: number, paths: string[] = []) {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.type).toMatch(/^application\/problem\+json/);
  expect(((res.body.errors as { path: string }[] | undefined) ?? []).map((e) => e.path)).toEqual(paths);
}

/** A group of `owner`'s with a member and a viewer. */
async function newGroup(settings: object = {}): Promise<string> {
  const res = await call(owner, "POST", "/v1/groups", { name: `g-${newEventId()}`, settings });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  const id = res.body.id as string;
  for (const [who, role] of [
    [member, "member"],
    [viewer, "viewer"],
  ] as const) {
    const joined = await call(owner, "POST", `/v1/groups/${id}/members`, { accountId: who.accountId, role });
    expect(joined.status, JSON.stringify(joined.body)).toBe(201);
  }
  return id;
}

const blocksOf = (groupId: string, label = "") =>
  `/v1/groups/${groupId}/memory/blocks${label ? `/${label}` : ""}`;

/** The group's events of one type, from its stream. */
const events = async <T extends EventType>(groupId: string, type: T) =>
  (await readGroupEvents(edge.bus, groupId)).filter(
    (e): e is Extract<AnyEnvelope, { type: T }> & { seq: number } => e.type === type,
  );

async function memoryKv() {
  return new Kvm(edge.bus.nc).open(edge.bus.names.bucket("memory"));
}

async function record(groupId: string): Promise<MemoryRecord> {
  const entry = await (await memoryKv()).get(groupId);
  return entry?.operation === "PUT" ? MemoryRecord.parse(entry.json()) : emptyMemory(groupId);
}

describe("memory blocks", () => {
  it("owners and members write, viewers read, outsiders learn nothing; each change is one memory.updated", async () => {
    const g = await newGroup();
    const created = await call(owner, "PUT", blocksOf(g, "facts"), { value: "Lin likes tea" });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({
      label: "facts",
      value: "Lin likes tea",
      limit: BLOCK_LIMITS.defaultLimit,
      version: 1,
      updatedBy: { kind: "user", id: owner.accountId },
    });
    expect(created.headers.get("etag")).toBe('"1"');
    expect(created.headers.get("location")).toBe(blocksOf(g, "facts"));

    const changed = await call(member, "PUT", blocksOf(g, "facts"), {
      value: "Lin likes green tea",
      limit: 100,
    });
    expect(changed.status, JSON.stringify(changed.body)).toBe(200);
    expect(changed.body).toMatchObject({ version: 2, limit: 100, updatedBy: { id: member.accountId } });

    const listed = await call(viewer, "GET", blocksOf(g));
    expect(listed.status).toBe(200);
    expect(listed.body).toEqual({
      items: [changed.body],
      totalChars: "Lin likes green tea".length,
      limits: {
        maxBlocks: BLOCK_LIMITS.maxBlocks,
        maxTotalChars: BLOCK_LIMITS.maxTotalChars,
        maxLimit: BLOCK_LIMITS.maxLimit,
        defaultLimit: BLOCK_LIMITS.defaultLimit,
      },
    });
    const one = await call(viewer, "GET", blocksOf(g, "facts"));
    expect(one.body).toEqual(changed.body);
    expect(one.headers.get("etag")).toBe('"2"');
    expectProblem(await call(viewer, "GET", blocksOf(g, "plans")), 404);
    expectProblem(await call(viewer, "GET", blocksOf(g, "Not_A_Label")), 400, ["path.label"]);

    expectProblem(await call(viewer, "PUT", blocksOf(g, "facts"), { value: "viewer was here" }), 403);
    expectProblem(await call(viewer, "DELETE", blocksOf(g, "facts")), 403);
    expectProblem(await call(viewer, "POST", `/v1/groups/${g}/memory/reset`), 403);
    for (const [method, path, body] of [
      ["GET", blocksOf(g), undefined],
      ["GET", blocksOf(g, "facts"), undefined],
      ["PUT", blocksOf(g, "facts"), { value: "outsider was here" }],
      ["DELETE", blocksOf(g, "facts"), undefined],
      ["POST", `/v1/groups/${g}/memory/reset`, undefined],
    ] as const)
      expectProblem(await call(outsider, method, path, body), 404);
    expect((await call(owner, "GET", blocksOf(g, "facts"))).body).toEqual(changed.body);

    expect((await call(member, "DELETE", blocksOf(g, "facts"))).status).toBe(204);
    expectProblem(await call(owner, "GET", blocksOf(g, "facts")), 404);
    expectProblem(await call(owner, "DELETE", blocksOf(g, "facts")), 404, ["path.label"]);

    const updated = await events(g, "memory.updated");
    expect(updated.map((e) => [e.actor, e.payload.action, e.payload.version, e.payload.value])).toEqual([
      [{ kind: "user", id: owner.accountId }, "set", 1, "Lin likes tea"],
      [{ kind: "user", id: member.accountId }, "set", 2, "Lin likes green tea"],
      [{ kind: "user", id: member.accountId }, "delete", 2, null],
    ]);
    // Each id is `blockEventId` of the record the change was made to: its count of changes so far.
    expect(updated.map((e) => e.id)).toEqual(
      [0, 1, 2].map((n) => blockEventId({ ...emptyMemory(g), blockChanges: n })),
    );
    expect(updated.every((e) => e.turnId === null)).toBe(true);
  });

  it("refuses what is over a limit as problem+json naming the field, and changes nothing", async () => {
    const g = await newGroup();
    expect((await call(owner, "PUT", blocksOf(g, "facts"), { value: "short", limit: 10 })).status).toBe(201);
    const before = await record(g);

    expectProblem(await call(owner, "PUT", blocksOf(g, "facts"), { value: "eleven char" }), 422, [
      "body.value",
    ]);
    expectProblem(
      await call(owner, "PUT", blocksOf(g, "facts"), { value: "x", limit: BLOCK_LIMITS.maxLimit + 1 }),
      400,
      ["body.limit"],
    );
    expectProblem(
      await call(owner, "PUT", blocksOf(g, "facts"), { value: "x".repeat(BLOCK_LIMITS.maxLimit + 1) }),
      400,
      ["body.value"],
    );
    expectProblem(await call(owner, "PUT", blocksOf(g, "facts"), { value: "nul\u0000" }), 400, [
      "body.value",
    ]);
    expectProblem(await call(owner, "PUT", blocksOf(g, "facts"), { value: "x", extra: 1 }), 400, ["body"]);
    expectProblem(await call(owner, "PUT", blocksOf(g, "facts"), {}), 400, ["body.value"]);
    expectProblem(await call(owner, "PUT", blocksOf(g, "-facts"), { value: "x" }), 400, ["path.label"]);
    expect(await record(g)).toEqual(before);
    expect(await events(g, "memory.updated")).toHaveLength(1);
  });

  it("holds at most maxBlocks blocks and maxTotalChars characters in all", async () => {
    const many = await newGroup();
    for (let i = 0; i < BLOCK_LIMITS.maxBlocks; i++)
      expect((await call(member, "PUT", blocksOf(many, `b${i}`), { value: `fact ${i}` })).status).toBe(201);
    const full = await record(many);
    expectProblem(await call(member, "PUT", blocksOf(many, "one-more"), { value: "x" }), 422, ["path.label"]);
    // A block already there may still change.
    expect((await call(member, "PUT", blocksOf(many, "b0"), { value: "changed" })).status).toBe(200);
    expect((await record(many)).blocks).toHaveLength(BLOCK_LIMITS.maxBlocks);
    expect((await record(many)).blockChanges).toBe(full.blockChanges + 1);

    const big = await newGroup();
    const chunk = "y".repeat(BLOCK_LIMITS.maxLimit);
    const fit = BLOCK_LIMITS.maxTotalChars / BLOCK_LIMITS.maxLimit;
    for (let i = 0; i < fit; i++)
      expect(
        (await call(owner, "PUT", blocksOf(big, `c${i}`), { value: chunk, limit: BLOCK_LIMITS.maxLimit }))
          .status,
      ).toBe(201);
    const before = await record(big);
    expectProblem(await call(owner, "PUT", blocksOf(big, "last"), { value: "z" }), 422, ["body.value"]);
    expect(await record(big)).toEqual(before);
    expect(await events(big, "memory.updated")).toHaveLength(fit);
  });

  it("changes a block only at the version If-Match names (409 otherwise)", async () => {
    const g = await newGroup();
    const put = (value: string, ifMatch?: string) =>
      call(
        owner,
        "PUT",
        blocksOf(g, "plan"),
        { value },
        ifMatch === undefined ? {} : { "if-match": ifMatch },
      );
    // 0: only if there is no such block yet.
    expect((await put("v1", "0")).status).toBe(201);
    expectProblem(await put("again", "0"), 409, ["header.if-match"]);
    expect((await put("v2", '"1"')).body).toMatchObject({ value: "v2", version: 2 });
    const stale = await put("v3 from a stale copy", "1");
    expectProblem(stale, 409, ["header.if-match"]);
    expect(stale.body.detail).toMatch(/version 2, not 1/);
    expectProblem(await put("v3", "two"), 400, ["header.if-match"]);
    expectProblem(await call(owner, "DELETE", blocksOf(g, "plan"), undefined, { "if-match": "1" }), 409, [
      "header.if-match",
    ]);
    expect((await call(owner, "GET", blocksOf(g, "plan"))).body).toMatchObject({ value: "v2", version: 2 });
    expect((await call(owner, "DELETE", blocksOf(g, "plan"), undefined, { "if-match": '"2"' })).status).toBe(
      204,
    );
    expect((await events(g, "memory.updated")).map((e) => e.payload.action)).toEqual([
      "set",
      "set",
      "delete",
    ]);
  });
});

describe("memory blocks from a browser", () => {
  it("lets a configured origin send If-Match and read the ETag", async () => {
    const preflight = await edge.app.request("/v1/groups/x/memory/blocks/facts", {
      method: "OPTIONS",
      headers: {
        origin: "https://app.example.com",
        "access-control-request-method": "PUT",
        "access-control-request-headers": "authorization, content-type, if-match",
      },
    });
    expect(preflight.headers.get("access-control-allow-headers")).toMatch(/if-match/);
    const g = await newGroup();
    const put = await call(
      owner,
      "PUT",
      blocksOf(g, "facts"),
      { value: "x" },
      { origin: "https://app.example.com" },
    );
    expect(put.headers.get("access-control-expose-headers")).toMatch(/etag/);
  });
});

describe("memory reset", () => {
  it("publishes memory.reset and moves the fence to its seq before answering; blocks stay", async () => {
    const g = await newGroup();
    expect((await call(owner, "PUT", blocksOf(g, "facts"), { value: "pinned" })).status).toBe(201);
    const res = await call(member, "POST", `/v1/groups/${g}/memory/reset`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const { resetSeq, eventId } = res.body as { resetSeq: number; eventId: string };
    const [reset] = await events(g, "memory.reset");
    expect(reset).toMatchObject({
      id: eventId,
      seq: resetSeq,
      actor: { kind: "user", id: member.accountId },
    });
    expect(reset?.payload).toEqual({});
    expect((await record(g)).resetSeq).toBe(resetSeq);
    expect((await call(viewer, "GET", blocksOf(g))).body.items).toMatchObject([
      { label: "facts", value: "pinned" },
    ]);

    const again = await call(owner, "POST", `/v1/groups/${g}/memory/reset`, { reason: "new topic" });
    expect(again.status).toBe(200);
    expect(again.body.resetSeq as number).toBeGreaterThan(resetSeq);
    expect((await events(g, "memory.reset")).map((e) => e.payload)).toEqual([{}, { reason: "new topic" }]);
    expect((await record(g)).resetSeq).toBe(again.body.resetSeq);
    expectProblem(await call(owner, "POST", `/v1/groups/${g}/memory/reset`, { reason: "" }), 400, [
      "body.reason",
    ]);
  });
});

describe("memory settings", () => {
  async function agentOf(who: TestEdgeUser, body: object = {}): Promise<Res> {
    const res = await call(who, "POST", "/v1/agents", { name: `A-${newEventId().slice(-8)}`, ...body });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res;
  }

  it("takes settings.memory on create and as a merge patch; the summarizer must be the caller's agent", async () => {
    const mine = (await agentOf(owner)).body.id as string;
    const theirs = (await agentOf(outsider)).body.id as string;
    const refused = await call(owner, "POST", "/v1/groups", {
      name: "remembers",
      settings: { memory: { summarizerAgentId: theirs } },
    });
    expectProblem(refused, 400, ["body.settings.memory.summarizerAgentId"]);
    expectProblem(
      await call(owner, "POST", "/v1/groups", {
        name: "remembers",
        settings: { memory: { windowTokens: 40_000, maxMessages: -1, color: "red" } },
      }),
      400,
      ["body.settings.memory.windowTokens", "body.settings.memory.maxMessages", "body.settings.memory"],
    );

    const created = await call(owner, "POST", "/v1/groups", {
      name: "remembers",
      settings: { memory: { windowTokens: 1_000, summarizeAfterTokens: 500, summarizerAgentId: mine } },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect((created.body.settings as { memory: unknown }).memory).toEqual({
      enabled: true,
      windowTokens: 1_000,
      maxMessages: 50,
      summarizeAfterTokens: 500,
      summarizerAgentId: mine,
    });
    const id = created.body.id as string;
    const patch = (memory: unknown) => call(owner, "PATCH", `/v1/groups/${id}`, { settings: { memory } });
    const patched = await patch({ windowTokens: null, maxMessages: 10, enabled: false });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    expect((patched.body.settings as { memory: unknown }).memory).toEqual({
      enabled: false,
      windowTokens: 4_000,
      maxMessages: 10,
      summarizeAfterTokens: 500,
      summarizerAgentId: mine,
    });
    expectProblem(await patch({ summarizerAgentId: theirs }), 400, [
      "body.settings.memory.summarizerAgentId",
    ]);
    expect((await call(owner, "GET", `/v1/groups/${id}`)).body.settings).toEqual(patched.body.settings);
    const cleared = await patch(null);
    expect((cleared.body.settings as { memory: unknown }).memory).toEqual({
      enabled: true,
      windowTokens: 4_000,
      maxMessages: 50,
      summarizeAfterTokens: 2_000,
      summarizerAgentId: null,
    });
  });

  it("stores an agent's own window in its config and shows it", async () => {
    const created = await agentOf(owner, { memory: { windowTokens: 500 } });
    const id = created.body.id as string;
    expect(created.body.memory).toEqual({ windowTokens: 500 });
    const configOf = async () =>
      (await edge.db.db.select({ config: agents.config }).from(agents).where(eq(agents.id, id)))[0]?.config;
    expect((await configOf())?.memory).toEqual({ windowTokens: 500 });
    const patched = await call(owner, "PATCH", `/v1/agents/${id}`, { memory: { maxMessages: 3 } });
    expect(patched.body.memory).toEqual({ maxMessages: 3 });
    expect((await call(owner, "GET", `/v1/agents/${id}`)).body.memory).toEqual({ maxMessages: 3 });
    // The scripted settings beside it are kept.
    expect((await configOf())?.scripted).toEqual({});
    expect((await call(owner, "PATCH", `/v1/agents/${id}`, { memory: {} })).body.memory).toEqual({});
    expect((await configOf())?.memory).toBeUndefined();
    expectProblem(await call(owner, "PATCH", `/v1/agents/${id}`, { memory: { windowTokens: 32_001 } }), 400, [
      "body.memory.windowTokens",
    ]);
    expect((await agentOf(owner)).body.memory).toEqual({});
  });
});

describe("memory settings in agent documents", () => {
  it("imports windows of groups and agents, never a summarizer, and exports them again", async () => {
    const importer = await edge.register();
    const refused = await call(importer, "POST", "/v1/agents/import", {
      conclave: 1,
      group: { name: "imported", settings: { memory: { summarizerAgentId: newEventId() } } },
    });
    expectProblem(refused, 400, ["body.group.settings.memory"]);
    const doc = {
      conclave: 1,
      agents: [{ name: "Imp", memory: { maxMessages: 5 } }],
      group: { name: "imported", settings: { memory: { windowTokens: 800 } }, agents: ["Imp"] },
    };
    const imported = await call(importer, "POST", "/v1/agents/import", doc);
    expect(imported.status, JSON.stringify(imported.body)).toBe(201);
    const { agents: made, group } = imported.body as { agents: { id: string }[]; group: { id: string } };
    expect((await call(importer, "GET", `/v1/agents/${made[0]?.id}`)).body.memory).toEqual({
      maxMessages: 5,
    });
    const view = await call(importer, "GET", `/v1/groups/${group.id}`);
    expect((view.body.settings as { memory: unknown }).memory).toMatchObject({ windowTokens: 800 });
    const exported = await edge.app.request(`/v1/agents/export?groupId=${group.id}`, {
      headers: { authorization: `Bearer ${importer.token}` },
    });
    const yaml = await exported.text();
    expect(exported.status, yaml).toBe(200);
    expect(yaml).toMatch(/memory:\n\s+maxMessages: 5/);
    expect(yaml).toMatch(/windowTokens: 800/);
    expect(yaml).not.toMatch(/summarizerAgentId/);
  });
});

describe("deleting a group", () => {
  it("deletes its memory record", async () => {
    const g = await newGroup();
    expect((await call(owner, "PUT", blocksOf(g, "facts"), { value: "gone soon" })).status).toBe(201);
    expect((await (await memoryKv()).get(g))?.operation).toBe("PUT");
    expect((await call(owner, "DELETE", `/v1/groups/${g}`)).status).toBe(204);
    const entry = await (await memoryKv()).get(g);
    expect(entry === null || entry.operation !== "PUT").toBe(true);
    expectProblem(await call(owner, "GET", blocksOf(g)), 404);
  });
});
