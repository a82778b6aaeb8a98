/**
 * `npm run bench:fanout`: what one fanout process costs per delivered event.
 *
 * (a) Broadcast: 1,000 WebSocket subscribers of one group; events published to the group's subject
 *     on the conv stream (real envelopes), publish → arrival at every subscriber, beside a bare `ws`
 *     server (its own process) broadcasting frames of the same size from a core NATS subject to
 *     1,000 clients of its own, in the same run, window after window.
 * (b) 10,000 sockets on one fanout, over one group and over 1,000 groups: events at a steady rate,
 *     delivery latency, the fanout's CPU per delivery and its RSS, and the JetStream consumers open.
 *
 * Everything runs on a nats-server of the bench's own (10,000 consumers are no load to put on a
 * shared one) and a PostgreSQL database of its own; the clients live in worker threads of this
 * process, so it and the fanout each hold 10,000 sockets: the hard open-files limit (`ulimit -Hn`)
 * must allow it (checked at start). CPU figures come from /proc. Medians over `--runs` windows.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { Worker } from "node:worker_threads";
import { createApiKey } from "@conclave/auth";
import { jetstream, jetstreamManager, provision, publishEnvelope } from "@conclave/bus";
import { accounts, groupMembers, groups, openDb } from "@conclave/db";
import { makeEnvelope, newEventId } from "@conclave/subjects";
import {
  AppProcess,
  createTestDatabase,
  freePort,
  openTestBus,
  REPO_ROOT,
  startOwnNatsServer,
  uniqueNamespace,
  waitUntil,
} from "@conclave/testing";
import { cpuMs } from "./cpu-usage.js";
import type { ClientSet, FromWorker, ToWorker } from "./fanout-clients.js";
import { median, summarize } from "./stats.js";

export interface FanoutBenchOptions {
  /** Measurement windows per case; the result holds their medians. */
  runs: number;
  /** (a): subscribers of the one group, and of the raw server. */
  subscribers: number;
  /** (a): events per window, and the pause between two. */
  broadcastEvents: number;
  broadcastGapMs: number;
  /** (b): sockets on the one fanout. */
  sockets: number;
  /** (b): each case's number of groups (sockets spread evenly) and events per second (over all groups). */
  spreads: { groups: number; rate: number }[];
  /** (b): seconds of publishing per window. */
  seconds: number;
  /** Characters of each message's content (the frame is about 400 bytes more). */
  contentChars: number;
  /** Worker threads holding the clients. */
  workers: number;
  /** A folder for the fanout's CPU profile (`--cpu-prof`), written when it stops. */
  profileDir?: string;
  progress: (line: string) => void;
}

export const FANOUT_BENCH_DEFAULTS: FanoutBenchOptions = {
  runs: 3,
  subscribers: 1000,
  broadcastEvents: 100,
  broadcastGapMs: 50,
  sockets: 10_000,
  spreads: [
    { groups: 1000, rate: 200 },
    { groups: 1, rate: 4 },
  ],
  seconds: 5,
  contentChars: 200,
  workers: 2,
  progress: (line) => process.stderr.write(`${line}\n`),
};

/** One server's figures for a window (latencies in ms). */
export interface DeliveryFigures {
  deliveries: number;
  /** Deliveries expected and not seen within the window's wait. */
  missing: number;
  p50: number;
  p99: number;
  /** Per event: publish → its arrival at the last of its subscribers. */
  allP50: number;
  allP99: number;
  /** The server process's user + system CPU per delivery, and per event published. */
  cpuMsPerDelivery: number;
  cpuMsPerEvent: number;
  /** The nats-server's CPU per published event. */
  natsCpuMsPerEvent: number;
  /** Publishes JetStream did not acknowledge in time (their events are left out of every figure). */
  unacked: number;
}

export interface BroadcastResult {
  subscribers: number;
  events: number;
  frameBytes: number;
  fanout: DeliveryFigures;
  raw: DeliveryFigures;
  /** fanout / raw. */
  ratio: { allP50: number; allP99: number; p99: number; cpu: number };
}

