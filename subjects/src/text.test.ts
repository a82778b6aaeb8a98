import { describe, expect, it } from "vitest";
import { MessagePosted } from "./message.js";
import { jsonObject, text, toStorable, UNSTORABLE_MESSAGE } from "./text.js";

const nested = (depth: number): unknown => {
  let v: unknown = "leaf";
  for (let i = 0; i < depth; i++) v = [v];
  return v;
};

describe("text()", () => {
  it("refuses a NUL anywhere, and keeps the string's other checks", () => {
    const name = text().trim().min(1).max(5);
    expect(name.parse(" Ada ")).toBe("Ada");
    const r = name.safeParse("A\u0000a");
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => i.message)).toEqual([UNSTORABLE_MESSAGE]);
    expect(name.safeParse("toolong").success).toBe(false);
  });

  it("refuses an unpaired surrogate (jsonb cannot hold one) and keeps a paired one", () => {
    expect(text().safeParse("a\ud800").success).toBe(false);
    expect(text().safeParse("\udc00b").success).toBe(false);
    expect(text().parse("😀 ok")).toBe("😀 ok");
  });

  it("is what the contract of a posted message uses: a NUL is refused, not retried", () => {
    const messageId = "0190a000-0000-7000-8000-000000000000";
    expect(MessagePosted.safeParse({ messageId, content: "hi" }).success).toBe(true);
    expect(MessagePosted.safeParse({ messageId, content: "h\u0000i" }).success).toBe(false);
  });
});

describe("jsonObject()", () => {
  const args = jsonObject({ maxDepth: 32, maxChars: 16_000 });

  it("takes ordinary arguments", () => {
    expect(args.parse({ q: "weather", n: [1, 2, { deep: true }] })).toEqual({
      q: "weather",
      n: [1, 2, { deep: true }],
    });
    // The object itself is level 1: 31 arrays below it reach 32.
    expect(args.safeParse({ a: nested(31) }).success).toBe(true);
  });

  it("refuses nesting past the limit, naming where, without overflowing on 32,668 or 1,000,000 levels", () => {
    const r = args.safeParse({ a: nested(32) });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.message).toMatch(/nested deeper than 32 levels/);
    expect(r.error?.issues[0]?.path.slice(0, 2)).toEqual(["a", 0]);
    for (const depth of [32_668, 1_000_000]) {
      const deep = JSON.parse(`{"a":${"[".repeat(depth)}${"]".repeat(depth)}}`);
      expect(args.safeParse(deep).success).toBe(false);
    }
  });

  it("refuses NUL in strings and keys at any level, and a value over the size limit", () => {
    const r = args.safeParse({ a: [{ b: "x\u0000" }], "k\u0000": 1 });
    expect(r.error?.issues.map((i) => i.path)).toEqual(expect.arrayContaining([["a", 0, "b"], ["k\u0000"]]));
    const big = args.safeParse({ a: "x".repeat(16_001) });
    expect(big.error?.issues[0]?.message).toMatch(/over 16000 characters/);
  });
});

describe("toStorable()", () => {
  it("replaces NUL in strings and keys with U+FFFD at any depth", () => {
    expect(toStorable({ "a\u0000": ["x\u0000y", { z: "\u0000" }], n: 1 })).toEqual({
      "a\uFFFD": ["x\uFFFDy", { z: "\uFFFD" }],
      n: 1,
    });
    expect(toStorable("a\u0000")).toBe("a\uFFFD");
    expect(toStorable({ s: "x\ud800y", "\udc00": "😀" })).toEqual({ s: "x\uFFFDy", "\uFFFD": "😀" });
  });

  it("leaves text that merely spells \\u0000 alone, and returns the same value when there is no NUL", () => {
    const spelled = { s: "a\\u0000b", t: "\\\\u0000", both: "\\u0000\u0000" };
    expect(toStorable(spelled)).toEqual({ s: "a\\u0000b", t: "\\\\u0000", both: "\\u0000\uFFFD" });
    const clean = { a: ["b"] };
    expect(toStorable(clean)).toBe(clean);
    expect(toStorable(undefined)).toBeUndefined();
  });
});
