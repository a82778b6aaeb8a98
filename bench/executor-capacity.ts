/**
 * `npm run bench:executor`: how many LLM calls one executor process keeps in flight against a
 * provider that takes 200 ms (an OpenAI-compatible server streaming its answer in five chunks), and
 * that process's CPU and memory per call. Three processes, so each figure is the executor's own: the
 * executor as production runs it (its `main.ts`, on a database of its own), the provider in a child
 * of its own, and this one, which publishes the work items and counts the answers.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { jetstream, provision, publishEnvelope } from "@conclave/bus";
import { deriveEventId, makeEnvelope, newEventId } from "@conclave/subjects";
import { AppProcess, createTestDatabase, openTestBus, type TestDatabase, testEnv } from "@conclave/testing";
import { cpuMs } from "./cpu-usage.js";
import { buildApps } from "./production-build.js";
import { type ProviderCall, startProviderProcess } from "./streaming-provider.js";

export interface ExecutorCapacity {
  concurrency: number;
  calls: number;
  answered: number;
  failed: number;
  /** The steady part of the run: from the 10th to the 90th percent of answers. */
  seconds: number;
  callsPerSec: number;
  /** Calls the provider held open at once, on average over the steady part (what the executor kept in flight). */
  inFlight: number;
  /** The provider's own median time per call (the 200 ms, unless it fell behind). */
  providerMsPerCall: number;
  /** TCP connections the executor opened to the provider over the whole run. */
  connections: number;
  /** The executor process's CPU (user + system) per answered call over the steady part. */
  cpuMsPerCall: number;
  /** The executor process's share of one core over the steady part. */
  cpuCores: number;
  /** The executor process's resident memory: started and idle, and at its peak. */
  idleRssMiB: number;
  peakRssMiB: number;
  /** What each call in flight added to the resident memory. */
  rssKiBPerInFlight: number;
}

export interface ExecutorCapacityOptions {
  calls: number;
  concurrency: number;
  latencyMs: number;
  /** Distinct accounts the calls are charged to (fair admission gives each at most a share of the slots). */
  accounts?: number;
  /** Node flags for the executor (e.g. `--cpu-prof`). */
  nodeArgs?: string[];
  env?: Record<string, string>;
}

/** VmRSS and VmHWM (peak) of a process, in KiB. */
function memoryKiB(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, "m").exec(status)?.[1] ?? 0);
  return { rss: field("VmRSS"), peak: field("VmHWM") };
}

/** Calls open at once over [from, to], on average: each call's overlap with the window, summed. */
function meanOpen(calls: ProviderCall[], from: number, to: number): number {
  let open = 0;
  for (const c of calls) open += Math.max(0, Math.min(c.end, to) - Math.max(c.start, from));
  return open / Math.max(1, to - from);
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : (s[Math.floor((s.length - 1) / 2)] ?? Number.NaN);
};

/**
 * Starts an executor, fills its work queue with `calls` LLM work items and measures it while it
 * drains them: the answers' rate, the calls the provider saw open at once, the executor's CPU and RSS.
 */