export interface SocketsResult extends DeliveryFigures {
  sockets: number;
  groups: number;
  eventsPerSecond: number;
  /** JetStream consumers the fanout holds on the conv stream while every socket is subscribed. */
  consumers: number;
  /** The fanout's resident memory at the end of the windows. */
  rssMiB: number;
  /** Seconds to open and subscribe every socket. */
  connectSeconds: number;
  /** The fanout's CPU per second while the sockets sat idle (heartbeats, access checks). */
  idleCpuMsPerSecond: number;
  /** CPU per delivery less what the idle sockets would have cost over the window. */
  netCpuMsPerDelivery: number;
}

export interface FanoutResult {
  openFilesLimit: number;
  broadcast: BroadcastResult;
  sockets: SocketsResult[];
}

// ---------------------------------------------------------------------------------------------
// Process figures from /proc.

function rssBytes(pid: number): number {
  const m = readFileSync(`/proc/${pid}/status`, "utf8").match(/^VmRSS:\s+(\d+) kB/m);
  return m?.[1] ? Number(m[1]) * 1024 : Number.NaN;
}

/** The soft and hard limits on open files of this process. */
export function openFilesLimits(): { soft: number; hard: number } {
  const line = readFileSync("/proc/self/limits", "utf8")
    .split("\n")
    .find((l) => l.startsWith("Max open files"));
  const [soft, hard] = (line?.slice("Max open files".length).trim().split(/\s+/) ?? []).map((v) =>
    v === "unlimited" ? Number.POSITIVE_INFINITY : Number(v),
  );
  return { soft: soft ?? Number.NaN, hard: hard ?? Number.NaN };
}

/** Files the bench holds open: every client socket, plus room for the rest. */
const filesNeeded = (o: FanoutBenchOptions) => Math.max(o.sockets, 2 * o.subscribers) + 1024;

