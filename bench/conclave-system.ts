import { performance } from "node:perf_hooks";
import {
  type OwnNatsServer,
  type OwnPostgres,
  startOwnNatsServer,
  startPostgres,
  startSystem,
  type TestSystem,
} from "@conclave/testing";
import { countCpu, type ServerPids } from "./cpu-usage.js";
import { buildApps } from "./production-build.js";
import { type TurnArrivals, TurnWatcher } from "./turn-watcher.js";

export interface SystemLatency {
  /** POST start → `turn.completed` on the socket (ms). */
  completed: number[];
  /** POST start → 202 received (ms). */
  accepted: number[];
  /** Per stage, the time between consecutive arrivals on the socket (ms). */
  stages: Record<Stage, number[]>;
  /** Events on the socket per turn (the last turn's count). */
  eventsPerTurn: number;
  /** CPU ms per counted turn, by process. */
  cpuPerTurn: Record<string, number>;
}

export interface SystemThroughput {
  turns: number;
  groups: number;
  wallMs: number;
  /** CPU ms per turn, by process. */
  cpuPerTurn: Record<string, number>;
}

/** A turn's path as the socket sees it: each stage ends when its event arrives. */
export const STAGES = [
  ["post → message.posted", undefined, "message.posted"],
  ["message.posted → turn.started", "message.posted", "turn.started"],
  ["turn.started → last agent.replied", "turn.started", "agent.replied"],
  ["last agent.replied → turn.completed", "agent.replied", "turn.completed"],
] as const;
export type Stage = (typeof STAGES)[number][0];

/** The system as production runs it: every app its own process, on a nats-server and a PostgreSQL of its own. */
export interface BenchSystem {
  sys: TestSystem;
  servers: ServerPids;
  natsUrl: string;
  /** A superuser URL on the benchmark's PostgreSQL (its `postgres` database). */
  pgAdminUrl: string;
  stop(): Promise<void>;
}

/**
 * Starts a nats-server and a PostgreSQL (fsync and synchronous commit on, as in production) of the
 * benchmark's own, so their CPU is this system's alone, then every app on them.
 */
export async function startBenchSystem(
  options: {
    nodeArgs?: string[];
    env?: Record<string, string>;
    /** Extra nats-server configuration (e.g. a monitoring port). */
    natsConfig?: string;
    /** Extra PostgreSQL settings (e.g. `shared_preload_libraries`). */
    pgSettings?: Record<string, string>;
  } = {},
): Promise<BenchSystem> {
  buildApps();
  let nats: OwnNatsServer | undefined;
  let pg: OwnPostgres | undefined;
  try {
    nats = await startOwnNatsServer(options.natsConfig === undefined ? {} : { config: options.natsConfig });
    pg = await startPostgres({
      durable: true,
      ...(options.pgSettings ? { settings: options.pgSettings } : {}),
    });
    const [postmaster] = await pg.pids();
    const sys = await startSystem({
      built: true,
      natsUrl: nats.url,
      pgAdminUrl: pg.url,
      ...(options.nodeArgs ? { nodeArgs: options.nodeArgs } : {}),
      // The benchmark posts faster than the default per-user limit allows; lift it, auth stays on.
      env: { RATE_LIMIT_PER_MINUTE: "1000000", RATE_LIMIT_BURST: "100000", ...options.env },
    });
    const ownNats = nats;
    const ownPg = pg;
    return {
      sys,
      natsUrl: nats.url,
      pgAdminUrl: pg.url,
      servers: { natsServer: nats.pid, postgres: postmaster },
      async stop() {
        await sys.stop();
        await ownPg.close();
        await ownNats.dispose();
      },
    };
  } catch (e) {
    await pg?.close();
    await nats?.dispose();
    throw e;
  }
}

const NO_DELAY_AGENTS = [{ name: "A" }, { name: "B" }];
/** Two scripted agents a turn, the second seeing the first's answer. */
const STRATEGY = "round_robin";