export async function measureExecutorCapacity(o: ExecutorCapacityOptions): Promise<ExecutorCapacity> {
  const { calls, concurrency, latencyMs } = o;
  const accounts = o.accounts ?? 16;
  const provider = await startProviderProcess(latencyMs);
  buildApps();
  const bus = await openTestBus();
  const names = bus.names;
  let db: TestDatabase | undefined;
  let executor: AppProcess | undefined;
  try {
    await provision(bus.nc, names);
    db = await createTestDatabase();
    executor = new AppProcess(
      "executor",
      {
        CONCLAVE_NS: names.ns,
        NATS_URL: testEnv.TEST_NATS_URL,
        DATABASE_URL: db.url,
        LOG_LEVEL: "info",
        EXECUTOR_CONCURRENCY: String(concurrency),
        OPENAI_COMPAT_BASE_URL: provider.baseUrl,
        LLM_ATTEMPT_TIMEOUT_MS: "30000",
        ...o.env,
      },
      o.nodeArgs ?? [],
      true,
    );
    await executor.waitForLog("executor ops listening");
    const pid = executor.pid;
    if (pid === undefined) throw new Error("the executor did not start");
    const idle = memoryKiB(pid);

    // Count answers as they are stored (a core subscription sees each message JetStream keeps).
    let answered = 0;
    let failed = 0;
    const sub = bus.nc.subscribe(names.convFilter());
    void (async () => {
      for await (const m of sub) {
        if (m.subject.endsWith(".agent.replied")) answered++;
        else if (m.subject.endsWith(".agent.failed")) failed++;
      }
    })();

    const js = jetstream(bus.nc);
    const owners = Array.from({ length: accounts }, () => newEventId());
    const groups = owners.map(() => newEventId());
    const agents = owners.map((ownerId, i) => ({
      id: newEventId(),
      name: `Sim ${i}`,
      provider: "openai-compatible" as const,
      model: "sim",
      systemPrompt: "",
      allowedTools: [],
      scripted: {},
      ownerId,
    }));
    const marks0 = Date.now();
    // Published as fast as JetStream confirms them, a window at a time, while the executor drains them.
    const publishing = (async () => {
      const window = 256;
      for (let start = 0; start < calls; start += window) {
        const batch: Promise<unknown>[] = [];
        for (let i = start; i < Math.min(calls, start + window); i++) {
          const turnId = newEventId();
          const k = i % accounts;
          const agent = agents[k];
          const groupId = groups[k];
          if (!agent || !groupId) throw new Error("no agent");
          batch.push(
            publishEnvelope(
              js,
              names,
              makeEnvelope({
                id: deriveEventId(turnId, "work"),
                type: "work.llm",
                groupId,
                turnId,
                causationId: null,
                actor: { kind: "agent", id: agent.id },
                payload: {
                  agent,
                  turnIndex: 0,
                  step: 0,
                  messages: [{ role: "user", content: `question ${i}` }],
                },
              }),
            ),
          );
        }
        await Promise.all(batch);
      }
      return Date.now();
    })();

    // The steady part: from the 10th to the 90th percent of answers (start-up and tail left out).
    const marks: { at: number; micros: number; answered: number; cpu: number }[] = [];
    let peakRss = idle.rss;
    const deadline = Date.now() + 180_000;
    for (const target of [Math.ceil(calls * 0.1), Math.floor(calls * 0.9)]) {
      while (answered + failed < target && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 5));
        peakRss = Math.max(peakRss, memoryKiB(pid).rss);
      }
      marks.push({
        at: Date.now(),
        micros: Number(process.hrtime.bigint() / 1000n),
        answered: answered + failed,
        cpu: cpuMs(pid) ?? Number.NaN,
      });
    }
    while (answered + failed < calls && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const published = await publishing;
    process.stderr.write(`  work items published by ${((published - marks0) / 1000).toFixed(1)} s\n`);
    peakRss = Math.max(peakRss, memoryKiB(pid).peak);
    sub.unsubscribe();
    const [from, to] = marks;
    if (!from || !to) throw new Error("no marks");
    // The same monotonic clock V8 stamps a CPU profile's samples with: the steady part of a profile.
    if (o.nodeArgs?.includes("--cpu-prof"))
      process.stderr.write(`  steady part in the profile's clock: ${from.micros}..${to.micros} µs\n`);
    const { calls: seen, connections } = await provider.calls();
    const steady = seen.filter((c) => c.end >= from.at && c.start <= to.at);
    const seconds = (to.at - from.at) / 1000;
    const callsPerSec = (to.answered - from.answered) / seconds;
    const inFlight = meanOpen(seen, from.at, to.at);
    return {
      concurrency,
      calls,
      answered,
      failed,
      seconds,
      callsPerSec,
      inFlight,
      connections,
      providerMsPerCall: median(steady.map((c) => c.end - c.start)),
      cpuMsPerCall: (to.cpu - from.cpu) / Math.max(1, to.answered - from.answered),
      cpuCores: (to.cpu - from.cpu) / (to.at - from.at),
      idleRssMiB: idle.rss / 1024,
      peakRssMiB: peakRss / 1024,
      rssKiBPerInFlight: (peakRss - idle.rss) / Math.max(1, inFlight),
    };
  } finally {
    await executor?.stop();
    await bus.dispose();
    await db?.drop();
    await provider.stop();
  }
}

// Run alone: a row per concurrency level.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values: flags } = parseArgs({
    options: {
      calls: { type: "string", default: "6000" },
      concurrency: { type: "string", default: "256,1024,2048" },
      latency: { type: "string", default: "200" },
      accounts: { type: "string", default: "16" },
      /** Extra executor settings, `NAME=value,NAME=value` (e.g. `BUDGET_UNCOVERED_CACHE_MS=2000`). */
      env: { type: "string", default: "" },
      /** A folder for the executor's CPU profile (`--cpu-prof`). */
      profile: { type: "string" },
    },
  });
  const calls = Number(flags.calls);
  const latencyMs = Number(flags.latency);
  const env = Object.fromEntries(
    (flags.env ?? "")
      .split(",")
      .filter(Boolean)
      .map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]),
  );
  const rows: string[] = [];
  for (const concurrency of (flags.concurrency ?? "").split(",").map(Number)) {
    const r = await measureExecutorCapacity({
      calls,
      concurrency,
      latencyMs,
      accounts: Number(flags.accounts),
      env,
      ...(flags.profile ? { nodeArgs: ["--cpu-prof", `--cpu-prof-dir=${flags.profile}`] } : {}),
    });
    process.stderr.write(
      `concurrency ${concurrency}: ${r.answered}/${calls} answered (${r.failed} failed) over ${r.connections} connections, steady part ${r.seconds.toFixed(1)} s\n`,
    );
    rows.push(
      [
        String(concurrency).padStart(11),
        r.callsPerSec.toFixed(0).padStart(7),
        r.inFlight.toFixed(0).padStart(9),
        r.providerMsPerCall.toFixed(0).padStart(11),
        r.cpuMsPerCall.toFixed(3).padStart(11),
        r.cpuCores.toFixed(2).padStart(9),
        r.idleRssMiB.toFixed(0).padStart(8),
        r.peakRssMiB.toFixed(0).padStart(8),
        r.rssKiBPerInFlight.toFixed(0).padStart(14),
      ].join("  "),
    );
  }
  console.log(
    `\n${calls} LLM calls over ${flags.accounts} accounts, provider latency ${latencyMs} ms (streamed in 5 chunks), one executor process (with its database)`,
  );
  console.log(
    "concurrency  calls/s  in flight  provider ms  cpu ms/call  cpu cores  idle RSS  peak RSS  KiB/in flight",
  );
  for (const r of rows) console.log(r);
}
