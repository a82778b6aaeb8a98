import { newEventId } from "@conclave/subjects";
import { type Response, startSystem, type TestSystem, type TestUser } from "@conclave/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

let sys: TestSystem;
let member: TestUser;
let stranger: TestUser;

beforeAll(async () => {
  sys = await startSystem({ envFor: { edge: { MAX_AGENTS_PER_GROUP: "3" } } });
  member = await sys.register();
  stranger = await sys.register();
});
afterAll(async () => {
  await sys?.stop();
});

interface Group {
  id: string;
  name: string;
  description: string;
  strategy: string;
  settings: {
    turnLimits: Record<string, number>;
    voting: { rule: string; threshold?: number; quorum: { kind: string; min: number }; deadlineMs: number };
    selectorAgentId: string | null;
    mentionFallback: string;
    concurrentInput: string;
    retentionDays: number | null;
  };
  role: string;
  agents: { id: string; name: string; seat: number; enabled: boolean }[];
}

const paths = (res: Response) =>
  ((res.body.errors as { path: string }[] | undefined) ?? []).map((e) => e.path);
const patch = (path: string, body: unknown, token?: string) => sys.request("PATCH", path, { body, token });
const put = (path: string, body: unknown, token?: string) => sys.request("PUT", path, { body, token });
const del = (path: string, token?: string) => sys.request("DELETE", path, { token });

function expectProblem(res: Response, status: number, fields: string[] = []) {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.headers.get("content-type")).toMatch(/^application\/problem\+json/);
  expect(paths(res)).toEqual(expect.arrayContaining(fields));
}

async function createGroup(body: object, token?: string): Promise<Group> {
  const res = await sys.post("/v1/groups", body, token);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as unknown as Group;
}

async function agent(name: string, token?: string): Promise<string> {
  const res = await sys.post("/v1/agents", { name }, token);
  expect(res.status).toBe(201);
  return res.body.id as string;
}

async function withMember(group: Group, who: TestUser, role: string) {
  expect((await sys.post(`/v1/groups/${group.id}/members`, { email: who.email, role })).status).toBe(201);
}

describe("creating groups", () => {
  it("keeps the inline form: new agents, seated in order, owned by the caller", async () => {
    const g = await createGroup({
      name: "inline",
      agents: [{ name: "Ada" }, { name: "Grace", provider: "gemini", model: "g-1" }],
    });
    expect(g).toMatchObject({
      name: "inline",
      description: "",
      strategy: "broadcast",
      role: "owner",
    });
    expect(g.settings).toEqual({
      turnLimits: {},
      voting: { rule: "majority", quorum: { kind: "count", min: 1 }, deadlineMs: 60_000 },
      selectorAgentId: null,
      mentionFallback: "broadcast",
      concurrentInput: "enqueue",
      retentionDays: null,
      memory: {
        enabled: true,
        windowTokens: 4_000,
        maxMessages: 50,
        summarizeAfterTokens: 2_000,
        summarizerAgentId: null,
      },
    });
    expect(g.agents.map((a) => [a.name, a.seat])).toEqual([
      ["Ada", 0],
      ["Grace", 1],
    ]);
    const ada = await sys.get(`/v1/agents/${g.agents[0]?.id}`);
    expect(ada.status).toBe(200);
  });

  it("seats existing agents by id after the inline ones, with settings and a strategy", async () => {
    const a = await agent("Existing");
    const g = await createGroup({
      name: "mixed",
      description: "a debate",
      strategy: "debate_vote",
      settings: {
        turnLimits: { maxRounds: 3, turnTimeoutMs: 60_000, maxAgentSteps: 40 },
        voting: { rule: "supermajority", threshold: 0.75, quorum: { kind: "share", min: 0.5 } },
        selectorAgentId: a,
        concurrentInput: "reject",
        retentionDays: 30,
      },
      agents: [{ name: "Inline" }],
      agentIds: [a],
    });
    expect(g.agents.map((x) => x.name)).toEqual(["Inline", "Existing"]);
    expect(g).toMatchObject({ strategy: "debate_vote", description: "a debate" });
    expect(g.settings).toEqual({
      turnLimits: { maxRounds: 3, turnTimeoutMs: 60_000, maxAgentSteps: 40 },
      voting: {
        rule: "supermajority",
        threshold: 0.75,
        quorum: { kind: "share", min: 0.5 },
        deadlineMs: 60_000,
      },
      selectorAgentId: a,
      mentionFallback: "broadcast",
      concurrentInput: "reject",
      retentionDays: 30,
      memory: {
        enabled: true,
        windowTokens: 4_000,
        maxMessages: 50,
        summarizeAfterTokens: 2_000,
        summarizerAgentId: null,
      },
    });
    expect((await sys.get(`/v1/groups/${g.id}`)).body).toEqual(g);
  });

  it("refuses bad input naming the fields, and creates nothing", async () => {
    const before = ((await sys.get("/v1/groups?limit=500")).body.items as unknown[]).length;
    expectProblem(
      await sys.post("/v1/groups", {
        name: " ",
        strategy: "anarchy",
        settings: {
          turnLimits: { maxRounds: 0, maxAgentSteps: 0 },
          voting: { rule: "supermajority", threshold: 0.5, deadlineMs: 10 },
          mentionFallback: "everyone",
          concurrentInput: "shout",
          retentionDays: 0,
        },
        agents: [{ name: "@bad" }],
      }),
      400,
      [
        "body.name",
        "body.strategy",
        "body.settings.turnLimits.maxRounds",
        "body.settings.turnLimits.maxAgentSteps",
        "body.settings.voting.threshold",
        "body.settings.voting.deadlineMs",
        "body.settings.mentionFallback",
        "body.settings.concurrentInput",
        "body.settings.retentionDays",
        "body.agents.0.name",
      ],
    );
    expectProblem(
      await sys.post("/v1/groups", { name: "dup", agents: [{ name: "Same" }, { name: "same" }] }),
      400,
      ["body.agents.1.name"],
    );
    const mine = await agent("Twin");
    expectProblem(
      await sys.post("/v1/groups", { name: "dup", agents: [{ name: "twin" }], agentIds: [mine] }),
      400,
      ["body.agentIds.0"],
    );
    expectProblem(await sys.post("/v1/groups", { name: "twice", agentIds: [mine, mine] }), 400, [
      "body.agentIds.1",
    ]);
    expectProblem(
      await sys.post("/v1/groups", {
        name: "full",
        agents: [{ name: "1" }, { name: "2" }],
        agentIds: [mine, newEventId()],
      }),
      400,
      ["body.agentIds"],
    );
    const theirs = await agent("Theirs", stranger.accessToken);
    expectProblem(await sys.post("/v1/groups", { name: "theft", agentIds: [theirs] }), 404, [
      "body.agentIds.0",
    ]);
    expect((await sys.get("/v1/groups?limit=500")).body.items).toHaveLength(before);
  });
});

