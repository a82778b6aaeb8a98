import { describe, expect, it } from "vitest";
import { hostAllowed } from "./host-allow-list.js";

describe("hostAllowed", () => {
  it("matches exact names, case and trailing dot aside", () => {
    expect(hostAllowed("Example.COM.", ["example.com"])).toBe(true);
    expect(hostAllowed("api.example.com", ["example.com"])).toBe(false);
    expect(hostAllowed("example.com.evil.test", ["example.com"])).toBe(false);
  });

  it("matches subdomains for *.name, but not the name itself or look-alikes", () => {
    expect(hostAllowed("api.example.com", ["*.example.com"])).toBe(true);
    expect(hostAllowed("a.b.example.com", ["*.example.com"])).toBe(true);
    expect(hostAllowed("example.com", ["*.example.com"])).toBe(false);
    expect(hostAllowed("badexample.com", ["*.example.com"])).toBe(false);
  });

  it("matches IPv6 literals with or without brackets, and anything for *", () => {
    expect(hostAllowed("[::1]", ["::1"])).toBe(true);
    expect(hostAllowed("::1", ["[::1]"])).toBe(true);
    expect(hostAllowed("anything.test", ["*"])).toBe(true);
    expect(hostAllowed("anything.test", [])).toBe(false);
  });
});
