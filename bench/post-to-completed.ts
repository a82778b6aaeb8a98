/**
 * `npm run bench`: a posted message's way to `turn.completed` on a WebSocket, through the whole
 * system (every app its own process), against raw JetStream publish → consume in the same run.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { parseArgs } from "node:util";
import { startSystem, type TestSystem } from "@conclave/testing";
import { measureSystemLatency, measureSystemThroughput, STAGES } from "./conclave-system.js";
import { measureBaselineLatency, measureBaselineThroughput } from "./jetstream-baseline.js";
import {
  cpuTable,
  type LatencyMetric,
  latencyMedians,
  latencyTable,
  rateTable,
  ratioTable,
} from "./report.js";
import { median, summarize } from "./stats.js";

const { values: flags } = parseArgs({
  options: {
    turns: { type: "string", default: "300" },
    runs: { type: "string", default: "3" },
    warmup: { type: "string", default: "20" },
    "throughput-turns": { type: "string", default: "200" },
    groups: { type: "string", default: "20" },
  },
});

function intFlag(name: string, raw: string | undefined, min = 1): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer ≥ ${min}, got ${raw}`);
  return n;
}

const config = {
  turns: intFlag("turns", flags.turns),
  runs: intFlag("runs", flags.runs),
  warmup: intFlag("warmup", flags.warmup, 0),
  throughputTurns: intFlag("throughput-turns", flags["throughput-turns"]),
  groups: intFlag("groups", flags.groups),
};

const progress = (line: string) => process.stderr.write(`${line}\n`);

/** Warnings and errors the apps logged, counted by app and message: retries show up here. */
function appWarnings(sys: TestSystem): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const app of sys.apps) {
    for (const line of app.lines) {
      try {
        const entry = JSON.parse(line) as { level?: number; msg?: string };
        if ((entry.level ?? 0) < 40) continue;
        const key = `${app.app}: ${entry.msg ?? "?"}`;
        counts[key] = (counts[key] ?? 0) + 1;
      } catch {
        // A line that is not pino JSON (e.g. a stack trace) is not a log entry.
      }
    }
  }
  return counts;
}

let running: TestSystem | undefined;
process.once("SIGINT", () => {
  progress("interrupted: stopping the system");
  void (running?.stop() ?? Promise.resolve()).finally(() => process.exit(130));
});

async function runOnce(run: number) {
  const tag = `[run ${run}/${config.runs}]`;
  progress(`${tag} starting the system`);
  // The benchmark posts faster than the default per-user limit allows; lift it, auth stays on.
  const sys = await startSystem({ env: { RATE_LIMIT_PER_MINUTE: "1000000", RATE_LIMIT_BURST: "100000" } });
  running = sys;
  let system: Awaited<ReturnType<typeof measureSystemLatency>>;
  let throughput: Awaited<ReturnType<typeof measureSystemThroughput>>;
  let warnings: Record<string, number>;
  try {
    progress(`${tag} conclave: ${config.warmup} warm-up + ${config.turns} sequential turns`);
    system = await measureSystemLatency(sys, config.turns, config.warmup, progress);
    const s = summarize(system.completed);
    progress(`${tag} conclave post→turn.completed p50 ${s.p50.toFixed(2)} ms, p99 ${s.p99.toFixed(2)} ms`);
    progress(`${tag} conclave: ${config.throughputTurns} turns at once over ${config.groups} groups`);
    throughput = await measureSystemThroughput(sys, config.throughputTurns, config.groups);
    progress(`${tag} conclave ${((throughput.turns / throughput.wallMs) * 1000).toFixed(1)} turns/s`);
    warnings = appWarnings(sys);
  } finally {
    running = undefined;
    await sys.stop();
  }
  for (const [what, n] of Object.entries(warnings)) progress(`${tag} app log: ${n}× ${what}`);
  const others = system.cpuPerTurn["(other processes)"];
  if (others !== undefined)
    progress(`${tag} other processes on this machine used ${others.toFixed(1)} ms CPU per sequential turn`);

  progress(`${tag} jetstream: ${config.warmup} warm-up + ${config.turns} sequential messages`);
  const baseline = await measureBaselineLatency(config.turns, config.warmup);
  const b = summarize(baseline.received);
  progress(`${tag} jetstream publish→received p50 ${b.p50.toFixed(2)} ms, p99 ${b.p99.toFixed(2)} ms`);
  const messages = config.throughputTurns * system.eventsPerTurn;
  progress(
    `${tag} jetstream: ${messages} messages (${system.eventsPerTurn} per turn) over ${config.groups} subjects`,
  );
  const baseThroughput = await measureBaselineThroughput(messages, config.groups);
  progress(`${tag} jetstream ${((messages / baseThroughput.wallMs) * 1000).toFixed(0)} messages/s`);

  return {
    run,
    natsServer: baseline.serverVersion,
    eventsPerTurn: system.eventsPerTurn,
    appWarnings: warnings,
    cpuMsPerTurn: { sequential: system.cpuPerTurn, concurrent: throughput.cpuPerTurn },
    latency: {
      baselineReceived: summarize(baseline.received),
      baselineAcked: summarize(baseline.acked),
      systemCompleted: summarize(system.completed),
      systemAccepted: summarize(system.accepted),
      stages: Object.fromEntries(STAGES.map(([stage]) => [stage, summarize(system.stages[stage])])),
    },
    throughput: {
      baseline: {
        messages,
        wallMs: baseThroughput.wallMs,
        messagesPerSec: (messages / baseThroughput.wallMs) * 1000,
        turnsPerSec: (config.throughputTurns / baseThroughput.wallMs) * 1000,
      },
      system: {
        turns: throughput.turns,
        groups: throughput.groups,
        wallMs: throughput.wallMs,
        turnsPerSec: (throughput.turns / throughput.wallMs) * 1000,
      },
    },
  };
}

