import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { newEventId } from "@conclave/subjects";
import { startSystem, type TestSystem } from "@conclave/testing";
import { Validator } from "@seriousme/openapi-schema-validator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

let sys: TestSystem;
let spec: Record<string, unknown>;

type Operation = {
  operationId?: string;
  security?: Record<string, string[]>[];
  responses?: Record<string, unknown>;
  parameters?: { name: string; in: string; schema?: { pattern?: string } }[];
};
const METHODS = ["get", "post", "put", "patch", "delete"] as const;

beforeAll(async () => {
  sys = await startSystem();
  const res = await fetch(`${sys.edgeUrl}/openapi.json`);
  expect(res.status).toBe(200);
  spec = (await res.json()) as Record<string, unknown>;
});
afterAll(async () => {
  await sys?.stop();
});

function operations(): { method: (typeof METHODS)[number]; path: string; op: Operation }[] {
  const paths = spec.paths as Record<string, Partial<Record<(typeof METHODS)[number], Operation>>>;
  return Object.entries(paths).flatMap(([path, item]) =>
    METHODS.flatMap((method) => (item[method] ? [{ method, path, op: item[method] }] : [])),
  );
}

describe("the OpenAPI document at /openapi.json", () => {
  it("is a valid OpenAPI 3.1 document to an independent validator", async () => {
    expect(spec.openapi).toBe("3.1.0");
    const result = await new Validator().validate(spec);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it("passes an independent linter (Redocly, recommended rules) with no errors", async () => {
    const dir = await mkdtemp(join(tmpdir(), "openapi-"));
    try {
      const file = join(dir, "openapi.json");
      await writeFile(file, JSON.stringify(spec));
      // Exits non-zero on errors: read the report either way.
      const out = await promisify(execFile)("npx", ["redocly", "lint", file, "--format=json"], {
        maxBuffer: 32 * 1024 * 1024,
      }).catch((e: { stdout?: string }) => ({ stdout: e.stdout ?? "" }));
      const report = JSON.parse(out.stdout) as {
        totals: { errors: number };
        problems: { severity: string; ruleId: string; message: string }[];
      };
      expect(report.problems.filter((p) => p.severity === "error")).toEqual([]);
      expect(report.totals.errors).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("names a server and gives every operation a unique operationId", () => {
    expect(spec.servers).toEqual([expect.objectContaining({ url: expect.any(String) })]);
    const ids = operations().map(({ op }) => op.operationId);
    expect(ids.every((id) => typeof id === "string" && /^[A-Za-z][A-Za-z0-9]*$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("has only patterns that are plain ECMAScript regexes (no flags) and accepts a file named sales.csv", () => {
    const patterns: string[] = [];
    const walk = (v: unknown): void => {
      if (Array.isArray(v)) v.forEach(walk);
      else if (v && typeof v === "object")
        for (const [k, x] of Object.entries(v)) {
          if (k === "pattern" && typeof x === "string") patterns.push(x);
          else walk(x);
        }
    };
    walk(spec);
    expect(patterns.length).toBeGreaterThan(3);
    for (const p of patterns) {
      expect(() => new RegExp(p), p).not.toThrow();
      expect(() => new RegExp(p, "u"), p).not.toThrow();
      expect(p, "a flag written into the pattern").not.toMatch(/\/[dgimsuvy]+$/);
    }
    const upload = operations().find((o) => o.method === "post" && o.path === "/v1/groups/{groupId}/files");
    const name = upload?.op.parameters?.find((p) => p.in === "query" && p.name === "name")?.schema?.pattern;
    expect(name).toBeDefined();
    const re = new RegExp(name ?? "");
    expect(re.test("sales.csv")).toBe(true);
    expect(re.test("Q3 — ventes €.csv")).toBe(true);
    expect(re.test("bad\u0000name.csv")).toBe(false);
    expect(re.test("line\nbreak.csv")).toBe(false);
  });

  it("covers the API: accounts, keys, agents, groups, members, messages, turns, operations", () => {
    const paths = Object.keys(spec.paths as object);
    for (const p of [
      "/v1/auth/register",
      "/v1/auth/login",
      "/v1/auth/refresh",
      "/v1/auth/logout",
      "/v1/auth/logout-all",
      "/v1/me",
      "/v1/api-keys",
      "/v1/api-keys/{id}",
      "/v1/groups",
      "/v1/groups/{groupId}",
      "/v1/groups/{groupId}/members",
      "/v1/groups/{groupId}/agents",
      "/v1/groups/{groupId}/messages",
      "/v1/groups/{groupId}/turns/{turnId}",
      "/v1/groups/{groupId}/turns/{turnId}/timeline",
      "/v1/groups/{groupId}/export",
      "/v1/me/export",
      "/v1/search",
      "/v1/groups/{groupId}/fork",
      "/v1/usage",
      "/v1/usage/statements/{month}",
      "/v1/budgets",
      "/v1/budgets/{budgetId}",
      "/v1/admin/stats",
      "/healthz",
      "/readyz",
      "/.well-known/jwks.json",
      "/openapi.json",
      "/docs",
    ])
      expect(paths).toContain(p);
    const schemes = (spec.components as { securitySchemes: Record<string, unknown> }).securitySchemes;
    expect(schemes.bearer).toMatchObject({ type: "http", scheme: "bearer" });
  });

  it("matches the running edge: a documented route exists, and one behind `bearer` refuses no credential", async () => {
    for (const { method, path, op } of operations()) {
      const url = path.replace(/\{[^}]+\}/g, newEventId());
      const res = await fetch(`${sys.edgeUrl}${url}`, { method: method.toUpperCase() });
      const name = `${method} ${path}`;
      expect(await res.text(), name).not.toMatch(/"detail":"no route/);
      if ((op.security ?? []).length > 0) {
        expect(res.status, name).toBe(401);
        expect(res.headers.get("content-type"), name).toMatch(/problem\+json/);
        expect(Object.keys(op.responses ?? {}), name).toContain("401");
      }
    }
  });
});

describe("the docs at /docs", () => {
  it("renders an API reference page that loads this document", async () => {
    const res = await fetch(`${sys.edgeUrl}/docs`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html).toContain("<title>Conclave API</title>");
    expect(html).toContain("/openapi.json");
    // The page is the Scalar reference app, pointed at this document.
    expect(html).toContain('<div id="app">');
    expect(html).toMatch(/createApiReference\('#app', \{[^}]*"url": "\/openapi\.json"/);
    expect(html.length).toBeGreaterThan(1000);
  });
});
