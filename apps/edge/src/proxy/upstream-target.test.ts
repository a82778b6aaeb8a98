import { describe, expect, it } from "vitest";
import { upstreamTarget } from "./upstream-target.js";

const route = { prefix: "/ext/foo", upstream: "http://127.0.0.1:9000/base", stripPrefix: true };
const target = (path: string, r: Partial<typeof route> = {}) =>
  upstreamTarget({ ...route, ...r }, `http://edge.example${path}`)?.href ?? null;

describe("upstreamTarget", () => {
  it("appends the path below the prefix, and the query, to the upstream", () => {
    expect(target("/ext/foo")).toBe("http://127.0.0.1:9000/base");
    expect(target("/ext/foo/")).toBe("http://127.0.0.1:9000/base/");
    expect(target("/ext/foo/a/b?x=1&y=%20")).toBe("http://127.0.0.1:9000/base/a/b?x=1&y=%20");
    expect(target("/ext/foo/a%20b")).toBe("http://127.0.0.1:9000/base/a%20b");
    expect(target("/ext/foo/a", { upstream: "https://up.example" })).toBe("https://up.example/a");
  });

  it("keeps the whole path when the route does not strip the prefix", () => {
    expect(target("/ext/foo/a", { stripPrefix: false })).toBe("http://127.0.0.1:9000/base/ext/foo/a");
  });

  it("refuses a path outside the prefix", () => {
    expect(target("/ext/foobar")).toBeNull();
    expect(target("/ext")).toBeNull();
  });

  it("refuses every way out of the prefix, encoded or not, and never names another host", () => {
    for (const path of [
      "/ext/foo/a/%2e%2e%2fb",
      "/ext/foo/%2e%2e%2f%2e%2e%2fv1",
      "/ext/foo/%252e%252e/x",
      "/ext/foo/a%2fb",
      "/ext/foo/a%5cb",
      "/ext/foo//evil.example/x",
      "/ext/foo/a//b",
      "/ext/foo/%E0%A4%A",
    ])
      expect(target(path), path).toBeNull();
    // The WHATWG parser has resolved these before: they are not below the prefix any more.
    expect(target("/ext/foo/../../v1/x")).toBeNull();
    expect(target("/ext/foo/%2e%2e/%2e%2e/v1/x")).toBeNull();
    expect(upstreamTarget(route, "http://evil.example/ext/foo/x")?.origin).toBe("http://127.0.0.1:9000");
  });
});