export async function createGroup(sys: TestSystem, name: string): Promise<string> {
  const res = await sys.post("/v1/groups", { name, strategy: STRATEGY, agents: NO_DELAY_AGENTS });
  if (res.status !== 201 || typeof res.body.id !== "string")
    throw new Error(`creating a group: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id;
}

export async function postMessage(sys: TestSystem, groupId: string, content: string): Promise<string> {
  const res = await sys.post(`/v1/groups/${groupId}/messages`, { content });
  if (res.status !== 202 || typeof res.body.turnId !== "string")
    throw new Error(`posting a message: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.turnId;
}

const perTurn = (used: Record<string, number>, turns: number) =>
  Object.fromEntries(Object.entries(used).map(([k, ms]) => [k, ms / turns]));

function completedOrThrow(t: TurnArrivals): number {
  if (t.ended?.type !== "turn.completed")
    throw new Error(`turn ${t.turnId} ended ${t.ended?.type}: ${t.ended?.detail ?? ""}`);
  return t.ended.at;
}

/** Runs `warmup + count` turns one after another in one group and times each counted one. */
export async function measureSystemLatency(
  { sys, servers }: BenchSystem,
  count: number,
  warmup: number,
  progress: (line: string) => void,
): Promise<SystemLatency> {
  const groupId = await createGroup(sys, "bench latency");
  const watcher = await TurnWatcher.open(sys.streamUrl, sys.user.accessToken);
  const out: SystemLatency = {
    completed: [],
    accepted: [],
    stages: Object.fromEntries(STAGES.map(([s]) => [s, []])) as unknown as Record<Stage, number[]>,
    eventsPerTurn: 0,
    cpuPerTurn: {},
  };
  let cpu: ReturnType<typeof countCpu> | undefined;
  try {
    await watcher.subscribe(groupId);
    for (let i = 0; i < warmup + count; i++) {
      if (i === warmup) cpu = countCpu(sys, servers);
      const t0 = performance.now();
      const turnId = await postMessage(sys, groupId, `turn ${i}`);
      const accepted = performance.now();
      const turn = await watcher.ended(turnId);
      const completed = completedOrThrow(turn);
      if (i < warmup) continue;
      out.accepted.push(accepted - t0);
      out.completed.push(completed - t0);
      for (const [stage, from, to] of STAGES) {
        const start = from === undefined ? t0 : turn.at[from];
        const end = turn.at[to];
        if (start !== undefined && end !== undefined) out.stages[stage].push(end - start);
      }
      out.eventsPerTurn = turn.events;
      if ((i - warmup + 1) % 100 === 0) progress(`  ${i - warmup + 1}/${count} turns`);
    }
    out.cpuPerTurn = perTurn(cpu?.stop() ?? {}, count);
  } finally {
    await watcher.close();
  }
  return out;
}

/**
 * `clients` closed-loop clients, each with its own WebSocket: a client posts, waits for its turn's
 * `turn.completed`, and posts again, `turnsPerClient` times. Client k posts to group k mod `groups`
 * (groups == clients: each its own group; fewer: clients share a group and its turns queue).
 */
export async function measureSystemThroughput(
  { sys, servers }: BenchSystem,
  o: { clients: number; groups: number; turnsPerClient: number },
): Promise<SystemThroughput> {
  const groupIds = await Promise.all(
    Array.from({ length: o.groups }, (_, k) => createGroup(sys, `bench throughput ${k}`)),
  );
  const watchers = await Promise.all(
    Array.from({ length: o.clients }, () => TurnWatcher.open(sys.streamUrl, sys.user.accessToken)),
  );
  try {
    await Promise.all(watchers.map((w, k) => w.subscribe(groupIds[k % o.groups] ?? "")));
    const cpu = countCpu(sys, servers);
    const t0 = performance.now();
    const ends = await Promise.all(
      watchers.map(async (w, k) => {
        let last = t0;
        for (let i = 0; i < o.turnsPerClient; i++) {
          const turnId = await postMessage(sys, groupIds[k % o.groups] ?? "", `client ${k} turn ${i}`);
          last = completedOrThrow(await w.ended(turnId, 120_000));
        }
        return last;
      }),
    );
    const wallMs = Math.max(...ends) - t0;
    const turns = o.clients * o.turnsPerClient;
    return { turns, groups: o.groups, wallMs, cpuPerTurn: perTurn(cpu.stop(), turns) };
  } finally {
    await Promise.all(watchers.map((w) => w.close()));
  }
}
