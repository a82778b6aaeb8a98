import { type DbHandle, openDb } from "@conclave/db";
import {
  type OwnPostgres,
  openProvisionedBus,
  quietLogger,
  startPostgres,
  type TestBus,
  waitUntil,
} from "@conclave/testing";
import type { OpenAPIHono } from "@hono/zod-openapi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEdge, loadConfig } from "./app.js";
import type { EdgeEnv } from "./http/env.js";

// Generous for a loaded machine, far below the many seconds a held request waited.
const ANSWER_WITHIN_MS = 3_000;
const OUTAGE_MS = 6_000;

let pg: OwnPostgres;
let db: DbHandle;
let bus: TestBus;
/** With its caches off: every request needs the database. */
let app: OpenAPIHono<EdgeEnv>;
/** With its caches on (and kept longer than the test runs): posts need no database read. */
let cached: OpenAPIHono<EdgeEnv>;

beforeAll(async () => {
  [pg, bus] = await Promise.all([startPostgres(), openProvisionedBus()]);
  db = await openDb({ url: pg.url, poolSize: 4 });
  await db.migrate();
  const edge = (env: Record<string, string>) =>
    createEdge({
      config: loadConfig({ CONCLAVE_NS: bus.names.ns, ...env }),
      nc: bus.nc,
      db,
      log: quietLogger("edge"),
    });
  app = await edge({ ACCESS_CACHE_TTL_MS: "0" });
  cached = await edge({ ACCESS_CACHE_TTL_MS: "60000" });
});
afterAll(async () => {
  await db?.close();
  await bus?.dispose();
  await pg?.close();
});

interface Answer {
  status: number;
  retryAfter: string | null;
  type: string;
  ms: number;
}

/** A request that must be answered within `ANSWER_WITHIN_MS`; a held one fails the test. */
async function request(
  method: string,
  path: string,
  body?: unknown,
  token?: string,
  edge = app,
): Promise<Answer> {
  const started = Date.now();
  const answered = edge.request(path, {
    method,
    headers: {
      ...(body === undefined ? {} : { "content-type": "application/json" }),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  let timer: NodeJS.Timeout | undefined;
  const held = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${method} ${path} held over ${ANSWER_WITHIN_MS} ms`)),
      ANSWER_WITHIN_MS,
    );
  });
  try {
    const res = await Promise.race([answered, held]);
    await res.arrayBuffer();
    return {
      status: res.status,
      retryAfter: res.headers.get("retry-after"),
      type: res.headers.get("content-type") ?? "",
      ms: Date.now() - started,
    };
  } finally {
    clearTimeout(timer);
  }
}

/** A new person's access token and group, made through `edge`. */
async function signUp(edge: OpenAPIHono<EdgeEnv>, name: string): Promise<{ token: string; groupId: string }> {
  const registered = await edge.request("/v1/auth/register", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      email: `${name}-${bus.names.ns}@example.com`,
      password: `correct horse battery ${bus.names.ns}`,
    }),
  });
  expect(registered.status).toBe(201);
  const token = ((await registered.json()) as { accessToken: string }).accessToken;
  const created = await edge.request("/v1/groups", {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ name, agents: [{ name: "Ada" }] }),
  });
  expect(created.status).toBe(201);
  return { token, groupId: ((await created.json()) as { id: string }).id };
}

describe("the edge while PostgreSQL is down", () => {
  it("answers 503 with Retry-After at once, and serves again as soon as it is back", async () => {
    const email = `outage-${bus.names.ns}@example.com`;
    const registered = await app.request("/v1/auth/register", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email, password: `correct horse battery ${bus.names.ns}` }),
    });
    expect(registered.status).toBe(201);
    const token = ((await registered.json()) as { accessToken: string }).accessToken;
    const created = await app.request("/v1/groups", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ name: "outage", agents: [{ name: "Ada" }] }),
    });
    expect(created.status).toBe(201);
    const groupId = ((await created.json()) as { id: string }).id;
    const post = (n: number) =>
      request("POST", `/v1/groups/${groupId}/messages`, { content: `m${n}` }, token);
    expect((await post(0)).status).toBe(202);

    await pg.stop();
    // For several seconds (the driver's default backoff grows past them), one at a time and
    // several at once: each is refused fast, none waits for the database to come back.
    const during: Answer[] = [];
    const downSince = Date.now();
    for (let i = 1; i <= 200 && Date.now() - downSince < OUTAGE_MS; i++) {
      during.push(await post(i));
      during.push(...(await Promise.all([1, 2, 3].map((j) => post(i * 10 + j)))));
      during.push(await request("GET", `/v1/groups/${groupId}/messages`, undefined, token));
    }
    for (const a of during) {
      expect(a.status, JSON.stringify(a)).toBe(503);
      expect(a.type).toMatch(/^application\/problem\+json/);
      expect(Number(a.retryAfter)).toBeGreaterThanOrEqual(1);
    }

    await pg.start();
    const back = await waitUntil("a post to be accepted again", async () => {
      const a = await post(100);
      return a.status === 202 ? a : undefined;
    });
    expect(back.status).toBe(202);
    for (let i = 101; i <= 105; i++) expect((await post(i)).status).toBe(202);
  });

  it("still takes posts whose reads it has cached (they go to the bus), and refuses the rest at once", async () => {
    const { token, groupId } = await signUp(cached, "cached");
    const other = await signUp(app, "uncached");
    const post = (n: number) =>
      request("POST", `/v1/groups/${groupId}/messages`, { content: `c${n}` }, token, cached);
    expect((await post(0)).status).toBe(202);

    await pg.stop();
    try {
      for (let i = 1; i <= 5; i++) expect((await post(i)).status).toBe(202);
      const history = await request("GET", `/v1/groups/${groupId}/messages`, undefined, token, cached);
      expect(history.status).toBe(503);
      expect(history.type).toMatch(/^application\/problem\+json/);
      // Nothing cached for another person: their credential needs the database, refused at once.
      const theirs = await request(
        "POST",
        `/v1/groups/${other.groupId}/messages`,
        { content: "x" },
        other.token,
        cached,
      );
      expect(theirs.status).toBe(503);
      expect(Number(theirs.retryAfter)).toBeGreaterThanOrEqual(1);
    } finally {
      await pg.start();
    }
    await waitUntil("history to be served again", async () => {
      const a = await request("GET", `/v1/groups/${groupId}/messages`, undefined, token, cached);
      return a.status === 200 ? a : undefined;
    });
  });
});
