import { connectBus, provision } from "@conclave/bus";
import { type DbHandle, openDb } from "@conclave/db";
import type { Logger } from "@conclave/log";
import { createTestDatabase, openTestBus, quietLogger, type TestBus, testEnv } from "@conclave/testing";
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

type RequestFn = (
  method: string,
  path: string,
  options?: { body?: unknown; token?: string; headers?: Record<string, string> },
) => Promise<EdgeResponse>;

/** Another edge of the same deployment in this process, on a NATS connection of its own (a replica). */
export interface TestEdgeReplica {
  app: OpenAPIHono<EdgeEnv>;
  request: RequestFn;
  stop(): Promise<void>;
}

/** The edge in this process, on a namespace and database of the test's own (no other app runs). */
export interface TestEdge {
  /** The Hono app, for requests the JSON helper does not make (YAML bodies). */
  app: OpenAPIHono<EdgeEnv>;
  bus: TestBus;
  db: DbHandle;
  register(): Promise<TestEdgeUser>;
  request: RequestFn;
  /** Starts a replica (with the same environment, and `env` on top); stopped by `stop` too. */
  replica(env?: Record<string, string>): Promise<TestEdgeReplica>;
  stop(): Promise<void>;
}

const requester =
  (app: OpenAPIHono<EdgeEnv>): RequestFn =>
  async (method, path, options = {}) => {
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

/** Starts an in-process edge for integration tests, against the shared NATS and PostgreSQL. */
export async function startTestEdge(
  env: Record<string, string> = {},
  options: { log?: Logger } = {},
): Promise<TestEdge> {
  const [bus, database] = await Promise.all([openTestBus(), createTestDatabase()]);
  const db = await openDb({ url: database.url, poolSize: 4 });
  await provision(bus.nc, bus.names);
  const log = options.log ?? quietLogger("edge");
  const app = await createEdge({
    config: loadConfig({ CONCLAVE_NS: bus.names.ns, ...env }),
    nc: bus.nc,
    db,
    log,
  });
  const request = requester(app);
  const replicas: TestEdgeReplica[] = [];
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
    async replica(more = {}) {
      const nc = await connectBus({ url: testEnv.TEST_NATS_URL, name: `${bus.names.ns}-edge-replica`, log });
      const replicaApp = await createEdge({
        config: loadConfig({ CONCLAVE_NS: bus.names.ns, ...env, ...more }),
        nc,
        db,
        log,
      });
      const r: TestEdgeReplica = { app: replicaApp, request: requester(replicaApp), stop: () => nc.close() };
      replicas.push(r);
      return r;
    },
    async stop() {
      await Promise.allSettled(replicas.map((r) => r.stop()));
      await db.close();
      await bus.dispose();
      await database.drop();
    },
  };
}
