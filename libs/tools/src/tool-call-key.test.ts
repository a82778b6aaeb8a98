import { describe, expect, it } from "vitest";
import { canonicalJson, toolCallKey } from "./tool-call-key.js";

describe("toolCallKey", () => {
  it("is the same whatever the order of keys, at every level", () => {
    const a = toolCallKey("run-1", 3, "http_fetch", {
      url: "https://a.test",
      opts: { x: 1, y: [1, { b: 2, a: 1 }] },
    });
    const b = toolCallKey("run-1", 3, "http_fetch", {
      opts: { y: [1, { a: 1, b: 2 }], x: 1 },
      url: "https://a.test",
    });
    expect(a).toBe(b);
    expect(a).toMatch(/^[0-9a-f]{64}$/);
  });

  it("differs when the arguments, the step, the run or the tool differ", () => {
    const base = toolCallKey("run-1", 3, "calculator", { expression: "1+1" });
    expect(toolCallKey("run-1", 3, "calculator", { expression: "1+2" })).not.toBe(base);
    expect(toolCallKey("run-1", 4, "calculator", { expression: "1+1" })).not.toBe(base);
    expect(toolCallKey("run-2", 3, "calculator", { expression: "1+1" })).not.toBe(base);
    expect(toolCallKey("run-1", 3, "run_js", { expression: "1+1" })).not.toBe(base);
    // Array order is meaning, not formatting.
    expect(toolCallKey("r", 0, "t", { a: [1, 2] })).not.toBe(toolCallKey("r", 0, "t", { a: [2, 1] }));
  });

  it("keeps run id and step apart (no ambiguity from concatenation)", () => {
    expect(toolCallKey("run-1", 23, "t", {})).not.toBe(toolCallKey("run-12", 3, "t", {}));
  });
});

describe("canonicalJson", () => {
  it("sorts keys, keeps arrays, drops undefined like JSON and keeps a __proto__ key as data", () => {
    expect(canonicalJson({ b: 1, a: [3, { d: undefined, c: null }] })).toBe('{"a":[3,{"c":null}],"b":1}');
    expect(canonicalJson(JSON.parse('{"__proto__":{"x":1},"a":1}'))).toBe('{"__proto__":{"x":1},"a":1}');
    expect(canonicalJson(undefined)).toBe("null");
  });
});