const startedAt = new Date().toISOString();
const runs: Awaited<ReturnType<typeof runOnce>>[] = [];
for (let r = 1; r <= config.runs; r++) runs.push(await runOnce(r));

const metric = (name: string, pick: (r: (typeof runs)[number]) => LatencyMetric["runs"][number]) => ({
  name,
  runs: runs.map(pick),
});
const baselineReceived = metric("jetstream publish→received", (r) => r.latency.baselineReceived);
const baselineAcked = metric("jetstream publish→PubAck", (r) => r.latency.baselineAcked);
const systemCompleted = metric("conclave POST→turn.completed", (r) => r.latency.systemCompleted);
const systemAccepted = metric("conclave POST→202", (r) => r.latency.systemAccepted);
const stageMetrics = STAGES.map(([stage]) =>
  metric(`  stage ${stage}`, (r) => r.latency.stages[stage] ?? summarize([])),
);
const baselineRate = {
  name: `jetstream (${runs[0]?.eventsPerTurn ?? "?"} msgs = 1 turn) turns/s`,
  runs: runs.map((r) => r.throughput.baseline.turnsPerSec),
};
const systemRate = {
  name: `conclave turns/s (${config.throughputTurns} over ${config.groups} groups)`,
  runs: runs.map((r) => r.throughput.system.turnsPerSec),
};
const rateRatio = median(systemRate.runs) / median(baselineRate.runs);

const report = [
  latencyTable([baselineReceived, systemCompleted, ...stageMetrics, baselineAcked, systemAccepted]),
  ratioTable([
    { name: "POST→turn.completed / publish→received", system: systemCompleted, baseline: baselineReceived },
    { name: "POST→202 / publish→PubAck", system: systemAccepted, baseline: baselineAcked },
  ]),
  rateTable([baselineRate, systemRate], { name: "ratio system/baseline", value: rateRatio }),
  cpuTable([
    { name: "sequential", runs: runs.map((r) => r.cpuMsPerTurn.sequential) },
    { name: "concurrent", runs: runs.map((r) => r.cpuMsPerTurn.concurrent) },
  ]),
].join("\n\n");
process.stdout.write(`\n${report}\n`);

const medians = Object.fromEntries(
  [baselineReceived, baselineAcked, systemCompleted, systemAccepted, ...stageMetrics].map((m) => [
    m.name.trim(),
    latencyMedians(m),
  ]),
);
const result = {
  startedAt,
  finishedAt: new Date().toISOString(),
  config,
  machine: { node: process.version, cpus: availableParallelism(), natsServer: runs[0]?.natsServer },
  runs,
  medians: {
    latencyMs: medians,
    baselineTurnsPerSec: median(baselineRate.runs),
    systemTurnsPerSec: median(systemRate.runs),
  },
  ratios: {
    completedOverReceived: ratioOf(systemCompleted, baselineReceived),
    acceptedOverAcked: ratioOf(systemAccepted, baselineAcked),
    throughput: rateRatio,
  },
};
function ratioOf(system: LatencyMetric, baseline: LatencyMetric) {
  const s = latencyMedians(system);
  const b = latencyMedians(baseline);
  return { p50: s.p50 / b.p50, p99: s.p99 / b.p99, mean: s.mean / b.mean };
}
const outDir = new URL("./results/", import.meta.url);
await mkdir(outDir, { recursive: true });
await writeFile(new URL("latest.json", outDir), `${JSON.stringify(result, null, 2)}\n`);
progress(`wrote ${new URL("latest.json", outDir).pathname}`);
