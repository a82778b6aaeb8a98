import { type ProvisionOptions, provision } from "@conclave/bus";
import { createTestDatabase, type TestDatabase } from "./database.js";
import { testEnv } from "./env.js";
import { openTestBus, type TestBus, uniqueNamespace } from "./namespace.js";
import { type AppName, AppProcess, freePort, OPS_PORT_VAR } from "./processes.js";
import { waitUntil } from "./wait.js";
import { StreamClient } from "./ws-client.js";

export interface Response {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

/** A registered person: their tokens and account id. */
export interface TestUser {
  email: string;
  password: string;
  accountId: string;
  accessToken: string;
  refreshToken: string;
}

export interface SystemOptions {
  /** Node flags for every app process (benchmarks profile with `--cpu-prof --cpu-prof-dir=…`). */
  nodeArgs?: string[];
  /** A NATS of the test's own (chaos tests); the shared one otherwise. */
  natsUrl?: string;
  /** The namespace, when the test needs to know it before the system starts. */
  ns?: string;
  /** Per-app NATS users (when the server enforces permissions), and the test's own unrestricted user. */
  natsAuth?: { admin: { user: string; password: string }; apps: Record<AppName, string> };
  /** A PostgreSQL of the test's own (a role that may create databases); the shared one otherwise. */
  pgAdminUrl?: string;
  orchestrators?: number;
  executors?: number;
  /** Processes of each app (default 1 each; `orchestrators`/`executors` when given); extra edges and fanouts get ports of their own. */
  replicas?: Partial<Record<AppName, number>>;
  /** How long each app may take to come up (default 30 s). */
  readyTimeoutMs?: number;
  /** Start the production bundles (`apps/<app>/dist/main.js`) instead of the sources (default: `TEST_BUILT_APPS`). */
  built?: boolean;
  /** Provision settings beyond the defaults (`NATS_ACK_WAIT_MS` in `env` sets `ackWaitMs`). */
  provision?: ProvisionOptions;
  /** Extra environment for every app, or per app. */
  env?: Record<string, string>;
  envFor?: Partial<Record<AppName, Record<string, string>>>;
}

/** The whole system, every app a separate process, on its own namespace and database. */
export interface TestSystem {
  ns: string;
  bus: TestBus;
  db: TestDatabase;
  edgeUrl: string;
  streamUrl: string;
  /** The fanout's HTTP base (health). */
  fanoutUrl: string;
  /** Every edge's base URL and every fanout's WebSocket and HTTP bases, in start order (the first ones above). */
  edgeUrls: string[];
  streamUrls: string[];
  fanoutUrls: string[];
  apps: AppProcess[];
  app(name: AppName, index?: number): AppProcess;
  /** Starts an app process (e.g. another replica) and waits until it is up. */
  spawn(name: AppName, env?: Record<string, string>): Promise<AppProcess>;
  /** The person every helper acts as unless given another token. */
  user: TestUser;
  /** Registers a new person. */
  register(email?: string): Promise<TestUser>;
  /** JSON requests to the edge, as `token` (default: `user`'s access token; null: none). */
  post(path: string, body: unknown, token?: string | null): Promise<Response>;
  get(path: string, token?: string | null): Promise<Response>;
  request(
    method: string,
    path: string,
    options?: { body?: unknown; token?: string | null; headers?: Record<string, string> },
  ): Promise<Response>;
  /** A WebSocket to the fanout, authenticated as `token` (default: `user`). */
  openStream(token?: string): Promise<StreamClient>;
  stop(): Promise<void>;
}

// The ops port opens once the app has started: after it, metrics and health answer too.
const READY_LOG: Record<AppName, string> = {
  edge: "edge ops listening",
  fanout: "fanout ops listening",
  orchestrator: "orchestrator ops listening",
  executor: "executor ops listening",
  recorder: "recorder ops listening",
};

export async function startSystem(options: SystemOptions = {}): Promise<TestSystem> {
  const ns = options.ns ?? uniqueNamespace();
  const natsUrl = options.natsUrl ?? testEnv.TEST_NATS_URL;
  const [bus, db, edgePort, fanoutPort] = await Promise.all([
    openTestBus(ns, natsUrl, options.natsAuth?.admin),
    createTestDatabase(options.pgAdminUrl),
    freePort(),
    freePort(),
  ]);
  const base: Record<string, string> = {
    CONCLAVE_NS: ns,
    NATS_URL: natsUrl,
    DATABASE_URL: db.url,
    LOG_LEVEL: "info",
    EDGE_PORT: String(edgePort),
    FANOUT_PORT: String(fanoutPort),
    ...options.env,
  };
  const apps: AppProcess[] = [];
  const edgeUrls: string[] = [];
  const streamUrls: string[] = [];
  const fanoutUrls: string[] = [];
  const spawnApp = async (name: AppName, env: Record<string, string> = {}) => {
    const auth: Record<string, string> = options.natsAuth
      ? { NATS_USER: name, NATS_PASSWORD: options.natsAuth.apps[name] }
      : {};
    const own: Record<string, string> = { ...base, ...auth, ...options.envFor?.[name], ...env };
    // Every process its own ops port (metrics and health), known to the test (`app.opsUrl`).
    const opsVar = OPS_PORT_VAR[name];
    const opsChosenHere = own[opsVar] === undefined;
    own[opsVar] ??= String(await freePort());
    // The first edge and fanout take the base ports; every further one a port of its own.
    if (name === "edge") {
      if (edgeUrls.length > 0 && env.EDGE_PORT === undefined) own.EDGE_PORT = String(await freePort());
      edgeUrls.push(`http://127.0.0.1:${own.EDGE_PORT}`);
    }
    if (name === "fanout") {
      if (fanoutUrls.length > 0 && env.FANOUT_PORT === undefined) own.FANOUT_PORT = String(await freePort());
      fanoutUrls.push(`http://127.0.0.1:${own.FANOUT_PORT}`);
      streamUrls.push(`ws://127.0.0.1:${own.FANOUT_PORT}/v1/stream`);
    }
    const p = new AppProcess(name, own, options.nodeArgs, options.built);
    apps.push(p);
    // A port found free may be taken by another process before the app binds it (any outgoing
    // connection on the machine can get it): the ops port chosen here is chosen again, twice at most.
    for (let attempt = 1; ; attempt++) {
      try {
        await p.waitForLog(READY_LOG[name], options.readyTimeoutMs);
        return p;
      } catch (e) {
        const taken = p.running ? undefined : p.portInUse();
        if (attempt >= 3 || !opsChosenHere || taken === undefined || String(taken) !== own[opsVar]) throw e;
        p.restart({ [opsVar]: String(await freePort()) });
      }
    }
  };
  const count = (name: AppName, fallback = 1) => options.replicas?.[name] ?? fallback;
  const plan: AppName[] = [
    "edge",
    ...Array<AppName>(count("edge") - 1).fill("edge"),
    ...Array<AppName>(count("fanout")).fill("fanout"),
    ...Array<AppName>(count("recorder")).fill("recorder"),
    ...Array<AppName>(count("orchestrator", options.orchestrators ?? 1)).fill("orchestrator"),
    ...Array<AppName>(count("executor", options.executors ?? 1)).fill("executor"),
  ];
  try {
    // As a deployment does: one privileged step first (the apps' users may only check it happened).
    const ackWait = options.env?.NATS_ACK_WAIT_MS;
    await provision(bus.nc, bus.names, {
      ...options.provision,
      ...(ackWait ? { ackWaitMs: Number(ackWait) } : {}),
    });
    await spawnApp("edge");
    await Promise.all(plan.slice(1).map((a) => spawnApp(a)));
  } catch (e) {
    // Leave nothing behind when an app does not come up.
    await Promise.allSettled(apps.map((a) => a.stop()));
    await bus.dispose().catch(() => undefined);
    await db.drop().catch(() => undefined);
    throw e;
  }
  // The first edge's and fanout's, whichever ports they took (a test may choose them in `env`).
  const edgeUrl = edgeUrls[0] ?? `http://127.0.0.1:${edgePort}`;
  let user: TestUser | undefined;
  const request: TestSystem["request"] = async (method, path, options = {}) => {
    const token = options.token === undefined ? user?.accessToken : options.token;
    const headers: Record<string, string> = { ...options.headers };
    if (options.body !== undefined) headers["content-type"] = "application/json";
    if (token) headers.authorization = `Bearer ${token}`;
    const res = await fetch(`${edgeUrl}${path}`, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    const text = await res.text();
    return {
      status: res.status,
      headers: res.headers,
      body: (text ? JSON.parse(text) : {}) as Record<string, unknown>,
    };
  };
  let n = 0;
  const register = async (email = `user${++n}-${ns}@example.com`): Promise<TestUser> => {
    const password = `correct horse battery ${ns}`;
    const res = await request("POST", "/v1/auth/register", { body: { email, password }, token: null });
    if (res.status !== 201) throw new Error(`register ${email}: ${res.status} ${JSON.stringify(res.body)}`);
    const b = res.body as { account: { id: string }; accessToken: string; refreshToken: string };
    return {
      email,
      password,
      accountId: b.account.id,
      accessToken: b.accessToken,
      refreshToken: b.refreshToken,
    };
  };
  const streamUrl = streamUrls[0] ?? `ws://127.0.0.1:${fanoutPort}/v1/stream`;
  try {
    user = await register();
  } catch (e) {
    await Promise.allSettled(apps.map((a) => a.stop()));
    await bus.dispose().catch(() => undefined);
    await db.drop().catch(() => undefined);
    throw e;
  }
  const me = user;
  return {
    ns,
    bus,
    db,
    edgeUrl,
    streamUrl,
    fanoutUrl: `http://127.0.0.1:${fanoutPort}`,
    edgeUrls,
    streamUrls,
    fanoutUrls,
    user: me,
    register,
    request,
    apps,
    app(name, index = 0) {
      const found = apps.filter((a) => a.app === name)[index];
      if (!found) throw new Error(`no ${name} #${index}`);
      return found;
    },
    spawn: spawnApp,
    post: (path, body, token) => request("POST", path, { body, token }),
    get: (path, token) => request("GET", path, { token }),
    openStream: (token = me.accessToken) =>
      StreamClient.open(streamUrl, { headers: { authorization: `Bearer ${token}` } }),
    async stop() {
      await Promise.all(apps.map((a) => a.stop()));
      await bus.dispose();
      await db.drop();
    },
  };
}

/** Waits until the edge's history shows `count` messages for the group. */
export async function waitForHistory(sys: TestSystem, groupId: string, count: number, timeoutMs = 20_000) {
  return waitUntil(
    `${count} messages in history`,
    async () => {
      const res = await sys.get(`/v1/groups/${groupId}/messages?limit=500`);
      const items = res.body.items as unknown[] | undefined;
      return items && items.length >= count ? items : undefined;
    },
    timeoutMs,
  );
}