describe("creating groups at once", () => {
  it("creates every group when one account creates many concurrently (no lock-order deadlock)", async () => {
    const res = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        sys.post("/v1/groups", { name: `rush ${i}`, agents: [{ name: `A${i}` }, { name: `B${i}` }] }),
      ),
    );
    expect(res.map((r) => r.status)).toEqual(Array(10).fill(201));
  });
});

describe("listing, changing and deleting groups", () => {
  it("lists the caller's groups with their role, a page at a time", async () => {
    const user = await sys.register();
    const ids: string[] = [];
    for (const name of ["g1", "g2", "g3"]) ids.push((await createGroup({ name }, user.accessToken)).id);
    const shared = await createGroup({ name: "shared" });
    await withMember(shared, user, "viewer");
    const first = await sys.get("/v1/groups?limit=2", user.accessToken);
    const second = await sys.get(`/v1/groups?limit=2&cursor=${first.body.nextCursor}`, user.accessToken);
    const items = [...(first.body.items as Group[]), ...(second.body.items as Group[])];
    expect(items.map((g) => [g.name, g.role])).toEqual([
      ["shared", "viewer"],
      ["g3", "owner"],
      ["g2", "owner"],
      ["g1", "owner"],
    ]);
    expect(second.body.nextCursor).toBeNull();
    expectProblem(await sys.get("/v1/groups?limit=9999", user.accessToken), 400, ["query.limit"]);
  });

  it("lets owners change name, strategy and settings (a merge patch), and no one else", async () => {
    const g = await createGroup({
      name: "before",
      settings: { turnLimits: { maxRounds: 2, maxHops: 4 }, retentionDays: 7 },
    });
    await withMember(g, member, "member");
    const res = await patch(`/v1/groups/${g.id}`, {
      name: "after",
      strategy: "round_robin",
      settings: {
        turnLimits: { maxRounds: 5, maxHops: null },
        concurrentInput: "interrupt",
        retentionDays: null,
      },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      name: "after",
      strategy: "round_robin",
      settings: { turnLimits: { maxRounds: 5 }, concurrentInput: "interrupt", retentionDays: null },
    });
    expect((res.body as unknown as Group).settings.turnLimits).toEqual({ maxRounds: 5 });
    expect(
      (await patch(`/v1/groups/${g.id}`, { settings: { concurrentInput: null } })).body.settings,
    ).toMatchObject({
      concurrentInput: "enqueue",
      turnLimits: { maxRounds: 5 },
    });
    expectProblem(await patch(`/v1/groups/${g.id}`, { name: "mine" }, member.accessToken), 403);
    expectProblem(await patch(`/v1/groups/${g.id}`, { name: "mine" }, stranger.accessToken), 404);
    expectProblem(await patch(`/v1/groups/${g.id}`, {}), 400, ["body"]);
    expectProblem(
      await patch(`/v1/groups/${g.id}`, { strategy: "chaos", settings: { turnLimits: { maxSteps: 0 } } }),
      400,
      ["body.strategy", "body.settings.turnLimits.maxSteps"],
    );
    const unseated = await agent("Unseated");
    const before = (await sys.get(`/v1/groups/${g.id}`)).body;
    expectProblem(
      await patch(`/v1/groups/${g.id}`, { name: "chaired", settings: { selectorAgentId: unseated } }),
      400,
      ["body.settings.selectorAgentId"],
    );
    expectProblem(
      await patch(`/v1/groups/${g.id}`, { settings: { voting: { rule: "supermajority" } } }),
      400,
      ["body.settings.voting.threshold"],
    );
    expect((await sys.get(`/v1/groups/${g.id}`)).body).toEqual(before);
    expectProblem(await patch(`/v1/groups/${newEventId()}`, { name: "ghost" }), 404);
  });

  it("deletes a group for its owners only; its agents stay", async () => {
    const g = await createGroup({ name: "doomed", agents: [{ name: "Survivor" }] });
    await withMember(g, member, "member");
    expectProblem(await del(`/v1/groups/${g.id}`, member.accessToken), 403);
    expectProblem(await del(`/v1/groups/${g.id}`, stranger.accessToken), 404);
    expect((await del(`/v1/groups/${g.id}`)).status).toBe(204);
    expectProblem(await sys.get(`/v1/groups/${g.id}`), 404);
    expectProblem(await sys.get(`/v1/groups/${g.id}`, member.accessToken), 404);
    expectProblem(await sys.post(`/v1/groups/${g.id}/messages`, { content: "anyone?" }), 404);
    expect((await sys.get(`/v1/agents/${g.agents[0]?.id}`)).status).toBe(200);
  });
});

