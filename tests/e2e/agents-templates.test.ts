import { type Response, startSystem, type TestSystem } from "@conclave/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

let sys: TestSystem;

beforeAll(async () => {
  sys = await startSystem();
});
afterAll(async () => {
  await sys?.stop();
});

interface Template {
  id: string;
  role: string;
  industry: string;
  tone: string;
  agent: { name: string; systemPrompt: string; personality: string };
}

const paths = (res: Response) =>
  ((res.body.errors as { path: string }[] | undefined) ?? []).map((e) => e.path);

describe("agent templates", () => {
  it("lists presets for industries and roles, with the wizard's choices", async () => {
    const res = await sys.get("/v1/agent-templates");
    expect(res.status).toBe(200);
    const items = res.body.items as Template[];
    for (const id of ["support", "sales", "legal-review", "data-analyst", "critic", "contract-review"])
      expect(items.map((t) => t.id)).toContain(id);
    expect((res.body.roles as { id: string }[]).map((r) => r.id)).toContain("critic");
    expect((res.body.tones as { id: string }[]).map((r) => r.id)).toContain("formal");
    const critics = (await sys.get("/v1/agent-templates?role=critic")).body.items as Template[];
    expect(critics.map((t) => t.role)).toEqual(["critic"]);
    const health = (await sys.get("/v1/agent-templates?industry=healthcare")).body.items as Template[];
    expect(health.length).toBeGreaterThan(0);
    expect(
      health.every((t) => t.industry === "healthcare" && /healthcare provider/.test(t.agent.systemPrompt)),
    ).toBe(true);
    const bad = await sys.get("/v1/agent-templates?industry=mining&colour=red");
    expect(bad.status).toBe(400);
    expect(paths(bad)).toEqual(expect.arrayContaining(["query.industry", "query"]));
  });

  it("composes a draft from industry, role, tone and rules, saves nothing, and the draft saves as is", async () => {
    const before = ((await sys.get("/v1/agents")).body.items as unknown[]).length;
    const res = await sys.post("/v1/agent-templates/wizard", {
      industry: "finance",
      role: "support",
      tone: "formal",
      rules: ["Answer in British English.", "Never mention competitors."],
      name: "Penny",
    });
    expect(res.status).toBe(200);
    const draft = res.body.draft as Record<string, unknown> & { systemPrompt: string; personality: string };
    expect(draft.systemPrompt).toMatch(
      /^You are Penny, a customer support agent for a financial services firm\./,
    );
    expect(draft.systemPrompt).toContain("- Answer in British English.\n- Never mention competitors.");
    expect(draft.systemPrompt).toContain("licensed professional");
    expect(draft.personality).toMatch(/^Formal/);
    expect(res.body.composedFrom).toEqual({
      templateId: null,
      industry: "finance",
      role: "support",
      tone: "formal",
      rules: ["Answer in British English.", "Never mention competitors."],
    });
    expect((await sys.get("/v1/agents")).body.items).toHaveLength(before);
    const saved = await sys.post("/v1/agents", draft);
    expect(saved.status).toBe(201);
    expect(saved.body).toMatchObject(draft);
  });

  it("starts from a template and lets the caller override it", async () => {
    const res = await sys.post("/v1/agent-templates/wizard", {
      templateId: "contract-review",
      tone: "concise",
    });
    expect(res.status).toBe(200);
    const draft = res.body.draft as { systemPrompt: string; personality: string };
    expect(res.body.composedFrom).toMatchObject({
      templateId: "contract-review",
      industry: "legal",
      role: "legal_review",
      tone: "concise",
    });
    expect(draft.systemPrompt).toContain("liability caps");
    expect(draft.systemPrompt).toContain("not a lawyer");
    expect(draft.personality).toMatch(/^Brief/);
  });

  it("names what is wrong with a wizard request", async () => {
    const res = await sys.post("/v1/agent-templates/wizard", {
      templateId: "astronaut",
      tone: "grumpy",
      rules: Array.from({ length: 21 }, () => "a rule"),
    });
    expect(res.status).toBe(400);
    expect(paths(res)).toEqual(expect.arrayContaining(["body.templateId", "body.tone", "body.rules"]));
    expect(paths(await sys.post("/v1/agent-templates/wizard", { industry: "saas" }))).toEqual(["body.role"]);
  });
});
