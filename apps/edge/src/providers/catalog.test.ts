import type { ExecutorOffer } from "@conclave/subjects";
import { describe, expect, it } from "vitest";
import { catalogOf, choiceIssues } from "./catalog.js";

const offer = (executorId: string, o: Partial<ExecutorOffer> = {}): ExecutorOffer => ({
  v: 1,
  executorId,
  at: "2026-12-07T00:00:00.000Z",
  providers: [{ provider: "scripted" }],
  accountCredentials: [],
  ...o,
});

describe("catalogOf", () => {
  it("merges executors' providers, the models they name, and how many serve each", () => {
    const c = catalogOf(
      [
        offer("a", {
          providers: [{ provider: "scripted" }, { provider: "openai-compatible", models: ["m2", "m1"] }],
        }),
        offer("b", {
          providers: [{ provider: "scripted" }, { provider: "openai-compatible", models: ["m3"] }],
        }),
      ],
      [],
    );
    expect(c).toEqual({
      executors: 2,
      providers: [
        { provider: "openai-compatible", models: ["m1", "m2", "m3"], executors: 2, via: ["executor"] },
        { provider: "scripted", models: null, executors: 2, via: ["executor"] },
      ],
      accountCredentials: [],
      acceptsAccountCredentials: [],
    });
  });

  it("any model once one executor names none for the provider", () => {
    const c = catalogOf(
      [
        offer("a", { providers: [{ provider: "anthropic", models: ["claude-x"] }] }),
        offer("b", { providers: [{ provider: "anthropic" }] }),
      ],
      [],
    );
    expect(c.providers).toEqual([{ provider: "anthropic", models: null, executors: 2, via: ["executor"] }]);
  });

  it("adds the caller's own credentials only where an executor uses them", () => {
    const c = catalogOf(
      [offer("a", { accountCredentials: ["anthropic", "gemini"] })],
      ["gemini", "openai-compatible"],
    );
    expect(c.providers.map((p) => [p.provider, p.via, p.models])).toEqual([
      ["gemini", ["account"], null],
      ["scripted", ["executor"], null],
    ]);
    expect(c.accountCredentials).toEqual(["gemini", "openai-compatible"]);
    expect(c.acceptsAccountCredentials).toEqual(["anthropic", "gemini"]);
  });
});

describe("choiceIssues", () => {
  it("refuses nothing while no executor has reported", () => {
    expect(choiceIssues(catalogOf([], []), [{ provider: "gemini", model: "x", at: "body" }])).toEqual([]);
  });

  it("names the provider no live executor serves, with the ones served", () => {
    const c = catalogOf([offer("a")], []);
    expect(
      choiceIssues(c, [
        { provider: "scripted", model: "scripted", at: "body.agents.0" },
        { provider: "anthropic", model: "claude-x", at: "body.agents.1" },
      ]),
    ).toEqual([
      { path: "body.agents.1.provider", message: "no live executor serves anthropic; served: scripted" },
    ]);
  });

  it("lets a provider through that an executor answers with the owner's own key, stored yet or not", () => {
    const c = catalogOf([offer("a", { accountCredentials: ["anthropic"] })], []);
    expect(choiceIssues(c, [{ provider: "anthropic", model: "any", at: "body" }])).toEqual([]);
    expect(choiceIssues(c, [{ provider: "gemini", model: "any", at: "body" }])).toEqual([
      {
        path: "body.provider",
        message: "no live executor serves gemini; served: scripted; with your own key: anthropic",
      },
    ]);
  });

  it("names a model outside the lists named for its provider", () => {
    const c = catalogOf([offer("a", { providers: [{ provider: "openai-compatible", models: ["m1"] }] })], []);
    expect(choiceIssues(c, [{ provider: "openai-compatible", model: "m1", at: "body" }])).toEqual([]);
    expect(choiceIssues(c, [{ provider: "openai-compatible", model: "m9", at: "body" }])).toEqual([
      { path: "body.model", message: "openai-compatible serves only the models m1" },
    ]);
    // With the caller's own key stored, the model is theirs to pick.
    const own = catalogOf(
      [
        offer("a", {
          providers: [{ provider: "openai-compatible", models: ["m1"] }],
          accountCredentials: ["openai-compatible"],
        }),
      ],
      ["openai-compatible"],
    );
    expect(choiceIssues(own, [{ provider: "openai-compatible", model: "m9", at: "body" }])).toEqual([]);
  });
});
