import { newEventId } from "@conclave/subjects";
import { type Response, startSystem, type TestSystem, type TestUser, waitUntil } from "@conclave/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

let sys: TestSystem;
let other: TestUser;

beforeAll(async () => {
  // Status and turn polling would drain the default per-user bucket.
  sys = await startSystem({
    env: { RATE_LIMIT_PER_MINUTE: "100000", RATE_LIMIT_BURST: "10000" },
    // An endpoint (never called here): agents of openai-compatible need an executor that has one.
    envFor: { executor: { OPENAI_COMPAT_BASE_URL: "http://127.0.0.1:9/v1" } },
  });
  other = await sys.register();
});
afterAll(async () => {
  await sys?.stop();
});

interface Agent {
  id: string;
  name: string;
  provider: string;
  model: string;
  temperature: number | null;
  maxTokens: number | null;
  enabled: boolean;
  tools: string[];
  systemPrompt: string;
  personality: string;
  scripted: Record<string, unknown>;
}

const paths = (res: Response) =>
  ((res.body.errors as { path: string }[] | undefined) ?? []).map((e) => e.path);
const patch = (path: string, body: unknown, token?: string) => sys.request("PATCH", path, { body, token });
const del = (path: string, token?: string) => sys.request("DELETE", path, { token });

async function createAgent(body: object, token?: string): Promise<Agent> {
  const res = await sys.post("/v1/agents", body, token);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as unknown as Agent;
}

function expectProblem(res: Response, status: number, fields: string[] = []) {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.headers.get("content-type")).toMatch(/^application\/problem\+json/);
  expect(paths(res)).toEqual(expect.arrayContaining(fields));
}

