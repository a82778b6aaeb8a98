import { describe, expect, it } from "vitest";
import { runTool } from "./run-tool.js";
import {
  createSearchHistoryTool,
  cutSnippet,
  type HistorySearch,
  type HistoryStore,
  historyTerms,
  MAX_SEARCH_TERMS,
  MAX_SNIPPET_CHARS,
} from "./search-history.js";
import { createToolRegistry } from "./tool-registry.js";

describe("historyTerms", () => {
  it("takes the distinct words, case-insensitively, without the punctuation around them", () => {
    expect(historyTerms("  When is the Falcon release? (the release, I mean)  ")).toEqual([
      "When",
      "is",
      "the",
      "Falcon",
      "release",
      "I",
      "mean",
    ]);
    expect(historyTerms("don't «Käse» 2024-03-01 café")).toEqual(["don't", "Käse", "2024-03-01", "café"]);
  });

  it("has no words in an empty or punctuation-only query", () => {
    for (const q of ["", "   ", "?!", "... — «» ()", "\n\t"]) expect(historyTerms(q), q).toEqual([]);
  });

  it("keeps at most MAX_SEARCH_TERMS words", () => {
    const words = Array.from({ length: 40 }, (_, i) => `w${i}`);
    expect(historyTerms(words.join(" "))).toEqual(words.slice(0, MAX_SEARCH_TERMS));
  });
});

describe("cutSnippet", () => {
  it("leaves a short snippet as it is", () => {
    expect(cutSnippet("a «b» c")).toBe("a «b» c");
    const exact = "x".repeat(MAX_SNIPPET_CHARS);
    expect(cutSnippet(exact)).toBe(exact);
  });

  it("cuts a long one at a word boundary, within the limit, ending with …", () => {
    const long = Array.from({ length: 200 }, (_, i) => `word${i}`).join(" ");
    const cut = cutSnippet(long);
    expect(cut.length).toBeLessThanOrEqual(MAX_SNIPPET_CHARS);
    expect(cut.endsWith("…")).toBe(true);
    expect(long.startsWith(cut.slice(0, -1))).toBe(true);
    expect(long.charAt(cut.length - 1)).toBe(" ");
  });

  it("closes a mark it cuts through and never splits a surrogate pair", () => {
    const marked = `a b «${"c".repeat(400)}» end`;
    const cut = cutSnippet(marked);
    expect(cut.length).toBeLessThanOrEqual(MAX_SNIPPET_CHARS);
    expect(cut).toMatch(/^a b «c+»…$/);
    // A word boundary near the limit comes first: the marked word is left out whole.
    expect(cutSnippet(`${"a".repeat(280)} «${"b".repeat(40)}» end`)).toBe(`${"a".repeat(280)}…`);
    for (let n = 10; n < 20; n++) {
      const emoji = cutSnippet("😀".repeat(30), n);
      expect(emoji.length).toBeLessThanOrEqual(n);
      expect(emoji.slice(0, -1)).toMatch(/^(😀)*$/u);
    }
  });
});

describe("the search_history tool", () => {
  const searches: HistorySearch[] = [];
  const store: HistoryStore = {
    search: async (s) => {
      searches.push(s);
      return {
        hits: [
          { seq: 3, at: "t", author: { kind: "user", name: "Lin" }, snippet: "y".repeat(500), rank: 1.5 },
        ],
        total: 7,
      };
    },
  };
  const registry = createToolRegistry([createSearchHistoryTool({ store })]);
  const call = (args: unknown, groupId?: string) =>
    runTool(registry, {
      name: "search_history",
      args,
      allowedTools: ["search_history"],
      ...(groupId === undefined ? {} : { groupId }),
    });

  it("searches the caller's group for the query's words, five hits by default, snippets cut", async () => {
    searches.length = 0;
    const out = await call({ query: "Falcon release" }, "group-a");
    expect(searches).toEqual([{ groupId: "group-a", terms: ["Falcon", "release"], limit: 5 }]);
    expect(out).toMatchObject({ ok: true, result: { total: 7, hits: [{ seq: 3, rank: 1.5 }] } });
    const hit = out.ok ? (out.result as { hits: { snippet: string }[] }).hits[0] : undefined;
    expect(hit?.snippet.length).toBeLessThanOrEqual(MAX_SNIPPET_CHARS);
    await call({ query: "x", limit: 20, beforeSeq: 40 }, "group-a");
    expect(searches.at(-1)).toEqual({ groupId: "group-a", terms: ["x"], limit: 20, beforeSeq: 40 });
  });

  it("answers no hits for a query without words, asking the store nothing", async () => {
    searches.length = 0;
    expect(await call({ query: "?? !!" }, "group-a")).toEqual({ ok: true, result: { hits: [], total: 0 } });
    expect(searches).toEqual([]);
  });

  it("takes no group from the model, and refuses a call with no group in scope", async () => {
    const smuggled = await call({ query: "x", groupId: "group-b" }, "group-a");
    expect(smuggled).toMatchObject({
      ok: false,
      error: { code: "validation", fields: [{ path: "groupId" }] },
    });
    expect(await call({ query: "x" })).toMatchObject({ ok: false, error: { code: "forbidden" } });
  });

  it("refuses queries and limits out of range, naming the field", async () => {
    for (const [args, path] of [
      [{ query: "" }, "query"],
      [{ query: "q".repeat(201) }, "query"],
      [{ query: "x", limit: 0 }, "limit"],
      [{ query: "x", limit: 21 }, "limit"],
      [{ query: "x", beforeSeq: 1.5 }, "beforeSeq"],
    ] as const) {
      expect(await call(args, "group-a"), path).toMatchObject({
        ok: false,
        error: { code: "validation", fields: [{ path }] },
      });
    }
  });

  it("offers the model a schema with query required and the rest optional", () => {
    const tool = registry.get("search_history");
    expect(tool?.parameters).toMatchObject({
      type: "object",
      required: ["query"],
      properties: { query: { maxLength: 200 }, limit: { minimum: 1, maximum: 20 } },
    });
  });
});
