import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { type EdgeResponse, startTestEdge, type TestEdge, type TestEdgeUser } from "../test-edge.js";

let edge: TestEdge;
let owner: TestEdgeUser;

beforeAll(async () => {
  edge = await startTestEdge();
  owner = await edge.register();
});
afterAll(async () => {
  await edge?.stop();
});

const paths = (res: EdgeResponse) =>
  ((res.body.errors as { path: string }[] | undefined) ?? []).map((e) => e.path);
const as = (token: string) => ({
  get: (path: string) => edge.request("GET", path, { token }),
  post: (path: string, body: unknown) => edge.request("POST", path, { body, token }),
  patch: (path: string, body: unknown) => edge.request("PATCH", path, { body, token }),
});

function expectProblem(res: EdgeResponse, status: number, fields: string[]) {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.type).toMatch(/^application\/problem\+json/);
  expect(paths(res)).toEqual(fields);
}

async function agent(name: string): Promise<string> {
  const res = await as(owner.token).post("/v1/agents", { name });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

describe("selector, voting and step settings", () => {
  it("creates a group whose selector sits in it, and refuses one that would not", async () => {
    const me = as(owner.token);
    const [seated, outside] = [await agent("Chair"), await agent("Outsider")];
    const before = ((await me.get("/v1/groups?limit=500")).body.items as unknown[]).length;
    expectProblem(
      await me.post("/v1/groups", {
        name: "wrong chair",
        strategy: "selector",
        settings: { selectorAgentId: outside },
        agentIds: [seated],
      }),
      400,
      ["body.settings.selectorAgentId"],
    );
    // An inline agent has no id before the group exists: it cannot be named the selector.
    expectProblem(
      await me.post("/v1/groups", {
        name: "inline chair",
        settings: { selectorAgentId: outside },
        agents: [{ name: "New" }],
      }),
      400,
      ["body.settings.selectorAgentId"],
    );
    expectProblem(
      await me.post("/v1/groups", { name: "stray threshold", settings: { voting: { threshold: 0.7 } } }),
      400,
      ["body.settings.voting.threshold"],
    );
    expect((await me.get("/v1/groups?limit=500")).body.items).toHaveLength(before);

    const created = await me.post("/v1/groups", {
      name: "chaired",
      strategy: "selector",
      settings: {
        selectorAgentId: seated,
        turnLimits: { maxAgentSteps: 12 },
        voting: { rule: "supermajority", threshold: 2 / 3 },
        mentionFallback: "none",
      },
      agentIds: [seated],
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.settings).toEqual({
      turnLimits: { maxAgentSteps: 12 },
      voting: {
        rule: "supermajority",
        threshold: 2 / 3,
        quorum: { kind: "count", min: 1 },
        deadlineMs: 60_000,
      },
      selectorAgentId: seated,
      mentionFallback: "none",
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
  });

  it("refuses a patch naming an unseated selector or a ballot without its threshold, and changes nothing", async () => {
    const me = as(owner.token);
    const [a, b] = [await agent("Seated"), await agent("Standing")];
    const g = (await me.post("/v1/groups", { name: "patchable", agentIds: [a] })).body as { id: string };
    const before = (await me.get(`/v1/groups/${g.id}`)).body;

    expectProblem(
      await me.patch(`/v1/groups/${g.id}`, { name: "renamed", settings: { selectorAgentId: b } }),
      400,
      ["body.settings.selectorAgentId"],
    );
    expectProblem(
      await me.patch(`/v1/groups/${g.id}`, { settings: { voting: { rule: "supermajority" } } }),
      400,
      ["body.settings.voting.threshold"],
    );
    expectProblem(
      await me.patch(`/v1/groups/${g.id}`, {
        settings: { voting: { rule: "supermajority", threshold: 0.5 } },
      }),
      400,
      ["body.settings.voting.threshold"],
    );
    expectProblem(
      await me.patch(`/v1/groups/${g.id}`, {
        settings: { turnLimits: { maxAgentSteps: 501 }, voting: { quorum: { kind: "share", min: 2 } } },
      }),
      400,
      ["body.settings.turnLimits.maxAgentSteps", "body.settings.voting.quorum.min"],
    );
    expect((await me.get(`/v1/groups/${g.id}`)).body).toEqual(before);

    const set = await me.patch(`/v1/groups/${g.id}`, {
      settings: {
        selectorAgentId: a,
        voting: { rule: "supermajority", threshold: 0.8, deadlineMs: 5000 },
        mentionFallback: "round_robin",
      },
    });
    expect(set.status, JSON.stringify(set.body)).toBe(200);
    expect(set.body.settings).toMatchObject({
      selectorAgentId: a,
      voting: { rule: "supermajority", threshold: 0.8, deadlineMs: 5000 },
      mentionFallback: "round_robin",
    });
    const off = await me.patch(`/v1/groups/${g.id}`, {
      settings: { voting: { rule: "unanimous" }, selectorAgentId: null, mentionFallback: null },
    });
    expect(off.body.settings).toMatchObject({
      selectorAgentId: null,
      voting: { rule: "unanimous", quorum: { kind: "count", min: 1 }, deadlineMs: 5000 },
      mentionFallback: "broadcast",
    });
    expect((off.body.settings as { voting: object }).voting).not.toHaveProperty("threshold");
  });

  it("round-trips the selector through YAML by name", async () => {
    const me = as(owner.token);
    const chair = await agent("Speaker");
    const g = (
      await me.post("/v1/groups", {
        name: "exported",
        strategy: "selector",
        settings: {
          selectorAgentId: chair,
          // The default quorum: built by the view on export, read back from jsonb after import.
          voting: { rule: "supermajority", threshold: 0.75 },
        },
        agents: [{ name: "Member" }],
        agentIds: [chair],
      })
    ).body as { id: string };
    const exportYaml = async (token: string, groupId: string) =>
      (
        await edge.app.request(`/v1/agents/export?groupId=${groupId}`, {
          headers: { authorization: `Bearer ${token}` },
        })
      ).text();
    const first = await exportYaml(owner.token, g.id);
    expect(first).not.toContain(chair);
    expect((parse(first) as { group: { settings: object } }).group.settings).toMatchObject({
      selectorAgent: "Speaker",
    });

    const importer = await edge.register();
    const res = await edge.app.request("/v1/agents/import", {
      method: "POST",
      headers: { authorization: `Bearer ${importer.token}`, "content-type": "application/yaml" },
      body: first,
    });
    const imported = (await res.json()) as { group: { id: string }; agents: { id: string; name: string }[] };
    expect(res.status, JSON.stringify(imported)).toBe(201);
    expect(await exportYaml(importer.token, imported.group.id)).toBe(first);
    const copy = (await as(importer.token).get(`/v1/groups/${imported.group.id}`)).body as {
      settings: { selectorAgentId: string };
    };
    expect(copy.settings.selectorAgentId).toBe(imported.agents.find((a) => a.name === "Speaker")?.id);

    const bad = await edge.app.request("/v1/agents/import", {
      method: "POST",
      headers: { authorization: `Bearer ${importer.token}`, "content-type": "application/yaml" },
      body: first.replace("selectorAgent: Speaker", "selectorAgent: Nobody"),
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { errors: { path: string }[] }).errors.map((e) => e.path)).toEqual([
      "body.group.settings.selectorAgent",
    ]);
  });
});