/** The pid of the nats-server listening on `port` (ours, not the shared one). */
function natsPid(port: string): number | undefined {
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const argv = readFileSync(`/proc/${d}/cmdline`, "utf8").split("\0");
      if (argv[0]?.endsWith("nats-server") && argv[argv.indexOf("-p") + 1] === port) return Number(d);
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Client workers.

class Clients {
  private constructor(private readonly workers: Worker[]) {}

  static async start(n: number): Promise<Clients> {
    const url = new URL("./fanout-clients.ts", import.meta.url);
    // On Node 20 a worker's TypeScript entry is loaded before any --import: register tsx first.
    const boot = `import(${JSON.stringify(import.meta.resolve("tsx/esm/api"))}).then((m) => { m.register(); return import(${JSON.stringify(url.href)}); })`;
    const workers = Array.from({ length: n }, () => new Worker(boot, { eval: true }));
    await Promise.all(
      workers.map(
        (w) =>
          new Promise((resolve, reject) => {
            w.once("online", resolve);
            w.once("error", reject);
          }),
      ),
    );
    return new Clients(workers);
  }

  private ask(w: Worker, msg: ToWorker): Promise<FromWorker> {
    return new Promise((resolve, reject) => {
      const onMessage = (m: FromWorker) => {
        w.off("error", onError);
        resolve(m);
      };
      const onError = (e: Error) => {
        w.off("message", onMessage);
        reject(e);
      };
      w.once("message", onMessage);
      w.once("error", onError);
      w.postMessage(msg);
    });
  }

  private all(msg: ToWorker) {
    return Promise.all(this.workers.map((w) => this.ask(w, msg)));
  }

  /** Opens every set's sockets, spread evenly over the workers; each set's sockets interleave. */
  async connect(sets: ClientSet[]): Promise<{ opened: number; failed: number; firstError?: string }> {
    const n = this.workers.length;
    const replies = await Promise.all(
      this.workers.map((w, i) =>
        this.ask(w, {
          cmd: "connect",
          parallel: 32,
          sets: sets.map((s) => ({ ...s, groups: s.groups.filter((_, j) => j % n === i) })),
        }),
      ),
    );
    let opened = 0;
    let failed = 0;
    let firstError: string | undefined;
    for (const r of replies) {
      if (r.type !== "connected") continue;
      opened += r.opened;
      failed += r.failed;
      firstError ??= r.firstError;
    }
    return { opened, failed, ...(firstError ? { firstError } : {}) };
  }

  async count(set: string): Promise<{ received: number; closed: number }> {
    let received = 0;
    let closed = 0;
    for (const r of await this.all({ cmd: "count" })) {
      if (r.type !== "count") continue;
      received += r.counts[set] ?? 0;
      closed += r.closed;
    }
    return { received, closed };
  }

  /** Every arrival recorded since the last collect, as (seq, time) pairs of one set. */
  async collect(set: string): Promise<{ seqs: Float64Array[]; times: Float64Array[] }> {
    const out = { seqs: [] as Float64Array[], times: [] as Float64Array[] };
    for (const r of await this.all({ cmd: "collect" })) {
      if (r.type !== "collected") continue;
      const s = r.sets[set];
      if (s) {
        out.seqs.push(s.seqs);
        out.times.push(s.times);
      }
    }
    return out;
  }

  async closeSockets(): Promise<void> {
    await this.all({ cmd: "close" });
  }

  async stop(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

// ---------------------------------------------------------------------------------------------

const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Delivery figures from what the clients saw against when each event was published. */
function figures(
  arrivals: { seqs: Float64Array[]; times: Float64Array[] },
  published: Map<number, { at: number; subscribers: number }>,
  cpu: { serverMs: number; natsMs: number },
): Omit<DeliveryFigures, "unacked"> {
  const latencies: number[] = [];
  const last = new Map<number, number>();
  arrivals.seqs.forEach((seqs, k) => {
    const times = arrivals.times[k] ?? new Float64Array();
    for (let i = 0; i < seqs.length; i++) {
      const seq = seqs[i] ?? 0;
      const p = published.get(seq);
      if (!p) continue;
      const lat = (times[i] ?? Number.NaN) - p.at;
      latencies.push(lat);
      last.set(seq, Math.max(last.get(seq) ?? Number.NEGATIVE_INFINITY, lat));
    }
  });
  let expected = 0;
  for (const p of published.values()) expected += p.subscribers;
  const d = summarize(latencies);
  const all = summarize([...last.values()]);
  return {
    deliveries: d.n,
    missing: expected - d.n,
    p50: d.p50,
    p99: d.p99,
    allP50: all.p50,
    allP99: all.p99,
    cpuMsPerDelivery: cpu.serverMs / Math.max(1, d.n),
    cpuMsPerEvent: cpu.serverMs / Math.max(1, published.size),
    natsCpuMsPerEvent: cpu.natsMs / Math.max(1, published.size),
  };
}

function medianOf<T extends object>(rows: T[]): T {
  const first = rows[0];
  if (!first) throw new Error("no runs");
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(first)) {
    out[k] =
      typeof v === "number"
        ? median(rows.map((r) => (r as Record<string, number>)[k] ?? Number.NaN))
        : v !== null && typeof v === "object"
          ? medianOf(rows.map((r) => (r as Record<string, object>)[k] ?? {}))
          : v;
  }
  return out as T;
}

/** Runs both parts of the bench and returns their medians; the caller's open-files limit must fit the sockets. */
export async function measureFanout(options: Partial<FanoutBenchOptions> = {}): Promise<FanoutResult> {
  const o = { ...FANOUT_BENCH_DEFAULTS, ...options };
  // Node raises its soft limit to the hard one as it starts (so do the fanout and the raw server):
  // only a hard limit below the sockets stops the bench, and only a privileged user can raise it.
  const limits = openFilesLimits();
  if (limits.soft < filesNeeded(o)) {
    throw new Error(
      `the bench holds ${filesNeeded(o)} files open, and this process may open ${limits.soft} ` +
        `(hard limit ${limits.hard}): raise the hard limit (ulimit -Hn, limits.conf) or lower --sockets / --subscribers`,
    );
  }
  const progress = o.progress;
  const nats = await startOwnNatsServer();
  const natsPort = new URL(nats.url.replace("nats://", "http://")).port;
  const ns = uniqueNamespace("bench");
  const bus = await openTestBus(ns, nats.url);
  // Run front to back: what was added last goes first; the bus closes before its server stops.
  const cleanups: (() => Promise<unknown>)[] = [() => bus.dispose(), () => nats.dispose()];
  try {
    await provision(bus.nc, bus.names);
    const js = jetstream(bus.nc);
    const jsm = await jetstreamManager(bus.nc);
    const database = await createTestDatabase();
    cleanups.unshift(() => database.drop());

    // One reader, an API key, and every group the cases need, the reader a member of each.
    const maxGroups = Math.max(1, ...o.spreads.map((s) => s.groups));
    const db = await openDb({ url: database.url, poolSize: 2 });
    const accountId = newEventId();
    await db.db
      .insert(accounts)
      .values({ id: accountId, email: `bench-${ns}@example.com`, passwordHash: "x" });
    const { key } = await createApiKey(db.db, { accountId, name: "bench", scopes: ["read"] });
    const groupIds = Array.from({ length: maxGroups + 1 }, () => newEventId());
    for (let i = 0; i < groupIds.length; i += 500) {
      const chunk = groupIds.slice(i, i + 500);
      await db.db.insert(groups).values(chunk.map((id) => ({ id, name: "bench" })));
      await db.db
        .insert(groupMembers)
        .values(chunk.map((groupId) => ({ groupId, accountId, role: "viewer" as const })));
    }
    await db.close();
    const [broadcastGroup, ...spreadGroups] = groupIds as [string, ...string[]];

    const port = await freePort();
    const fanout = new AppProcess(
      "fanout",
      {
        CONCLAVE_NS: ns,
        NATS_URL: nats.url,
        DATABASE_URL: database.url,
        LOG_LEVEL: "info",
        FANOUT_PORT: String(port),
        WS_MAX_SUBSCRIPTIONS: "50",
        // Re-checking 10,000 credentials a minute is a database load of its own, not delivery.
        WS_REAUTH_MS: "3600000",
      },
      o.profileDir ? ["--cpu-prof", `--cpu-prof-dir=${o.profileDir}`] : [],
    );
    cleanups.unshift(() => fanout.stop());
    await fanout.waitForLog("fanout listening");
    const fanoutPid = fanout.pid ?? 0;
    const nPid = natsPid(natsPort);
    const cpuOf = (pid: number | undefined) => (pid === undefined ? 0 : (cpuMs(pid) ?? 0));

    const rawSubject = `${ns}.bench.raw`;
    const raw: ChildProcess = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        fileURLToPath(new URL("./raw-ws-broadcast.ts", import.meta.url)),
        nats.url,
        rawSubject,
      ],
      { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "inherit"] },
    );
    cleanups.unshift(async () => {
      raw.kill("SIGTERM");
    });
    const rawPort = await new Promise<number>((resolve, reject) => {
      let out = "";
      raw.stdout?.on("data", (c: Buffer) => {
        out += c.toString();
        const m = out.match(/listening (\d+)/);
        if (m) resolve(Number(m[1]));
      });
      raw.once("exit", (code) => reject(new Error(`raw ws server exited (${code})`)));
    });

    const countConsumers = async () => {
      let n = 0;
      for await (const _ of jsm.consumers.list(bus.names.stream("conv"))) n++;
      return n;
    };
    // The apps' durables, provisioned beside the stream.
    const durables = await countConsumers();

    const clients = await Clients.start(o.workers);
    cleanups.unshift(() => clients.stop());
    const streamUrl = `ws://127.0.0.1:${port}/v1/stream`;
    const headers = { authorization: `Bearer ${key}` };
    const content = "x".repeat(o.contentChars);
    const envelope = (groupId: string) => {
      const id = newEventId();
      return makeEnvelope({
        id,
        type: "message.posted",
        groupId,
        turnId: newEventId(),
        causationId: null,
        actor: { kind: "user", id: accountId },
        payload: { messageId: id, content },
      });
    };
    const frameBytes = Buffer.byteLength(
      JSON.stringify({ type: "event", groupId: broadcastGroup, seq: 1000, event: envelope(broadcastGroup) }),
    );

    /** Waits until `expected` arrivals of `set`, or until nothing more comes for a while. */
    const settle = async (set: string, expected: number) => {
      let last = -1;
      let still = now();
      for (;;) {
        const { received } = await clients.count(set);
        if (received >= expected) return;
        if (received !== last) {
          last = received;
          still = now();
        } else if (now() - still > 5_000) return;
        await sleep(50);
      }
    };

    /** Closes every client, and waits until the fanout has let go of their sockets and consumers. */
    const closeAll = async () => {
      await clients.closeSockets();
      await waitUntil(
        "the fanout to let go of the sockets",
        async () => {
          const res = await fetch(`http://127.0.0.1:${port}/readyz`);
          const { sockets } = (await res.json()) as { sockets: number };
          return sockets === 0 && (await countConsumers()) === durables;
        },
        120_000,
        500,
      ).catch((e: Error) => progress(`  (going on: ${e.message})`));
    };

    // ---- (a) broadcast ----
    progress(
      `broadcast: opening ${o.subscribers} sockets to the fanout and ${o.subscribers} to the raw ws server`,
    );
    const conn = await clients.connect([
      { name: "fanout", url: streamUrl, headers, groups: Array(o.subscribers).fill(broadcastGroup) },
      { name: "raw", url: `ws://127.0.0.1:${rawPort}`, headers: {}, groups: Array(o.subscribers).fill(null) },
    ]);
    if (conn.failed > 0) throw new Error(`${conn.failed} sockets did not open: ${conn.firstError}`);

    const fanoutWindow = async (): Promise<DeliveryFigures> => {
      let unacked = 0;
      const published = new Map<number, { at: number; subscribers: number }>();
      const cpu0 = { server: cpuOf(fanoutPid), nats: cpuOf(nPid) };
      const acks: Promise<void>[] = [];
      for (let i = 0; i < o.broadcastEvents; i++) {
        const at = now();
        acks.push(
          publishEnvelope(js, bus.names, envelope(broadcastGroup)).then(
            (a) => void published.set(a.seq, { at, subscribers: o.subscribers }),
            () => void unacked++,
          ),
        );
        await sleep(o.broadcastGapMs);
      }
      await Promise.all(acks);
      await settle("fanout", o.broadcastEvents * o.subscribers);
      const cpu = { serverMs: cpuOf(fanoutPid) - cpu0.server, natsMs: cpuOf(nPid) - cpu0.nats };
      return { ...figures(await clients.collect("fanout"), published, cpu), unacked };
    };
    let rawSeq = 1_000_000_000;
    const rawWindow = async (): Promise<DeliveryFigures> => {
      const published = new Map<number, { at: number; subscribers: number }>();
      const cpu0 = { server: cpuOf(raw.pid), nats: cpuOf(nPid) };
      for (let i = 0; i < o.broadcastEvents; i++) {
        const seq = ++rawSeq;
        const frame = JSON.stringify({
          type: "event",
          groupId: broadcastGroup,
          seq,
          event: envelope(broadcastGroup),
        });
        published.set(seq, { at: now(), subscribers: o.subscribers });
        bus.nc.publish(rawSubject, frame);
        await sleep(o.broadcastGapMs);
      }
      await settle("raw", o.broadcastEvents * o.subscribers);
      const cpu = { serverMs: cpuOf(raw.pid) - cpu0.server, natsMs: cpuOf(nPid) - cpu0.nats };
      return { ...figures(await clients.collect("raw"), published, cpu), unacked: 0 };
    };

    const broadcastRuns: BroadcastResult[] = [];
    for (let run = 0; run < o.runs; run++) {
      // Alternate which goes first, so neither always runs on a warmer (or busier) machine.
      const [f, r] =
        run % 2 === 0
          ? [await fanoutWindow(), await rawWindow()]
          : await rawWindow().then(async (r) => [await fanoutWindow(), r] as const);
      broadcastRuns.push({
        subscribers: o.subscribers,
        events: o.broadcastEvents,
        frameBytes,
        fanout: f,
        raw: r,
        ratio: {
          allP50: f.allP50 / r.allP50,
          allP99: f.allP99 / r.allP99,
          p99: f.p99 / r.p99,
          cpu: f.cpuMsPerDelivery / r.cpuMsPerDelivery,
        },
      });
      progress(
        `  run ${run + 1}: to all ${o.subscribers} p50 ${f.allP50.toFixed(1)} ms (raw ${r.allP50.toFixed(1)}), ` +
          `CPU ${(f.cpuMsPerDelivery * 1000).toFixed(1)} µs/delivery (raw ${(r.cpuMsPerDelivery * 1000).toFixed(1)})`,
      );
    }
    await closeAll();

    // ---- (b) many sockets ----
    const socketResults: SocketsResult[] = [];
    for (const spread of o.spreads) {
      const used = spreadGroups.slice(0, spread.groups);
      progress(`${o.sockets} sockets over ${spread.groups} group(s): connecting`);
      const t0 = now();
      const c = await clients.connect([
        {
          name: "fanout",
          url: streamUrl,
          headers,
          groups: Array.from({ length: o.sockets }, (_, i) => used[i % used.length] as string),
        },
      ]);
      const connectSeconds = (now() - t0) / 1000;
      if (c.failed > 0) throw new Error(`${c.failed} sockets did not open: ${c.firstError}`);
      const perGroup = new Map<string, number>();
      for (let i = 0; i < o.sockets; i++) {
        const g = used[i % used.length] as string;
        perGroup.set(g, (perGroup.get(g) ?? 0) + 1);
      }
      const consumers = (await countConsumers()) - durables;
      const idle0 = { cpu: cpuOf(fanoutPid), at: now() };
      await sleep(3000);
      const idleCpuMsPerSecond = ((cpuOf(fanoutPid) - idle0.cpu) / (now() - idle0.at)) * 1000;
      progress(`  connected in ${connectSeconds.toFixed(1)} s; ${consumers} consumers on the conv stream`);

      const windows: SocketsResult[] = [];
      let next = 0;
      for (let run = 0; run < o.runs; run++) {
        const published = new Map<number, { at: number; subscribers: number }>();
        let unacked = 0;
        const total = Math.round(spread.rate * o.seconds);
        const cpu0 = { server: cpuOf(fanoutPid), nats: cpuOf(nPid) };
        const start = now();
        const idleMs = () => (idleCpuMsPerSecond * (now() - start)) / 1000;
        const acks: Promise<void>[] = [];
        for (let i = 0; i < total; i++) {
          const due = start + (i * 1000) / spread.rate;
          if (due > now()) await sleep(due - now());
          const g = used[next++ % used.length] as string;
          const at = now();
          acks.push(
            publishEnvelope(js, bus.names, envelope(g)).then(
              (a) => void published.set(a.seq, { at, subscribers: perGroup.get(g) ?? 0 }),
              () => void unacked++,
            ),
          );
        }
        await Promise.all(acks);
        let expected = 0;
        for (const p of published.values()) expected += p.subscribers;
        await settle("fanout", expected);
        const cpu = { serverMs: cpuOf(fanoutPid) - cpu0.server, natsMs: cpuOf(nPid) - cpu0.nats };
        const idle = idleMs();
        const f = figures(await clients.collect("fanout"), published, cpu);
        windows.push({
          ...f,
          unacked,
          netCpuMsPerDelivery: Math.max(0, cpu.serverMs - idle) / Math.max(1, f.deliveries),
          sockets: o.sockets,
          groups: spread.groups,
          eventsPerSecond: spread.rate,
          consumers,
          rssMiB: rssBytes(fanoutPid) / 1048576,
          connectSeconds,
          idleCpuMsPerSecond,
        });
        progress(
          `  run ${run + 1}: ${f.deliveries} deliveries (${f.missing} missing, ${unacked} publishes unacknowledged), p99 ${f.p99.toFixed(1)} ms, ` +
            `${(f.cpuMsPerDelivery * 1000).toFixed(1)} µs CPU/delivery`,
        );
      }
      socketResults.push(medianOf(windows));
      await closeAll();
    }
    return { openFilesLimit: limits.soft, broadcast: medianOf(broadcastRuns), sockets: socketResults };
  } finally {
    for (const c of cleanups) await c().catch(() => undefined);
  }
}