describe("people in a group", () => {
  it("adds people by email or account id, changes roles and removes them, owners only", async () => {
    const g = await createGroup({ name: "people" });
    const byEmail = await sys.post(`/v1/groups/${g.id}/members`, {
      email: member.email.toUpperCase(),
      role: "viewer",
    });
    expect(byEmail.status).toBe(201);
    expect(byEmail.body).toEqual({ groupId: g.id, accountId: member.accountId, role: "viewer" });
    const third = await sys.register();
    expect(
      (await sys.post(`/v1/groups/${g.id}/members`, { accountId: third.accountId, role: "member" })).status,
    ).toBe(201);
    const promoted = await patch(`/v1/groups/${g.id}/members/${member.accountId}`, { role: "member" });
    expect(promoted.body.role).toBe("member");
    const people = (await sys.get(`/v1/groups/${g.id}/members`, member.accessToken)).body.items as {
      accountId: string;
      role: string;
    }[];
    expect(people.map((p) => [p.accountId, p.role])).toEqual([
      [sys.user.accountId, "owner"],
      [member.accountId, "member"],
      [third.accountId, "member"],
    ]);
    expectProblem(
      await patch(`/v1/groups/${g.id}/members/${third.accountId}`, { role: "owner" }, member.accessToken),
      403,
    );
    expectProblem(await del(`/v1/groups/${g.id}/members/${third.accountId}`, member.accessToken), 403);
    expect((await del(`/v1/groups/${g.id}/members/${third.accountId}`)).status).toBe(204);
    expectProblem(await sys.get(`/v1/groups/${g.id}`, third.accessToken), 404);
    expect((await del(`/v1/groups/${g.id}/members/${member.accountId}`, member.accessToken)).status).toBe(
      204,
    );
    expectProblem(await sys.get(`/v1/groups/${g.id}`, member.accessToken), 404);
  });

  it("refuses bad or conflicting membership changes", async () => {
    const g = await createGroup({ name: "rules" });
    const url = `/v1/groups/${g.id}/members`;
    expectProblem(await sys.post(url, { role: "member" }), 400, ["body.email"]);
    expectProblem(
      await sys.post(url, { email: member.email, accountId: member.accountId, role: "member" }),
      400,
      ["body.email"],
    );
    expectProblem(await sys.post(url, { email: "nobody@example.com", role: "king" }), 400, ["body.role"]);
    expectProblem(await sys.post(url, { email: "nobody@example.com", role: "member" }), 404, ["body.email"]);
    expectProblem(await sys.post(url, { accountId: newEventId(), role: "member" }), 404, ["body.accountId"]);
    expectProblem(await sys.post(url, { email: sys.user.email, role: "viewer" }), 409, ["body.email"]);
    expectProblem(await patch(`${url}/${sys.user.accountId}`, { role: "viewer" }), 409, ["path.accountId"]);
    expectProblem(await del(`${url}/${sys.user.accountId}`), 409, ["path.accountId"]);
    expectProblem(await patch(`${url}/${stranger.accountId}`, { role: "viewer" }), 404);
    expectProblem(await del(`${url}/not-a-uuid`), 400, ["path.accountId"]);
  });
});

