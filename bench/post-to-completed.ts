/**
 * `npm run bench`: the system as production runs it (every app its own process, a nats-server and
 * a durable PostgreSQL of the benchmark's own), driven until a fixed amount of work is done, each
 * figure beside its raw baseline measured in the same run: a turn's latency against JetStream
 * publish → consume of the same hops, throughput at 64 clients (own groups, and 8 shared groups)
 * against raw JetStream, CPU per turn per process (nats-server and PostgreSQL included), the
 * LangGraph runtime's own cost per graph step, and the executor's capacity. Medians over `--runs`
 * fresh systems; one table on stdout, JSON and an SVG chart in bench/results/.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { availableParallelism, cpus, totalmem } from "node:os";
import { parseArgs } from "node:util";
import {
  type BenchSystem,
  measureSystemLatency,
  measureSystemThroughput,
  STAGES,
  startBenchSystem,
} from "./conclave-system.js";
import { measureExecutorCapacity } from "./executor-capacity.js";
import { measureFanout } from "./fanout.js";
import { measureHonoPost } from "./hono-baseline.js";
import { measureBaselineLatency, measureBaselineThroughput } from "./jetstream-baseline.js";
import { measureGraphSteps } from "./langgraph-baseline.js";
import { cpuTable, type Figure, figureTable, type LatencyMetric, latencyTable, svgChart } from "./report.js";
import { median, summarize } from "./stats.js";

const { values: flags } = parseArgs({
  options: {
    runs: { type: "string", default: "3" },
    turns: { type: "string", default: "200" },
    warmup: { type: "string", default: "20" },
    clients: { type: "string", default: "64" },
    "turns-per-client": { type: "string", default: "8" },
    "shared-groups": { type: "string", default: "8" },
    "executor-calls": { type: "string", default: "3000" },
    "executor-concurrency": { type: "string", default: "1024" },
    "fanout-sockets": { type: "string", default: "10000" },
  },
});

function intFlag(name: string, raw: string | undefined, min = 1): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer ≥ ${min}, got ${raw}`);
  return n;
}

const config = {
  runs: intFlag("runs", flags.runs),
  turns: intFlag("turns", flags.turns),
  warmup: intFlag("warmup", flags.warmup, 0),
  clients: intFlag("clients", flags.clients),
  turnsPerClient: intFlag("turns-per-client", flags["turns-per-client"]),
  sharedGroups: intFlag("shared-groups", flags["shared-groups"]),
  executorCalls: intFlag("executor-calls", flags["executor-calls"]),
  executorConcurrency: intFlag("executor-concurrency", flags["executor-concurrency"]),
  fanoutSockets: intFlag("fanout-sockets", flags["fanout-sockets"]),
};

const progress = (line: string) => process.stderr.write(`${line}\n`);

/** Warnings and errors the apps logged, counted by app and message: retries show up here. */
function appWarnings({ sys }: BenchSystem): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const app of sys.apps) {
    for (const line of app.lines) {
      try {
        const entry = JSON.parse(line) as { level?: number; msg?: string };
        if ((entry.level ?? 0) < 40 || entry.msg?.includes("development default")) continue;
        const key = `${app.app}: ${entry.msg ?? "?"}`;
        counts[key] = (counts[key] ?? 0) + 1;
      } catch {
        // A line that is not pino JSON (e.g. a stack trace) is not a log entry.
      }
    }
  }
  return counts;
}

let running: BenchSystem | undefined;
process.once("SIGINT", () => {
  progress("interrupted: stopping the system");
  void (running?.stop() ?? Promise.resolve()).finally(() => process.exit(130));
});

const perSec = (n: number, ms: number) => (n / ms) * 1000;