// ---------------------------------------------------------------------------------------------
// Run alone: flags, the open-files limit, and a table.

const ms = (v: number) => v.toFixed(1).padStart(7);
const us = (v: number) => (v * 1000).toFixed(1).padStart(8);

/** The result as the tables `npm run bench:fanout` prints. */
export function printFanoutTable(r: FanoutResult, o: FanoutBenchOptions): void {
  const b = r.broadcast;
  console.log(
    `\nBroadcast: ${b.subscribers} subscribers of one group, ${b.events} events per window, ` +
      `${b.frameBytes}-byte frames, medians of ${o.runs} windows (ms)`,
  );
  console.log("server      deliv p50  deliv p99  to-all p50  to-all p99  CPU µs/delivery  missing");
  for (const [label, f] of [
    ["fanout", b.fanout],
    ["raw ws", b.raw],
  ] as const) {
    console.log(
      `${label.padEnd(10)}  ${ms(f.p50)}    ${ms(f.p99)}    ${ms(f.allP50)}     ${ms(f.allP99)}     ${us(f.cpuMsPerDelivery)}      ${String(f.missing).padStart(5)}`,
    );
  }
  console.log(
    `fanout/raw  to-all p50 ×${b.ratio.allP50.toFixed(2)}, to-all p99 ×${b.ratio.allP99.toFixed(2)}, ` +
      `delivery p99 ×${b.ratio.p99.toFixed(2)}, CPU ×${b.ratio.cpu.toFixed(2)}`,
  );
  console.log(
    `\n${o.sockets} sockets on one fanout, ${o.seconds} s of events per window, medians of ${o.runs} windows`,
  );
  console.log(
    "groups  events/s  deliveries  missing  unacked  p50 ms  p99 ms  CPU µs/deliv  net of idle  CPU ms/event  nats ms/event  idle CPU ms/s  RSS MiB  consumers  connect s",
  );
  for (const s of r.sockets) {
    console.log(
      `${String(s.groups).padStart(6)}  ${String(s.eventsPerSecond).padStart(8)}  ${String(s.deliveries).padStart(10)}  ${String(s.missing).padStart(7)}  ${String(s.unacked).padStart(7)}  ${ms(s.p50)} ${ms(s.p99)}  ${us(s.cpuMsPerDelivery)}     ${us(s.netCpuMsPerDelivery)}      ${s.cpuMsPerEvent.toFixed(2).padStart(8)}      ${s.natsCpuMsPerEvent.toFixed(2).padStart(8)}       ${s.idleCpuMsPerSecond.toFixed(0).padStart(6)}   ${s.rssMiB.toFixed(0).padStart(6)}  ${String(s.consumers).padStart(9)}  ${s.connectSeconds.toFixed(1).padStart(9)}`,
    );
  }
  console.log(`(open files limit ${r.openFilesLimit})`);
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  const { values: flags } = parseArgs({
    options: {
      runs: { type: "string", default: String(FANOUT_BENCH_DEFAULTS.runs) },
      subscribers: { type: "string", default: String(FANOUT_BENCH_DEFAULTS.subscribers) },
      events: { type: "string", default: String(FANOUT_BENCH_DEFAULTS.broadcastEvents) },
      sockets: { type: "string", default: String(FANOUT_BENCH_DEFAULTS.sockets) },
      // groups:events-per-second, comma separated.
      spreads: {
        type: "string",
        default: FANOUT_BENCH_DEFAULTS.spreads.map((s) => `${s.groups}:${s.rate}`).join(","),
      },
      seconds: { type: "string", default: String(FANOUT_BENCH_DEFAULTS.seconds) },
      content: { type: "string", default: String(FANOUT_BENCH_DEFAULTS.contentChars) },
      workers: { type: "string", default: String(FANOUT_BENCH_DEFAULTS.workers) },
      profile: { type: "string" },
    },
  });
  const int = (name: string, raw: string | undefined, min: number) => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer ≥ ${min}, got ${raw}`);
    return n;
  };
  const options: FanoutBenchOptions = {
    ...FANOUT_BENCH_DEFAULTS,
    runs: int("runs", flags.runs, 1),
    subscribers: int("subscribers", flags.subscribers, 1),
    broadcastEvents: int("events", flags.events, 1),
    sockets: int("sockets", flags.sockets, 1),
    spreads: (flags.spreads ?? "")
      .split(",")
      .filter(Boolean)
      .map((s) => {
        const [g, r] = s.split(":");
        return { groups: int("spreads groups", g, 1), rate: int("spreads rate", r, 1) };
      }),
    seconds: int("seconds", flags.seconds, 1),
    contentChars: int("content", flags.content, 0),
    workers: int("workers", flags.workers, 1),
    ...(flags.profile ? { profileDir: flags.profile } : {}),
  };
  const result = await measureFanout(options);
  printFanoutTable(result, options);
  process.exit(0);
}