describe("creating and reading agents", () => {
  it("creates a scripted agent from a name alone, with every default", async () => {
    const res = await sys.post("/v1/agents", { name: "Plain" });
    expect(res.status).toBe(201);
    const agent = res.body as unknown as Agent;
    expect(res.headers.get("location")).toBe(`/v1/agents/${agent.id}`);
    expect(agent).toMatchObject({
      name: "Plain",
      provider: "scripted",
      model: "scripted",
      temperature: null,
      maxTokens: null,
      personality: "",
      systemPrompt: "",
      tools: [],
      limits: {},
      enabled: true,
      scripted: {},
    });
    expect((await sys.get(`/v1/agents/${agent.id}`)).body).toEqual(agent);
  });

  it("stores every setting of a real provider's agent", async () => {
    const input = {
      name: "Claude reviewer",
      description: "reviews contracts",
      provider: "anthropic",
      model: "claude-sonnet-4",
      temperature: 0.3,
      maxTokens: 2048,
      personality: "terse and exact",
      systemPrompt: "You review contracts.",
      tools: ["calculator", "web.fetch"],
      limits: { maxToolCalls: 5, timeoutMs: 60_000 },
      enabled: false,
      scripted: { replies: ["unused"] },
    };
    const agent = await createAgent(input);
    expect(agent).toMatchObject(input);
  });

  it("names every failing field at once, and creates nothing", async () => {
    const before = (await sys.get("/v1/agents?limit=200")).body.items as unknown[];
    const res = await sys.post("/v1/agents", {
      name: "",
      provider: "skynet",
      temperature: 3,
      maxTokens: 0,
      tools: ["ok", "not a tool name"],
      limits: { timeoutMs: 5 },
      scripted: { delayMs: -1 },
    });
    expectProblem(res, 400, [
      "body.name",
      "body.provider",
      "body.temperature",
      "body.maxTokens",
      "body.tools.1",
      "body.limits.timeoutMs",
      "body.scripted.delayMs",
    ]);
    expectProblem(await sys.post("/v1/agents", { name: "x", admin: true }), 400, ["body"]);
    expectProblem(await sys.post("/v1/agents", { name: "x", tools: ["a", "a"] }), 400, ["body.tools"]);
    expectProblem(await sys.post("/v1/agents", { name: "x", provider: "gemini" }), 400, ["body.model"]);
    expectProblem(
      await sys.post("/v1/agents", {
        name: "x",
        systemPrompt: "p".repeat(19_990),
        personality: "calm, always",
      }),
      400,
      ["body.personality"],
    );
    const raw = await fetch(`${sys.edgeUrl}/v1/agents`, {
      method: "POST",
      headers: { authorization: `Bearer ${sys.user.accessToken}`, "content-type": "text/plain" },
      body: "name=x",
    });
    expect(raw.status).toBe(400);
    expect(((await raw.json()) as { errors: { path: string }[] }).errors[0]?.path).toBe("content-type");
    expect((await sys.get("/v1/agents?limit=200")).body.items).toHaveLength(before.length);
  });

  it("answers another account's agent exactly as one that does not exist", async () => {
    const mine = await createAgent({ name: "Private" });
    const theirs = await sys.get(`/v1/agents/${mine.id}`, other.accessToken);
    const nobody = await sys.get(`/v1/agents/${newEventId()}`, other.accessToken);
    expectProblem(theirs, 404);
    expect(theirs.body.title).toBe(nobody.body.title);
    expectProblem(await patch(`/v1/agents/${mine.id}`, { name: "Mine now" }, other.accessToken), 404);
    expectProblem(await del(`/v1/agents/${mine.id}`, other.accessToken), 404);
    expectProblem(await sys.post(`/v1/agents/${mine.id}/disable`, {}, other.accessToken), 404);
    expectProblem(await sys.get(`/v1/agents/${mine.id}/status`, other.accessToken), 404);
    expect((await sys.get(`/v1/agents/${mine.id}`)).body.name).toBe("Private");
    expectProblem(await sys.get("/v1/agents/not-a-uuid"), 400, ["path.id"]);
  });

  it("refuses writes with a read-only key, and reads with it", async () => {
    const key = (await sys.post("/v1/api-keys", { name: "ro", scopes: ["read"] })).body.key as string;
    expect((await sys.get("/v1/agents", key)).status).toBe(200);
    expectProblem(await sys.post("/v1/agents", { name: "Nope" }, key), 403);
    expectProblem(
      await sys.post("/v1/agents/bulk", { operations: [{ op: "create", agent: { name: "N" } }] }, key),
      403,
    );
  });
});

describe("listing agents", () => {
  let user: TestUser;
  beforeAll(async () => {
    user = await sys.register();
    for (const [name, provider, enabled] of [
      ["Alpha 100%", "scripted", true],
      ["beta", "gemini", true],
      ["ALPHAbet", "openai-compatible", false],
      ["Gamma", "scripted", false],
      ["delta_alpha", "anthropic", true],
    ] as const)
      await createAgent(
        { name, provider, enabled, ...(provider === "scripted" ? {} : { model: "m-1" }) },
        user.accessToken,
      );
  });
  const names = async (query: string) =>
    ((await sys.get(`/v1/agents?${query}`, user.accessToken)).body.items as Agent[]).map((a) => a.name);

  it("filters by provider, enabled and name, newest first", async () => {
    expect(await names("")).toEqual(["delta_alpha", "Gamma", "ALPHAbet", "beta", "Alpha 100%"]);
    expect(await names("provider=scripted")).toEqual(["Gamma", "Alpha 100%"]);
    expect(await names("enabled=false")).toEqual(["Gamma", "ALPHAbet"]);
    expect(await names("q=alpha")).toEqual(["delta_alpha", "ALPHAbet", "Alpha 100%"]);
    expect(await names("q=alpha&enabled=true&provider=anthropic")).toEqual(["delta_alpha"]);
    expect(await names(`q=${encodeURIComponent("100%")}`)).toEqual(["Alpha 100%"]);
    expect(await names("q=_")).toEqual(["delta_alpha"]);
  });

  it("pages with a cursor, every agent once", async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await sys.get(`/v1/agents?limit=2${cursor ? `&cursor=${cursor}` : ""}`, user.accessToken);
      expect(res.status).toBe(200);
      seen.push(...(res.body.items as Agent[]).map((a) => a.name));
      cursor = res.body.nextCursor as string | null;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual(await names("limit=200"));
  });

  it("names a bad query parameter", async () => {
    expectProblem(await sys.get("/v1/agents?limit=0", user.accessToken), 400, ["query.limit"]);
    expectProblem(await sys.get("/v1/agents?enabled=yes&provider=x", user.accessToken), 400, [
      "query.enabled",
      "query.provider",
    ]);
    expectProblem(await sys.get("/v1/agents?cursor=abc", user.accessToken), 400, ["query.cursor"]);
    expectProblem(await sys.get("/v1/agents?sort=name", user.accessToken), 400, ["query"]);
  });
});