async function runOnce(run: number) {
  const tag = `[run ${run}/${config.runs}]`;
  progress(`${tag} starting nats-server, PostgreSQL and every app`);
  const bench = await startBenchSystem();
  running = bench;
  try {
    progress(`${tag} conclave: ${config.warmup} warm-up + ${config.turns} sequential turns`);
    const seq = await measureSystemLatency(bench, config.turns, config.warmup, progress);
    const s = summarize(seq.completed);
    progress(`${tag} POST→turn.completed p50 ${s.p50.toFixed(2)} ms, p99 ${s.p99.toFixed(2)} ms`);
    const load = { clients: config.clients, turnsPerClient: config.turnsPerClient };
    progress(
      `${tag} conclave: ${config.clients} clients on their own groups, ${config.turnsPerClient} turns each`,
    );
    const own = await measureSystemThroughput(bench, { ...load, groups: config.clients });
    progress(`${tag} ${perSec(own.turns, own.wallMs).toFixed(1)} turns/s`);
    progress(`${tag} conclave: ${config.clients} clients on ${config.sharedGroups} groups`);
    const shared = await measureSystemThroughput(bench, { ...load, groups: config.sharedGroups });
    progress(`${tag} ${perSec(shared.turns, shared.wallMs).toFixed(1)} turns/s`);
    const warnings = appWarnings(bench);
    for (const [what, n] of Object.entries(warnings)) progress(`${tag} app log: ${n}× ${what}`);

    progress(`${tag} jetstream on the same server: ${config.warmup} warm-up + ${config.turns} messages`);
    const base = await measureBaselineLatency(config.turns, config.warmup, bench.natsUrl);
    // The same hops a turn takes, one after another: as many publish → consume as it has events.
    const hops = seq.eventsPerTurn;
    const messages = own.turns * hops;
    progress(`${tag} jetstream: ${messages} messages over ${config.clients} subjects`);
    const baseRate = await measureBaselineThroughput(messages, config.clients, bench.natsUrl);
    progress(`${tag} hono: a bare Hono app that publishes and answers 202, on the same server`);
    const hono = await measureHonoPost({
      natsUrl: bench.natsUrl,
      requests: config.turns,
      warmup: config.warmup,
      clients: config.clients,
    });
    return {
      run,
      natsServer: base.serverVersion,
      eventsPerTurn: hops,
      appWarnings: warnings,
      latency: {
        completed: summarize(seq.completed),
        accepted: summarize(seq.accepted),
        stages: Object.fromEntries(STAGES.map(([stage]) => [stage, summarize(seq.stages[stage])])),
        baselineReceived: summarize(base.received),
        baselineAcked: summarize(base.acked),
        /** The turn's hops as raw publish → consume one after another. */
        baselineTurn: summarize(base.received.map((ms) => ms * hops)),
        honoPost: hono.sequential.latencyMs,
      },
      hono: {
        cpuMsPerPost: hono.sequential.cpuMsPerRequest,
        postsPerSec: hono.concurrent.requestsPerSec,
        cpuMsPerConcurrentPost: hono.concurrent.cpuMsPerRequest,
      },
      throughput: {
        ownGroups: perSec(own.turns, own.wallMs),
        sharedGroups: perSec(shared.turns, shared.wallMs),
        baselineTurns: perSec(own.turns, baseRate.wallMs),
        baselineMessages: perSec(messages, baseRate.wallMs),
      },
      cpuMsPerTurn: {
        sequential: seq.cpuPerTurn,
        ownGroups: own.cpuPerTurn,
        sharedGroups: shared.cpuPerTurn,
      },
    };
  } finally {
    running = undefined;
    await bench.stop();
  }
}

const startedAt = new Date().toISOString();
const runs: Awaited<ReturnType<typeof runOnce>>[] = [];
for (let r = 1; r <= config.runs; r++) runs.push(await runOnce(r));

