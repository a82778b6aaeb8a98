import { ConfigError } from "@conclave/config";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../config.js";

const problemsOf = (routes: unknown): string[] => {
  try {
    loadConfig({ PROXY_ROUTES: typeof routes === "string" ? routes : JSON.stringify(routes) });
  } catch (e) {
    if (e instanceof ConfigError) return e.issues;
    throw e;
  }
  return [];
};

describe("PROXY_ROUTES", () => {
  it("is empty by default, and fills each route's defaults", () => {
    expect(loadConfig({}).PROXY_ROUTES).toEqual([]);
    const config = loadConfig({
      PROXY_ROUTES: JSON.stringify([
        { prefix: "/ext/foo", upstream: "http://127.0.0.1:9000/base/", auth: "none" },
      ]),
    });
    expect(config.PROXY_ROUTES).toEqual([
      {
        prefix: "/ext/foo",
        upstream: "http://127.0.0.1:9000/base",
        stripPrefix: true,
        auth: "none",
        forwardAuthorization: false,
        methods: ["GET"],
        timeoutMs: 30_000,
      },
    ]);
  });

  it("reports every problem at once: each route's fields and each colliding prefix", () => {
    const problems = problemsOf([
      { prefix: "/ext/a", upstream: "http://127.0.0.1:1", auth: "none" },
      { prefix: "ext/b/", upstream: "ftp://h/x", auth: "maybe", methods: [], timeoutMs: 5, extra: 1 },
      { prefix: "/v1/ext", upstream: "http://u:p@h/x?q=1", auth: "none" },
      { prefix: "/ext", upstream: "https://h", auth: "required" },
      { prefix: "/ext/a/b", upstream: "https://h", auth: "required" },
      { prefix: "/healthz/x", upstream: "https://h", auth: "none" },
      { prefix: "/docsish", upstream: "https://h", auth: "none", methods: ["GET", "POST"] },
    ]);
    const expected = [
      'PROXY_ROUTES.1: Unrecognized key: "extra"',
      expect.stringMatching(/^PROXY_ROUTES\.1\.prefix: one or more path segments/),
      "PROXY_ROUTES.1.upstream: an http:// or https:// URL",
      expect.stringMatching(/^PROXY_ROUTES\.1\.auth: /),
      expect.stringMatching(/^PROXY_ROUTES\.1\.methods: /),
      expect.stringMatching(/^PROXY_ROUTES\.1\.timeoutMs: /),
      "PROXY_ROUTES.2.upstream: no credentials in the URL",
      "PROXY_ROUTES.2.upstream: no query or fragment",
      "PROXY_ROUTES.2.prefix: collides with the edge's /v1",
      "PROXY_ROUTES.3.prefix: collides with route 0 (/ext/a)",
      "PROXY_ROUTES.4.prefix: collides with route 0 (/ext/a)",
      "PROXY_ROUTES.4.prefix: collides with route 3 (/ext)",
      "PROXY_ROUTES.5.prefix: collides with the edge's /healthz",
    ];
    expect(problems).toEqual(expect.arrayContaining(expected));
    // Nothing else: /docsish is not /docs.
    expect(problems).toHaveLength(expected.length);
  });

  it("refuses what is not a JSON array of routes", () => {
    expect(problemsOf("{not json")).toEqual([expect.stringMatching(/^PROXY_ROUTES: not JSON: /)]);
    expect(problemsOf({ prefix: "/x" })).toEqual(["PROXY_ROUTES: a JSON array of routes"]);
  });
});
