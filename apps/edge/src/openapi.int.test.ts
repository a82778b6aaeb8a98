import { provision } from "@conclave/bus";
import { type DbHandle, openDb } from "@conclave/db";
import {
  createTestDatabase,
  openTestBus,
  quietLogger,
  type TestBus,
  type TestDatabase,
} from "@conclave/testing";
import type { OpenAPIHono } from "@hono/zod-openapi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEdge, loadConfig } from "./app.js";
import type { EdgeEnv } from "./http/env.js";

let bus: TestBus;
let database: TestDatabase;
let db: DbHandle;
let app: OpenAPIHono<EdgeEnv>;

beforeAll(async () => {
  [bus, database] = await Promise.all([openTestBus(), createTestDatabase()]);
  db = await openDb({ url: database.url, poolSize: 2 });
  await provision(bus.nc, bus.names);
  app = await createEdge({
    config: loadConfig({ CONCLAVE_NS: bus.names.ns }),
    nc: bus.nc,
    db,
    log: quietLogger("edge"),
  });
});
afterAll(async () => {
  await db?.close();
  await bus?.dispose();
  await database?.drop();
});

const METHODS = ["get", "post", "put", "patch", "delete"] as const;

describe("the edge's OpenAPI document", () => {
  it("documents every route the router has, and nothing it does not", () => {
    // Middleware registers as ALL (and per-route middleware repeats its route): keep each method and path once.
    const routed = new Set(
      app.routes
        .filter((r) => r.method !== "ALL")
        .map((r) => `${r.method.toLowerCase()} ${r.path.replace(/\/$/, "") || "/"}`),
    );
    const doc = app.getOpenAPI31Document({ openapi: "3.1.0", info: { title: "t", version: "1" } });
    const documented = new Set(
      Object.entries(doc.paths ?? {}).flatMap(([path, item]) =>
        METHODS.filter((m) => item[m]).map((m) => `${m} ${path.replace(/\{([^}]+)\}/g, ":$1")}`),
      ),
    );
    expect(routed.size).toBeGreaterThan(20);
    expect([...routed].filter((r) => !documented.has(r)).sort(), "routed but not documented").toEqual([]);
    expect([...documented].filter((r) => !routed.has(r)).sort(), "documented but not routed").toEqual([]);
  });

  it("gives every operation an id-free summary, its security and its problem responses", () => {
    const doc = app.getOpenAPI31Document({ openapi: "3.1.0", info: { title: "t", version: "1" } });
    for (const [path, item] of Object.entries(doc.paths ?? {})) {
      for (const m of METHODS) {
        const op = item[m];
        if (!op) continue;
        const name = `${m} ${path}`;
        expect(op.summary, name).toBeTruthy();
        expect(op.security, name).toBeDefined();
        const open = (op.security ?? []).length === 0;
        if (!open) {
          expect(op.security, name).toEqual([{ bearer: [] }]);
          expect(Object.keys(op.responses ?? {}), name).toEqual(expect.arrayContaining(["401", "429"]));
        }
        for (const [status, response] of Object.entries(op.responses ?? {})) {
          // Readiness answers 503 with its checks, the one error that is not a problem.
          if (Number(status) < 400 || !("content" in response) || path === "/readyz") continue;
          expect(Object.keys(response.content ?? {}), `${name} ${status}`).toEqual([
            "application/problem+json",
          ]);
        }
      }
    }
  });
});
