import { describe, expect, it } from "vitest";
import { loadConfig } from "./config.js";
import { describeOffer } from "./offer.js";
import { buildProviders } from "./providers.js";

const offerOf = (env: Record<string, string>, hasDatabase = true) => {
  const c = loadConfig(env);
  return describeOffer(c, buildProviders(c), hasDatabase);
};

describe("describeOffer", () => {
  it("offers scripted alone without keys; accounts' keys for anthropic and gemini with a database", () => {
    expect(offerOf({})).toEqual({
      providers: [{ provider: "scripted" }],
      accountCredentials: ["anthropic", "gemini"],
    });
    expect(offerOf({}, false).accountCredentials).toEqual([]);
  });

  it("names the configured models of a provider its own key serves", () => {
    const o = offerOf({
      OPENAI_COMPAT_BASE_URL: "http://127.0.0.1:1/v1",
      OPENAI_COMPAT_MODELS: " local-1, slow-1 ,",
      ANTHROPIC_API_KEY: "k",
    });
    expect(o.providers).toEqual([
      { provider: "anthropic" },
      { provider: "openai-compatible", models: ["local-1", "slow-1"] },
      { provider: "scripted" },
    ]);
    expect(o.accountCredentials).toEqual(["anthropic", "gemini", "openai-compatible"]);
  });

  it("offers a provider served only through the fallbacks, with any model", () => {
    const o = offerOf({
      OPENAI_COMPAT_BASE_URL: "http://127.0.0.1:1/v1",
      OPENAI_COMPAT_MODELS: "local-1",
      GEMINI_MODELS: "gemini-x",
      LLM_FALLBACK: "openai-compatible",
    });
    expect(o.providers).toContainEqual({ provider: "gemini" });
    expect(o.providers).toContainEqual({ provider: "openai-compatible", models: ["local-1"] });
  });
});
