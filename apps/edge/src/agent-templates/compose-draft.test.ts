import { describe, expect, it } from "vitest";
import { TEMPLATES } from "./catalog.js";
import { composeDraft } from "./compose-draft.js";
import { ROLE_IDS } from "./presets.js";

describe("composeDraft", () => {
  it("puts the role, the industry, its rules and the caller's rules in the prompt, and the tone in the personality", () => {
    const d = composeDraft({
      industry: "finance",
      role: "support",
      tone: "formal",
      rules: ["  Always answer in French. ", ""],
      name: "Claire",
    });
    expect(d.systemPrompt).toMatch(
      /^You are Claire, a customer support agent for a financial services firm\./,
    );
    expect(d.systemPrompt).toContain("Your job:\n- Find out what the customer needs");
    expect(d.systemPrompt).toContain("Rules:\n- Do not give personalised investment");
    expect(d.systemPrompt.endsWith("- Always answer in French.")).toBe(true);
    expect(d.personality).toBe("Formal and precise; complete sentences, no slang.");
    expect(d).toMatchObject({
      name: "Claire",
      provider: "scripted",
      model: "scripted",
      temperature: 0.3,
      tools: [],
    });
  });

  it("is deterministic and falls back to the role's name and tone", () => {
    const a = composeDraft({ industry: "general", role: "data_analyst" });
    expect(composeDraft({ industry: "general", role: "data_analyst" })).toEqual(a);
    expect(a.name).toBe("Data analyst");
    expect(a.personality).toMatch(/^Brief/);
    expect(a.tools).toEqual(["calculator", "dataset", "run_js"]);
    expect(a.systemPrompt).not.toContain("Rules:");
  });

  it("has a template for every role, with unique ids", () => {
    expect(new Set(TEMPLATES.map((t) => t.role))).toEqual(new Set(ROLE_IDS));
    expect(new Set(TEMPLATES.map((t) => t.id)).size).toBe(TEMPLATES.length);
    for (const t of TEMPLATES) expect(t.agent.systemPrompt.length).toBeLessThan(4000);
  });
});