describe("changing and deleting agents", () => {
  it("patches only the fields given; null clears a setting", async () => {
    const a = await createAgent({ name: "Tuned", temperature: 0.5, maxTokens: 100, tools: ["calculator"] });
    const res = await patch(`/v1/agents/${a.id}`, { temperature: null, personality: "cheerful" });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      name: "Tuned",
      temperature: null,
      maxTokens: 100,
      personality: "cheerful",
    });
    expect(res.body.tools).toEqual(["calculator"]);
    expect(Date.parse(res.body.updatedAt as string)).toBeGreaterThanOrEqual(
      Date.parse(res.body.createdAt as string),
    );
  });

  it("refuses an empty, invalid or inconsistent patch, naming the field", async () => {
    const a = await createAgent({ name: "Steady" });
    expectProblem(await patch(`/v1/agents/${a.id}`, {}), 400, ["body"]);
    expectProblem(await patch(`/v1/agents/${a.id}`, { temperature: -1, enabled: "yes" }), 400, [
      "body.temperature",
      "body.enabled",
    ]);
    expectProblem(await patch(`/v1/agents/${a.id}`, { provider: "anthropic" }), 400, ["body.model"]);
    expectProblem(
      await patch(`/v1/agents/${a.id}`, { systemPrompt: "p".repeat(20_000), personality: "x" }),
      400,
      ["body.systemPrompt"],
    );
    expect((await patch(`/v1/agents/${a.id}`, { provider: "anthropic", model: "claude-x" })).status).toBe(
      200,
    );
  });

  it("enables and disables", async () => {
    const a = await createAgent({ name: "Switch" });
    const off = await sys.post(`/v1/agents/${a.id}/disable`, {});
    expect(off.status).toBe(200);
    expect(off.body.enabled).toBe(false);
    expect((await sys.post(`/v1/agents/${a.id}/enable`, {})).body.enabled).toBe(true);
  });

  it("refuses a rename to a name taken in a group the agent sits in (409)", async () => {
    const ada = await createAgent({ name: "Ada" });
    const group = await sys.post("/v1/groups", {
      name: "names",
      agents: [{ name: "Grace" }],
      agentIds: [ada.id],
    });
    expect(group.status).toBe(201);
    expectProblem(await patch(`/v1/agents/${ada.id}`, { name: "grace" }), 409, ["body.name"]);
    expect((await patch(`/v1/agents/${ada.id}`, { name: "ADA" })).status).toBe(200);
  });

  it("refuses to delete a seated agent unless forced, which closes up the seats", async () => {
    const a = await createAgent({ name: "Seated" });
    const b = await createAgent({ name: "Neighbour" });
    const c = await createAgent({ name: "Third" });
    const group = (await sys.post("/v1/groups", { name: "seats", agentIds: [a.id, b.id, c.id] })).body as {
      id: string;
    };
    expectProblem(await del(`/v1/agents/${b.id}`), 409);
    expect((await del(`/v1/agents/${b.id}?force=true`)).status).toBe(204);
    expectProblem(await sys.get(`/v1/agents/${b.id}`), 404);
    const roster = (await sys.get(`/v1/groups/${group.id}/agents`)).body.items as {
      id: string;
      seat: number;
    }[];
    expect(roster.map((s) => [s.id, s.seat])).toEqual([
      [a.id, 0],
      [c.id, 1],
    ]);
    const lone = await createAgent({ name: "Lone" });
    expect((await del(`/v1/agents/${lone.id}`)).status).toBe(204);
    expectProblem(await del(`/v1/agents/${lone.id}`), 404);
    expectProblem(await del(`/v1/agents/${a.id}?force=maybe`), 400, ["query.force"]);
  });
});