describe("agents in a group", () => {
  it("seats the caller's agents, at the end or at a seat, and takes them out", async () => {
    const g = await createGroup({ name: "roster", agents: [{ name: "First" }] });
    const second = await agent("Second");
    const zeroth = await agent("Zeroth");
    const seated = await sys.post(`/v1/groups/${g.id}/agents`, { agentId: second });
    expect(seated.status).toBe(201);
    const atFront = await sys.post(`/v1/groups/${g.id}/agents`, { agentId: zeroth, seat: 0 });
    expect((atFront.body.items as { name: string; seat: number }[]).map((a) => [a.name, a.seat])).toEqual([
      ["Zeroth", 0],
      ["First", 1],
      ["Second", 2],
    ]);
    expect((await del(`/v1/groups/${g.id}/agents/${zeroth}`)).status).toBe(204);
    const roster = (await sys.get(`/v1/groups/${g.id}/agents`)).body.items as {
      name: string;
      seat: number;
    }[];
    expect(roster.map((a) => [a.name, a.seat])).toEqual([
      ["First", 0],
      ["Second", 1],
    ]);
    expectProblem(await del(`/v1/groups/${g.id}/agents/${zeroth}`), 404);
  });

  it("answers conflicts with 409 and unknown or foreign agents with 404", async () => {
    const g = await createGroup({ name: "strict", agents: [{ name: "Ada" }, { name: "Bo" }] });
    const url = `/v1/groups/${g.id}/agents`;
    expectProblem(await sys.post(url, { agentId: g.agents[0]?.id }), 409, ["body.agentId"]);
    expectProblem(await sys.post(url, { agentId: await agent("ada") }), 409, ["body.agentId"]);
    expectProblem(await sys.post(url, { agentId: await agent("Theirs", stranger.accessToken) }), 404, [
      "body.agentId",
    ]);
    expect((await sys.post(url, { agentId: await agent("Cy") })).status).toBe(201);
    expectProblem(await sys.post(url, { agentId: await agent("Dee") }), 409, ["body.agentId"]);
    expectProblem(await sys.post(url, { agentId: "x", seat: -1 }), 400, ["body.agentId", "body.seat"]);
  });

  it("replaces the roster in one go, owners only", async () => {
    const g = await createGroup({ name: "reorder", agents: [{ name: "A" }, { name: "B" }, { name: "C" }] });
    await withMember(g, member, "member");
    const [a, b, c] = g.agents.map((x) => x.id);
    const d = await agent("D");
    const url = `/v1/groups/${g.id}/agents`;
    const res = await put(url, { agentIds: [c, d, a] });
    expect(res.status).toBe(200);
    expect((res.body.items as { name: string }[]).map((x) => x.name)).toEqual(["C", "D", "A"]);
    expect((await sys.get(`/v1/agents/${b}`)).status).toBe(200);
    expectProblem(await put(url, { agentIds: [a, a] }), 400, ["body.agentIds"]);
    expectProblem(await put(url, { agentIds: [a, newEventId()] }), 404, ["body.agentIds.1"]);
    expectProblem(await put(url, { agentIds: [a, b, c, d] }), 400, ["body.agentIds"]);
    expectProblem(await put(url, { agentIds: [a] }, member.accessToken), 403);
    expectProblem(await put(url, { agentIds: [a] }, stranger.accessToken), 404);
    expect((await put(url, { agentIds: [] })).body.items).toEqual([]);
  });
});