progress("langgraph: the strategies' graphs alone, in this process");
const graphRuns = [];
for (let r = 0; r < config.runs; r++) graphRuns.push(await measureGraphSteps());
progress(
  `executor: ${config.executorCalls} calls at concurrency ${config.executorConcurrency}, 200 ms provider`,
);
const executorRuns = [];
for (let r = 0; r < config.runs; r++)
  executorRuns.push(
    await measureExecutorCapacity({
      calls: config.executorCalls,
      concurrency: config.executorConcurrency,
      latencyMs: 200,
    }),
  );

progress(
  `fanout: a 1,000-subscriber broadcast beside raw ws, and ${config.fanoutSockets} sockets on one process`,
);
const fanout = await measureFanout({ runs: config.runs, sockets: config.fanoutSockets });
const spread = (groups: number) => fanout.sockets.find((c) => c.groups === groups);

const m = (pick: (r: (typeof runs)[number]) => number) => median(runs.map(pick));
/** CPU of everything the system runs on (apps, nats-server, PostgreSQL), not the bench's client. */
const systemCpu = (r: Record<string, number>) =>
  Object.entries(r).reduce((sum, [k, ms]) => (k === "bench" || k.startsWith("(") ? sum : sum + ms), 0);

const figures: Figure[] = [
  {
    name: "POST→turn.completed p50 (ms), sequential",
    value: m((r) => r.latency.completed.p50),
    baseline: m((r) => r.latency.baselineTurn.p50),
    baselineName: "the same hops as raw JetStream publish→consume",
    goal: "≤ 25 ms and ≤ 5× baseline",
  },
  {
    name: "POST→turn.completed p99 (ms), sequential",
    value: m((r) => r.latency.completed.p99),
    baseline: m((r) => r.latency.baselineTurn.p99),
    baselineName: "the same hops as raw JetStream publish→consume",
    goal: "≤ 60 ms",
  },
  {
    name: "POST→202 p50 (ms)",
    value: m((r) => r.latency.accepted.p50),
    baseline: m((r) => r.latency.honoPost.p50),
    baselineName: "bare Hono POST that publishes to JetStream",
  },
  {
    name: "edge CPU ms per post, 64 clients",
    value: m((r) => r.cpuMsPerTurn.ownGroups.edge ?? Number.NaN),
    baseline: m((r) => r.hono.cpuMsPerConcurrentPost),
    baselineName: "bare Hono POST that publishes to JetStream",
  },
  {
    name: `turns/s, ${config.clients} clients on their own groups`,
    value: m((r) => r.throughput.ownGroups),
    baseline: m((r) => r.throughput.baselineTurns),
    baselineName: `raw JetStream, ${runs[0]?.eventsPerTurn ?? "?"} messages = 1 turn`,
    goal: "≥ 150",
    higherIsBetter: true,
  },
  {
    name: `turns/s, ${config.clients} clients on ${config.sharedGroups} groups`,
    value: m((r) => r.throughput.sharedGroups),
    baseline: m((r) => r.throughput.baselineTurns),
    baselineName: `raw JetStream, ${runs[0]?.eventsPerTurn ?? "?"} messages = 1 turn`,
    goal: "≥ 100",
    higherIsBetter: true,
  },
  {
    name: `CPU ms per turn, all-in, ${config.clients} clients`,
    value: m((r) => systemCpu(r.cpuMsPerTurn.ownGroups)),
    goal: "≤ 10",
  },
  {
    name: "LangGraph CPU ms per graph step (alone)",
    value: median(graphRuns.map((g) => g.cpuMsPerStep)),
    baselineName: `${graphRuns[0]?.stepsPerTurn ?? "?"} steps per two-agent turn`,
  },
  {
    name: "LangGraph CPU ms per invoke, bare 2-node graph",
    value: median(graphRuns.map((g) => g.bareMsPerInvoke)),
    baselineName: "LangGraph's floor: in-memory saver, no I/O",
  },
  {
    name: "broadcast to 1,000 sockets, publish→last p50 (ms)",
    value: fanout.broadcast.fanout.allP50,
    baseline: fanout.broadcast.raw.allP50,
    baselineName: "raw ws broadcast of the same frame",
    goal: "≤ 1.5× baseline",
  },
  {
    name: "broadcast, fanout CPU µs per delivery",
    value: fanout.broadcast.fanout.cpuMsPerDelivery * 1000,
    baseline: fanout.broadcast.raw.cpuMsPerDelivery * 1000,
    baselineName: "raw ws broadcast of the same frame",
  },
  {
    name: `${config.fanoutSockets} sockets over 1,000 groups, delivery p99 (ms)`,
    value: spread(1000)?.p99 ?? Number.NaN,
    goal: "≤ 100",
  },
  {
    name: `${config.fanoutSockets} sockets on 1 group, delivery p99 (ms)`,
    value: spread(1)?.p99 ?? Number.NaN,
  },
  {
    name: "executor LLM calls in flight (200 ms provider)",
    value: median(executorRuns.map((e) => e.inFlight)),
    goal: "≥ 1,000",
    higherIsBetter: true,
  },
  {
    name: "executor CPU ms per LLM call",
    value: median(executorRuns.map((e) => e.cpuMsPerCall)),
  },
  {
    name: "executor peak RSS (MiB) at that load",
    value: median(executorRuns.map((e) => e.peakRssMiB)),
  },
];

