import { describe, expect, it } from "vitest";
import { loadConfig } from "./config.js";
import { buildProviders } from "./providers.js";

describe("buildProviders", () => {
  it("offers only the scripted provider without keys", () => {
    const set = buildProviders(loadConfig({}));
    expect([...set.byAgentProvider.keys()]).toEqual(["scripted"]);
    expect(set.resilient.size).toBe(0);
  });

  it("offers each provider that has a key, each with its own circuits", () => {
    const set = buildProviders(
      loadConfig({ ANTHROPIC_API_KEY: "k", OPENAI_COMPAT_BASE_URL: "http://127.0.0.1:1/v1" }),
    );
    expect([...set.byAgentProvider.keys()].sort()).toEqual(["anthropic", "openai-compatible", "scripted"]);
    expect([...set.resilient.keys()].sort()).toEqual(["anthropic", "openai-compatible"]);
  });

  it("routes every real provider through the fallback chain when one is configured", () => {
    const set = buildProviders(
      loadConfig({ OPENAI_COMPAT_BASE_URL: "http://127.0.0.1:1/v1", LLM_FALLBACK: "openai-compatible" }),
    );
    expect([...set.byAgentProvider.keys()].sort()).toEqual([
      "anthropic",
      "gemini",
      "openai-compatible",
      "scripted",
    ]);
  });

  it("rejects an unknown fallback provider at start", () => {
    expect(() => loadConfig({ LLM_FALLBACK: "openai-compatible,nope" })).toThrow(/LLM_FALLBACK/);
  });
});