describe("bulk operations", () => {
  it("runs each operation on its own and reports each result, failures included", async () => {
    const keep = await createAgent({ name: "Keep" });
    const seated = await createAgent({ name: "Busy" });
    await sys.post("/v1/groups", { name: "bulk", agentIds: [seated.id] });
    const theirs = await createAgent({ name: "Theirs" }, other.accessToken);
    const res = await sys.post("/v1/agents/bulk", {
      operations: [
        { op: "create", agent: { name: "Fresh", personality: "new" } },
        { op: "update", id: keep.id, patch: { systemPrompt: "updated" } },
        { op: "disable", id: theirs.id },
        { op: "delete", id: seated.id },
        { op: "update", id: keep.id, patch: { provider: "gemini" } },
        { op: "disable", id: keep.id },
        { op: "delete", id: newEventId() },
      ],
    });
    expect(res.status).toBe(200);
    const results = res.body.results as {
      index: number;
      op: string;
      status: number;
      id?: string;
      agent?: Agent;
      error?: { status: number; errors?: { path: string }[] };
    }[];
    expect(results.map((r) => [r.index, r.op, r.status])).toEqual([
      [0, "create", 201],
      [1, "update", 200],
      [2, "disable", 404],
      [3, "delete", 409],
      [4, "update", 400],
      [5, "disable", 200],
      [6, "delete", 404],
    ]);
    expect(res.body).toMatchObject({ succeeded: 3, failed: 4 });
    expect(results[4]?.error?.errors?.map((e) => e.path)).toEqual(["body.operations.4.patch.model"]);
    expect(results[2]?.id).toBe(theirs.id);
    const fresh = results[0]?.agent;
    expect(fresh).toMatchObject({ name: "Fresh", personality: "new" });
    expect((await sys.get(`/v1/agents/${fresh?.id}`)).status).toBe(200);
    expect((await sys.get(`/v1/agents/${keep.id}`)).body).toMatchObject({
      systemPrompt: "updated",
      enabled: false,
    });
    expect((await sys.get(`/v1/agents/${seated.id}`)).status).toBe(200);
    expect((await sys.get(`/v1/agents/${theirs.id}`, other.accessToken)).body.enabled).toBe(true);
  });

  it("runs nothing when the request itself is malformed, naming the item's field", async () => {
    const before = (await sys.get("/v1/agents?limit=200")).body.items as unknown[];
    const res = await sys.post("/v1/agents/bulk", {
      operations: [
        { op: "create", agent: { name: "Would be made" } },
        { op: "create", agent: { name: "" } },
        { op: "explode", id: newEventId() },
      ],
    });
    expectProblem(res, 400, ["body.operations.1.agent.name", "body.operations.2.op"]);
    expectProblem(await sys.post("/v1/agents/bulk", { operations: [] }), 400, ["body.operations"]);
    expect((await sys.get("/v1/agents?limit=200")).body.items).toHaveLength(before.length);
  });
});