const latencyMetric = (name: string, pick: (r: (typeof runs)[number]) => LatencyMetric["runs"][number]) => ({
  name,
  runs: runs.map(pick),
});
const report = [
  figureTable(figures),
  latencyTable([
    latencyMetric("conclave POST→turn.completed", (r) => r.latency.completed),
    ...STAGES.map(([stage]) =>
      latencyMetric(`  stage ${stage}`, (r) => r.latency.stages[stage] ?? summarize([])),
    ),
    latencyMetric("jetstream publish→received (one hop)", (r) => r.latency.baselineReceived),
    latencyMetric("conclave POST→202", (r) => r.latency.accepted),
    latencyMetric("bare Hono POST→202 (publishes)", (r) => r.latency.honoPost),
    latencyMetric("jetstream publish→PubAck", (r) => r.latency.baselineAcked),
  ]),
  cpuTable([
    { name: "sequential", runs: runs.map((r) => r.cpuMsPerTurn.sequential) },
    { name: `${config.clients} clients`, runs: runs.map((r) => r.cpuMsPerTurn.ownGroups) },
    { name: `${config.sharedGroups} groups`, runs: runs.map((r) => r.cpuMsPerTurn.sharedGroups) },
  ]),
].join("\n\n");
const machine = {
  node: process.version,
  cpus: availableParallelism(),
  cpuModel: cpus()[0]?.model ?? "?",
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  natsServer: runs[0]?.natsServer,
};
process.stdout.write(
  `\n${report}\n\n${machine.cpus} cores (${machine.cpuModel}), ${machine.memoryGiB} GiB, Node ${machine.node}, nats-server ${machine.natsServer}; medians of ${config.runs} runs\n`,
);

const result = {
  startedAt,
  finishedAt: new Date().toISOString(),
  config,
  machine,
  figures,
  runs,
  langgraph: graphRuns,
  executor: executorRuns,
  fanout,
};
const outDir = new URL("./results/", import.meta.url);
await mkdir(outDir, { recursive: true });
await writeFile(new URL("latest.json", outDir), `${JSON.stringify(result, null, 2)}\n`);
await writeFile(
  new URL("latest.svg", outDir),
  svgChart(
    "CPU ms per two-agent turn by process (median)",
    Object.entries(runs[0]?.cpuMsPerTurn.ownGroups ?? {})
      .filter(([k]) => k !== "bench" && !k.startsWith("("))
      .map(([k]) => ({ label: k, value: median(runs.map((r) => r.cpuMsPerTurn.ownGroups[k] ?? 0)) })),
    figures,
  ),
);
progress(`wrote ${new URL("latest.json", outDir).pathname} and latest.svg`);
