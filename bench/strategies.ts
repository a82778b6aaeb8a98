/**
 * `npm run bench:strategies`: what each strategy's orchestration costs. For every strategy, a group
 * of scripted agents with no delay runs sequential turns through the whole system (every app its
 * own process, real NATS and PostgreSQL); the time from POST to `turn.completed` on a WebSocket is
 * divided by the turn's LLM calls (agent steps), and compared with `broadcast` and with a raw
 * JetStream publish → consume in the same run. Medians over several runs.
 */
import { parseArgs } from "node:util";
import { startSystem, type TestSystem } from "@conclave/testing";
import { measureBaselineLatency } from "./jetstream-baseline.js";
import { buildApps } from "./production-build.js";
import { median, summarize } from "./stats.js";
import { TurnWatcher } from "./turn-watcher.js";

const { values: flags } = parseArgs({
  options: {
    turns: { type: "string", default: "40" },
    runs: { type: "string", default: "3" },
    warmup: { type: "string", default: "5" },
  },
});
const intFlag = (name: string, raw: string | undefined, min: number) => {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer ≥ ${min}, got ${raw}`);
  return n;
};
const turns = intFlag("turns", flags.turns, 1);
const runs = intFlag("runs", flags.runs, 1);
const warmup = intFlag("warmup", flags.warmup, 0);
const progress = (line: string) => process.stderr.write(`${line}\n`);

interface Case {
  strategy: string;
  /** What one turn does, for the report. */
  shape: string;
  agents: object[];
  settings?: object;
  message: string;
  /** Set after creation, for settings that name an agent. */
  after?: (sys: TestSystem, groupId: string, agents: { id: string; name: string }[]) => Promise<void>;
}

const vote = (choice: string) => [{ choice, confidence: 0.8, rationale: "best" }];
const CASES: Case[] = [
  {
    strategy: "broadcast",
    shape: "3 agents at once",
    agents: ["A", "B", "C"].map((name) => ({ name })),
    message: "hi",
  },
  {
    strategy: "round_robin",
    shape: "3 agents × 2 rounds, in turn",
    agents: ["A", "B", "C"].map((name) => ({ name })),
    settings: { turnLimits: { maxRounds: 2 } },
    message: "hi",
  },
  {
    strategy: "mentions",
    shape: "@A → A hands to B → B to C",
    agents: [
      { name: "A", scripted: { replies: ["@B over to you"] } },
      { name: "B", scripted: { replies: ["@C your turn"] } },
      { name: "C", scripted: { replies: ["done"] } },
    ],
    message: "@A start",
  },
  {
    strategy: "selector",
    shape: "selector picks until TASK_COMPLETE",
    agents: [
      { name: "Sel", scripted: { replies: ["A", "B", "TASK_COMPLETE"] } },
      { name: "A" },
      { name: "B" },
    ],
    message: "hi",
    after: async (sys, groupId, agents) => {
      const sel = agents.find((a) => a.name === "Sel")?.id;
      const res = await sys.request("PATCH", `/v1/groups/${groupId}`, {
        body: { settings: { selectorAgentId: sel } },
      });
      if (res.status !== 200) throw new Error(`setting the selector: ${res.status}`);
    },
  },
  {
    strategy: "debate_vote",
    shape: "3 answer, 1 debate round, 3 ballots",
    agents: [
      { name: "A", scripted: { votes: vote("B") } },
      { name: "B", scripted: { votes: vote("B") } },
      { name: "C", scripted: { votes: vote("A") } },
    ],
    settings: { turnLimits: { maxRounds: 1 } },
    message: "which?",
  },
];

interface Sample {
  turnMs: number[];
  stepMs: number[];
  steps: number[];
}

async function runOnce(run: number): Promise<{ byStrategy: Record<string, Sample>; jetstreamMs: number }> {
  progress(`[run ${run}/${runs}] starting the system`);
  buildApps();
  const sys = await startSystem({
    built: true,
    env: { RATE_LIMIT_PER_MINUTE: "1000000", RATE_LIMIT_BURST: "100000" },
  });
  try {
    const watcher = await TurnWatcher.open(sys.streamUrl, sys.user.accessToken);
    const out: Record<string, Sample> = {};
    for (const c of CASES) {
      const created = await sys.post("/v1/groups", {
        name: c.strategy,
        strategy: c.strategy,
        agents: c.agents,
        settings: c.settings ?? {},
      });
      if (created.status !== 201) throw new Error(`creating ${c.strategy}: ${JSON.stringify(created.body)}`);
      const groupId = String(created.body.id);
      const view = await sys.get(`/v1/groups/${groupId}`);
      await c.after?.(
        sys,
        groupId,
        (view.body as unknown as { agents: { id: string; name: string }[] }).agents,
      );
      await watcher.subscribe(groupId);
      const sample: Sample = { turnMs: [], stepMs: [], steps: [] };
      for (let i = 0; i < warmup + turns; i++) {
        const t0 = performance.now();
        const posted = await sys.post(`/v1/groups/${groupId}/messages`, { content: c.message });
        if (posted.status !== 202)
          throw new Error(`posting: ${posted.status} ${JSON.stringify(posted.body)}`);
        const t = await watcher.ended(String(posted.body.turnId));
        if (t.ended?.type !== "turn.completed")
          throw new Error(`${c.strategy} turn ended ${t.ended?.type}: ${t.ended?.detail}`);
        if (i < warmup) continue;
        const ms = t.ended.at - t0;
        const steps = t.counts["agent.replied"] ?? 0;
        sample.turnMs.push(ms);
        sample.steps.push(steps);
        if (steps > 0) sample.stepMs.push(ms / steps);
      }
      out[c.strategy] = sample;
      const s = summarize(sample.turnMs);
      progress(
        `[run ${run}/${runs}] ${c.strategy.padEnd(12)} p50 ${s.p50.toFixed(1)} ms a turn, ${median(sample.steps)} agent steps`,
      );
    }
    await watcher.close();
    const baseline = await measureBaselineLatency(turns * 3, warmup);
    const jetstreamMs = summarize(baseline.received).p50;
    progress(`[run ${run}/${runs}] jetstream publish→received p50 ${jetstreamMs.toFixed(2)} ms`);
    return { byStrategy: out, jetstreamMs };
  } finally {
    await sys.stop();
  }
}

const results: Awaited<ReturnType<typeof runOnce>>[] = [];
for (let run = 1; run <= runs; run++) results.push(await runOnce(run));
const all = results.map((r) => r.byStrategy);
const jetstream = median(results.map((r) => r.jetstreamMs));

const med = (pick: (s: Sample) => number[], strategy: string, p: "p50" | "p99") =>
  median(all.map((r) => summarize(pick(r[strategy] as Sample))[p]));
const baseStep = med((s) => s.stepMs, "broadcast", "p50");
console.log(
  `\n${turns} sequential turns per strategy × ${runs} runs, scripted agents with no delay; medians across runs`,
);
console.log(`raw JetStream publish → received p50 in the same runs: ${jetstream.toFixed(2)} ms\n`);
console.log(
  "strategy     a turn                                  steps  turn p50  turn p99  per step p50  vs broadcast  vs JetStream",
);
for (const c of CASES) {
  const steps = median(all.map((r) => median((r[c.strategy] as Sample).steps)));
  const stepP50 = med((s) => s.stepMs, c.strategy, "p50");
  console.log(
    [
      c.strategy.padEnd(12),
      c.shape.padEnd(39),
      String(steps).padStart(5),
      `${med((s) => s.turnMs, c.strategy, "p50").toFixed(1)} ms`.padStart(9),
      `${med((s) => s.turnMs, c.strategy, "p99").toFixed(1)} ms`.padStart(9),
      `${stepP50.toFixed(1)} ms`.padStart(13),
      `${(stepP50 / baseStep).toFixed(2)}×`.padStart(13),
      `${(stepP50 / jetstream).toFixed(0)}×`.padStart(13),
    ].join(" "),
  );
}
