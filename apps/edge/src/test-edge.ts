import { provision } from "@conclave/bus";
import { type DbHandle, openDb } from "@conclave/db";
import { createTestDatabase, openTestBus, quietLogger, type TestBus } from "@conclave/testing";
import type { OpenAPIHono } from "@hono/zod-openapi";
import { createEdge, loadConfig } from "./app.js";
import type { EdgeEnv } from "./http/env.js";

export interface EdgeResponse {
  status: number;
  type: string;
  body: Record<string, unknown>;
}

export interface TestEdgeUser {
  accountId: string;
  token: string;
  email: string;
}

/** The edge in this process, on a namespace and database of the test's own (no other app runs). */
export interface TestEdge {
  /** The Hono app, for requests the JSON helper does not make (YAML bodies). */
  app: OpenAPIHono<EdgeEnv>;
  bus: TestBus;
  db: DbHandle;
  register(): Promise<TestEdgeUser>;
  request(
    method: string,
    path: string,
    options?: { body?: unknown; token?: string; headers?: Record<string, string> },
  ): Promise<EdgeResponse>;
  stop(): Promise<void>;
}

/** Starts an in-process edge for integration tests, against the shared NATS and PostgreSQL. */
export async function startTestEdge(env: Record<string, string> = {}): Promise<TestEdge> {
  const [bus, database] = await Promise.all([openTestBus(), createTestDatabase()]);
  const db = await openDb({ url: database.url, poolSize: 4 });
  await provision(bus.nc, bus.names);
  const app = await createEdge({
    config: loadConfig({ CONCLAVE_NS: bus.names.ns, ...env }),
    nc: bus.nc,
    db,
    log: quietLogger("edge"),
  });
  const request: TestEdge["request"] = async (method, path, options = {}) => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.body !== undefined) headers["content-type"] = "application/json";
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    const res = await app.request(path, {
      method,
      headers,
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    });
    const text = await res.text();
    return {
      status: res.status,
      type: res.headers.get("content-type") ?? "",
      body: (text ? JSON.parse(text) : {}) as Record<string, unknown>,
    };
  };
  let n = 0;
  return {
    app,
    bus,
    db,
    request,
    async register() {
      const email = `user${++n}-${bus.names.ns}@example.com`;
      const res = await request("POST", "/v1/auth/register", {
        body: { email, password: `correct horse battery ${bus.names.ns}` },
      });
      if (res.status !== 201) throw new Error(`register: ${res.status} ${JSON.stringify(res.body)}`);
      const b = res.body as { account: { id: string }; accessToken: string };
      return { accountId: b.account.id, token: b.accessToken, email };
    },
    async stop() {
      await db.close();
      await bus.dispose();
      await database.drop();
    },
  };
}