describe("agents in turns", () => {
  async function turnStatus(groupId: string, turnId: string, done: (status: unknown) => boolean) {
    return waitUntil(`turn ${turnId}`, async () => {
      const t = await sys.get(`/v1/groups/${groupId}/turns/${turnId}`);
      return done(t.body.status) ? t.body : undefined;
    });
  }

  async function repliesOf(groupId: string, turnId: string) {
    await turnStatus(groupId, turnId, (s) => s === "completed" || s === "failed");
    const history = (await sys.get(`/v1/groups/${groupId}/messages?limit=500`)).body.items as {
      turnId: string;
      type: string;
      content: string;
    }[];
    return history.filter((m) => m.turnId === turnId && m.type === "agent.replied").map((m) => m.content);
  }

  async function post(groupId: string, content: string): Promise<string> {
    const posted = await sys.post(`/v1/groups/${groupId}/messages`, { content });
    expect(posted.status).toBe(202);
    return posted.body.turnId as string;
  }

  const turnOf = async (groupId: string, content: string) => repliesOf(groupId, await post(groupId, content));

  it("reports each agent's last use and error rate from its recorded outcomes", async () => {
    const good = await createAgent({ name: "Good", scripted: { replies: ["fine"] } });
    const bad = await createAgent({ name: "Bad", scripted: { failWith: "broken on purpose" } });
    const idle = await createAgent({ name: "Idle" });
    const group = (await sys.post("/v1/groups", { name: "status", agentIds: [good.id, bad.id] })).body as {
      id: string;
    };
    await turnOf(group.id, "how are you?");
    const status = async (id: string) => (await sys.get(`/v1/agents/${id}/status`)).body;
    const goodStatus = await waitUntil("the reply to be recorded", async () => {
      const s = await status(good.id);
      return (s.window as { replies: number }).replies === 1 ? s : undefined;
    });
    expect(goodStatus).toMatchObject({
      agentId: good.id,
      enabled: true,
      seats: 1,
      window: { hours: 168, failures: 0, errorRate: 0 },
    });
    expect(Date.parse(goodStatus.lastUsedAt as string)).toBeGreaterThan(Date.now() - 60_000);
    const badStatus = await waitUntil("the failure to be recorded", async () => {
      const s = await status(bad.id);
      return (s.window as { failures: number }).failures === 1 ? s : undefined;
    });
    expect(badStatus.window).toMatchObject({ replies: 0, failures: 1, errorRate: 1 });
    expect(await status(idle.id)).toMatchObject({ lastUsedAt: null, seats: 0, window: { errorRate: null } });
    expectProblem(await sys.get(`/v1/agents/${idle.id}/status?windowHours=0`), 400, ["query.windowHours"]);
  });

  it("lets a disabled agent keep its seat without speaking", async () => {
    const on = await createAgent({ name: "On", scripted: { replies: ["here"] } });
    const off = await createAgent({ name: "Off", scripted: { replies: ["should not speak"] } });
    const group = (await sys.post("/v1/groups", { name: "muted", agentIds: [on.id, off.id] })).body as {
      id: string;
    };
    await sys.post(`/v1/agents/${off.id}/disable`, {});
    expect(await turnOf(group.id, "roll call")).toEqual(["here"]);
    expect(
      ((await sys.get(`/v1/groups/${group.id}`)).body.agents as { id: string }[]).map((a) => a.id),
    ).toEqual([on.id, off.id]);
  });

  it("applies a change made during a turn from the next turn", async () => {
    const slow = await createAgent({ name: "Slow", scripted: { replies: ["before"], delayMs: 1500 } });
    const group = (await sys.post("/v1/groups", { name: "mid-turn", agentIds: [slow.id] })).body as {
      id: string;
    };
    const first = await post(group.id, "one");
    // Running: the turn has taken its snapshot of the agent.
    await turnStatus(group.id, first, (s) => s === "running");
    expect((await patch(`/v1/agents/${slow.id}`, { scripted: { replies: ["after"] } })).status).toBe(200);
    expect(await repliesOf(group.id, first)).toEqual(["before"]);
    expect(await turnOf(group.id, "two")).toEqual(["after"]);
  });
});
