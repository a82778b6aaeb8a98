import { describe, expect, it } from "vitest";
import type { ProviderCatalog } from "../api/types.js";
import { modelOptions, providerIssue, providerOptions } from "./providers.js";

const catalog: ProviderCatalog = {
  executors: 1,
  providers: [
    { provider: "openai-compatible", models: ["local-1", "slow-1"], executors: 1, via: ["executor"] },
    { provider: "scripted", models: null, executors: 1, via: ["executor"] },
  ],
  accountCredentials: [],
  acceptsAccountCredentials: ["anthropic"],
};

describe("the console's provider checks", () => {
  it("refuses a provider no executor serves, one that needs the person's key, and a model outside the list", () => {
    expect(providerIssue("scripted", "scripted", catalog)).toBeUndefined();
    expect(providerIssue("openai-compatible", "local-1", catalog)).toBeUndefined();
    expect(providerIssue("openai-compatible", "gpt-x", catalog)).toEqual({
      field: "model",
      message: "openai-compatible serves only local-1, slow-1",
      blocking: true,
    });
    expect(providerIssue("anthropic", "claude-x", catalog)).toMatchObject({
      field: "provider",
      blocking: true,
    });
    expect(providerIssue("gemini", "g-1", catalog)?.message).toBe(
      "no running executor serves gemini; choose openai-compatible or scripted",
    );
  });

  it("only warns while no executor runs, and asks for a model", () => {
    const none = { ...catalog, executors: 0, providers: [], acceptsAccountCredentials: [] };
    expect(providerIssue("gemini", "g-1", none)).toMatchObject({ blocking: false });
    expect(providerIssue("scripted", " ", none)).toEqual({
      field: "model",
      message: "choose a model",
      blocking: true,
    });
  });

  it("offers what executors serve, what needs a key, the current choice, and their models", () => {
    expect(providerOptions(catalog, "gemini").map((o) => o.label)).toEqual([
      "openai-compatible",
      "scripted",
      "anthropic (needs your key)",
      "gemini (not served)",
    ]);
    expect(modelOptions(catalog, "openai-compatible")).toEqual(["local-1", "slow-1"]);
    expect(modelOptions(catalog, "anthropic")[0]).toMatch(/^claude/);
    expect(providerOptions(undefined, "scripted").map((o) => o.value)).toEqual([
      "scripted",
      "anthropic",
      "gemini",
      "openai-compatible",
    ]);
  });
});
