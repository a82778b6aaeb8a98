import { startSystem, type TestSystem, waitUntil } from "@conclave/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// What live executors serve, end to end: executor processes advertise their providers and models
// on NATS, GET /v1/providers reads them, and agent create/update refuse what none serves, once one
// has reported. An executor that stops withdraws its offer; one killed ages out of the bucket.

let sys: TestSystem;

interface Catalog {
  executors: number;
  providers: { provider: string; models: string[] | null; executors: number; via: string[] }[];
  accountCredentials: string[];
  acceptsAccountCredentials: string[];
}

const catalog = async () => {
  const res = await sys.get("/v1/providers");
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as unknown as Catalog;
};
const executorsReported = (n: number) =>
  waitUntil(`${n} executors in the catalog`, async () => {
    const c = await catalog();
    return c.executors === n ? c : undefined;
  });
const problemPaths = (body: Record<string, unknown>) =>
  ((body.errors as { path: string }[] | undefined) ?? []).map((e) => e.path);

beforeAll(async () => {
  // Executors are started by the test; offers outlive a dead executor by 3 s (renewed each second).
  sys = await startSystem({ executors: 0, provision: { executorOfferTtlMs: 3000 } });
}, 120_000);
afterAll(async () => {
  await sys?.stop();
});

describe("GET /v1/providers", () => {
  it("needs a signed-in caller", async () => {
    expect((await sys.get("/v1/providers", null)).status).toBe(401);
  });

  it("is empty before any executor runs, and then nothing is refused", async () => {
    expect(await catalog()).toEqual({
      executors: 0,
      providers: [],
      accountCredentials: [],
      acceptsAccountCredentials: [],
    });
    const early = await sys.post("/v1/agents", {
      name: "Early",
      provider: "openai-compatible",
      model: "m-1",
    });
    expect(early.status, JSON.stringify(early.body)).toBe(201);
  });

  it("lists what a running executor serves, and refuses a provider it cannot", async () => {
    await sys.spawn("executor");
    const c = await executorsReported(1);
    expect(c).toEqual({
      executors: 1,
      providers: [{ provider: "scripted", models: null, executors: 1, via: ["executor"] }],
      accountCredentials: [],
      // It has a database: an agent owner's own key is used for these (openai-compatible needs an endpoint).
      acceptsAccountCredentials: ["anthropic", "gemini"],
    });
    const refused = await sys.post("/v1/agents", {
      name: "Local",
      provider: "openai-compatible",
      model: "m-1",
    });
    expect(refused.status).toBe(422);
    expect(refused.headers.get("content-type")).toContain("application/problem+json");
    expect(problemPaths(refused.body)).toEqual(["body.provider"]);
    expect(JSON.stringify(refused.body.errors)).toContain("served: scripted");
    // A group's inline agents are checked the same way, each by its own path.
    const group = await sys.post("/v1/groups", {
      name: "g",
      agents: [{ name: "A" }, { name: "B", provider: "openai-compatible", model: "m-1" }],
    });
    expect(group.status).toBe(422);
    expect(problemPaths(group.body)).toEqual(["body.agents.1.provider"]);
    // Anthropic runs here with the owner's own key, which may be stored after the agent.
    expect(
      (await sys.post("/v1/agents", { name: "Claude", provider: "anthropic", model: "claude-x" })).status,
    ).toBe(201);
  });

  it("adds a second executor's models, and refuses a model outside them", async () => {
    await sys.spawn("executor", {
      OPENAI_COMPAT_BASE_URL: "http://127.0.0.1:9/v1",
      OPENAI_COMPAT_MODELS: "slow-1,local-1",
    });
    const c = await executorsReported(2);
    expect(c.providers).toEqual([
      { provider: "openai-compatible", models: ["local-1", "slow-1"], executors: 1, via: ["executor"] },
      { provider: "scripted", models: null, executors: 2, via: ["executor"] },
    ]);
    expect(c.acceptsAccountCredentials).toEqual(["anthropic", "gemini", "openai-compatible"]);
    const ok = await sys.post("/v1/agents", {
      name: "Local",
      provider: "openai-compatible",
      model: "local-1",
    });
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);
    const bad = await sys.post("/v1/agents", {
      name: "Other",
      provider: "openai-compatible",
      model: "gpt-x",
    });
    expect(bad.status).toBe(422);
    expect(bad.body.errors).toEqual([
      { path: "body.model", message: "openai-compatible serves only the models local-1, slow-1" },
    ]);
    const id = ok.body.id as string;
    const patchModel = await sys.request("PATCH", `/v1/agents/${id}`, { body: { model: "gpt-x" } });
    expect(patchModel.status).toBe(422);
    expect(problemPaths(patchModel.body)).toEqual(["body.model"]);
    // The agent made before any executor ran names a model outside the list: it may still be renamed.
    const early = ((await sys.get("/v1/agents?q=Early")).body.items as { id: string }[])[0];
    const rename = await sys.request("PATCH", `/v1/agents/${early?.id}`, { body: { name: "Earlier" } });
    expect(rename.status, JSON.stringify(rename.body)).toBe(200);
    const bulk = await sys.post("/v1/agents/bulk", {
      operations: [
        { op: "create", agent: { name: "Bulk", provider: "openai-compatible", model: "gpt-x" } },
        { op: "update", id, patch: { model: "slow-1" } },
      ],
    });
    expect(bulk.status).toBe(200);
    expect((bulk.body.results as { status: number }[]).map((r) => r.status)).toEqual([422, 200]);
  });

  it("with the caller's own key stored, the model is theirs to pick", async () => {
    const put = await sys.request("PUT", "/v1/provider-credentials/openai-compatible", {
      body: { apiKey: "sk-test-0123456789" },
    });
    expect(put.status).toBe(201);
    const c = await catalog();
    expect(c.accountCredentials).toEqual(["openai-compatible"]);
    expect(c.providers.find((p) => p.provider === "openai-compatible")).toEqual({
      provider: "openai-compatible",
      models: null,
      executors: 1,
      via: ["executor", "account"],
    });
    const mine = await sys.post("/v1/agents", {
      name: "Mine",
      provider: "openai-compatible",
      model: "gpt-x",
    });
    expect(mine.status, JSON.stringify(mine.body)).toBe(201);
    // Another person's catalog does not show it.
    const other = await sys.register();
    const theirs = await sys.get("/v1/providers", other.accessToken);
    expect((theirs.body as unknown as Catalog).accountCredentials).toEqual([]);
  });

  it("drops an executor that stops at once, and one killed when its offer ages out", async () => {
    const [first, second] = [sys.app("executor", 0), sys.app("executor", 1)];
    await second.stop();
    // Stopped: it withdrew its offer (the bucket keeps a delete marker, which is not an offer).
    const c = await executorsReported(1);
    expect(c.providers.map((p) => p.provider)).toEqual(["scripted"]);
    first.kill("SIGKILL");
    await first.waitForExit();
    await executorsReported(0);
    const any = await sys.post("/v1/agents", { name: "Later", provider: "openai-compatible", model: "m-1" });
    expect(any.status).toBe(201);
  });
});
