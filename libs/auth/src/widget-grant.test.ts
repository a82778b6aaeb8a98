import { AppError } from "@conclave/errors";
import { describe, expect, it } from "vitest";
import { judgeWidget, normalizeOrigin, originAllowed, requireWidgetOrigin } from "./widget-grant.js";

const grant = { groupId: "g1", origins: ["https://shop.example", "http://localhost:8080"] };

describe("normalizeOrigin", () => {
  it("keeps scheme, host and a non-default port, lower-cased", () => {
    expect(normalizeOrigin("https://Shop.Example")).toBe("https://shop.example");
    expect(normalizeOrigin("https://shop.example/")).toBe("https://shop.example");
    expect(normalizeOrigin("https://shop.example:443")).toBe("https://shop.example");
    expect(normalizeOrigin("http://localhost:8080")).toBe("http://localhost:8080");
    expect(normalizeOrigin("http://[::1]:3000")).toBe("http://[::1]:3000");
  });

  it("refuses anything that is not an http(s) origin", () => {
    for (const bad of [
      "shop.example",
      "ftp://shop.example",
      "javascript:alert(1)",
      "https://shop.example/path",
      "https://shop.example/.",
      "https://shop.example?q=1",
      "https://shop.example#x",
      "https://user:pw@shop.example",
      "null",
      "*",
      "",
    ])
      expect(normalizeOrigin(bad), bad).toBeUndefined();
  });
});

describe("originAllowed", () => {
  it("matches scheme, host and port exactly", () => {
    expect(originAllowed(grant, "https://shop.example")).toBe(true);
    expect(originAllowed(grant, "http://localhost:8080")).toBe(true);
    expect(originAllowed(grant, "http://shop.example")).toBe(false);
    expect(originAllowed(grant, "https://shop.example:8443")).toBe(false);
    expect(originAllowed(grant, "https://evil.shop.example")).toBe(false);
    expect(originAllowed(grant, "https://shop.example.evil")).toBe(false);
    expect(originAllowed(grant, "http://localhost:8081")).toBe(false);
  });

  it("refuses a missing, opaque or non-canonical Origin", () => {
    expect(originAllowed(grant, undefined)).toBe(false);
    expect(originAllowed(grant, "")).toBe(false);
    expect(originAllowed(grant, "null")).toBe(false);
    expect(originAllowed(grant, "https://shop.example/")).toBe(false);
    expect(originAllowed(grant, "https://shop.example:443")).toBe(false);
  });

  it("is what requireWidgetOrigin enforces, for widget keys only", () => {
    const widget = {
      accountId: "a",
      accountRole: "member" as const,
      via: "api_key" as const,
      scopes: new Set<never>(),
      widget: grant,
    };
    expect(() => requireWidgetOrigin(widget, "https://shop.example")).not.toThrow();
    expect(() => requireWidgetOrigin(widget, undefined)).toThrow(AppError);
    const { widget: _, ...plain } = widget;
    expect(() => requireWidgetOrigin(plain, undefined)).not.toThrow();
  });
});

describe("judgeWidget", () => {
  const codeOf = (f: () => void) => {
    try {
      f();
      return "ok";
    } catch (e) {
      return e instanceof AppError ? e.code : "other";
    }
  };
  it("reads and posts in its own group, nothing else, and another group is not found", () => {
    expect(codeOf(() => judgeWidget(grant, "g1", "read"))).toBe("ok");
    expect(codeOf(() => judgeWidget(grant, "g1", "post"))).toBe("ok");
    expect(codeOf(() => judgeWidget(grant, "g1", "manage"))).toBe("forbidden");
    expect(codeOf(() => judgeWidget(grant, "g1", "debug"))).toBe("forbidden");
    expect(codeOf(() => judgeWidget(grant, "g2", "read"))).toBe("not_found");
    expect(codeOf(() => judgeWidget(grant, "g2", "manage"))).toBe("not_found");
  });
});
