/**
 * `npm run bench:memory`: what conversation memory costs. Groups whose memory holds what 10, 1,000
 * and 100,000 earlier messages leave behind (built with the same record operations the
 * orchestrator uses: every turn appended, a summary folded in at every threshold crossing) run
 * sequential two-agent round-robin turns through the whole system (every app its own process, real
 * NATS and PostgreSQL), beside the same turn in a group with memory off, in the same run. Reported:
 * prompt assembly time (reading the group's memory record and building both agents' prompts, as a
 * turn's start does), POST → `turn.completed` latency and CPU per turn of the apps, nats-server and
 * PostgreSQL. Medians over several runs.
 */
import { parseArgs } from "node:util";
import { jetstream, Kvm } from "@conclave/bus";
import { openDb } from "@conclave/db";
import {
  appendTurn,
  applySummary,
  assembleTurnMemory,
  createMemoryStore,
  loadAgents,
  memoryEntry,
  promptOf,
  resolveMemory,
} from "@conclave/memory";
import { emptyMemory, type MemoryRecord, makeEnvelope, newEventId } from "@conclave/subjects";
import { startSystem, type TestSystem } from "@conclave/testing";
import { countCpu } from "./cpu-usage.js";
import { buildApps } from "./production-build.js";
import { median, summarize } from "./stats.js";
import { TurnWatcher } from "./turn-watcher.js";

const { values: flags } = parseArgs({
  options: {
    turns: { type: "string", default: "30" },
    runs: { type: "string", default: "3" },
    warmup: { type: "string", default: "5" },
    assemblies: { type: "string", default: "200" },
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
const assemblies = intFlag("assemblies", flags.assemblies, 1);
const progress = (line: string) => process.stderr.write(`${line}\n`);

const CASES = [
  { label: "memory off", earlier: 0, memory: { enabled: false } },
  { label: "10 earlier", earlier: 10, memory: {} },
  { label: "1,000 earlier", earlier: 1_000, memory: {} },
  { label: "100,000 earlier", earlier: 100_000, memory: {} },
] as const;

const ANSWER =
  "I think the plan holds if we ship the parser first and keep the old importer for a release, then measure again.";

/**
 * The memory record `earlier` messages leave (a person's message and two answers a turn), built by
 * appending each turn and folding in a summary whenever one is asked for, as the system does.
 */
function seededRecord(
  groupId: string,
  earlier: number,
  agents: { id: string; name: string }[],
): MemoryRecord {
  const memory = resolveMemory({});
  const summarizer = {
    id: newEventId(),
    name: "summarizer",
    provider: "scripted" as const,
    model: "scripted",
    systemPrompt: "",
    allowedTools: [],
    scripted: {},
  };
  let record = emptyMemory(groupId);
  const person = { kind: "user" as const, id: newEventId(), name: "Lin" };
  for (let seq = 1, turn = 0; seq <= earlier; turn++) {
    const turnId = newEventId();
    const messageSeq = seq;
    const entries = [
      memoryEntry({
        seq: seq++,
        kind: "message",
        turnId,
        by: person,
        content: `Question ${turn}: what now?`,
      }),
    ];
    for (const a of agents)
      if (seq <= earlier)
        entries.push(
          memoryEntry({ seq: seq++, kind: "reply", turnId, by: { kind: "agent", ...a }, content: ANSWER }),
        );
    const d = appendTurn(
      record,
      { turnIndex: turn, turnId, messageSeq, entries, memory, retain: memory, summarizer },
      new Date(),
    );
    if (!d) throw new Error("a seeded turn was not appended");
    record = d.record;
    if (d.job) {
      const summary = `Summary up to ${d.job.summarize.upToSeq}: ${ANSWER.repeat(8)}`;
      const e = makeEnvelope({
        id: newEventId(),
        type: "memory.summarized",
        groupId,
        turnId: null,
        causationId: null,
        actor: { kind: "agent", id: summarizer.id, name: summarizer.name },
        payload: {
          ...d.job.summarize,
          summary,
          tokens: 400,
          agentId: summarizer.id,
          provider: "scripted",
          model: "scripted",
        },
      });
      record = applySummary(record, e) ?? record;
    }
  }
  return record;
}

interface Sample {
  assemblyUs: number[];
  turnMs: number[];
  cpuPerTurnMs: number;
  recordBytes: number;
  windowEntries: number;
}

async function runCase(
  sys: TestSystem,
  watcher: TurnWatcher,
  c: { label: string; earlier: number; memory: { enabled?: boolean } },
): Promise<Sample> {
  const created = await sys.post("/v1/groups", {
    name: c.label,
    strategy: "round_robin",
    agents: [
      { name: "Ada", scripted: { replies: [ANSWER] } },
      { name: "Bob", scripted: { replies: [ANSWER] } },
    ],
    settings: { memory: c.memory },
  });
  if (created.status !== 201) throw new Error(`creating a group: ${JSON.stringify(created.body)}`);
  const groupId = String(created.body.id);
  const view = await sys.get(`/v1/groups/${groupId}`);
  const agents = (view.body as unknown as { agents: { id: string; name: string }[] }).agents;
  const kv = await new Kvm(sys.bus.nc).open(sys.bus.names.bucket("memory"));
  const store = createMemoryStore({ kv, js: jetstream(sys.bus.nc), names: sys.bus.names });
  if (c.earlier > 0) {
    const seeded = seededRecord(groupId, c.earlier, agents);
    await store.transact(groupId, () => ({ record: seeded, emit: [] }));
  }
  // Prompt assembly as a turn's start does it: read the record, build both agents' prompts.
  const db = await openDb({ url: sys.db.url, poolSize: 1 });
  const snapshots = await loadAgents(db.db, groupId);
  await db.close();
  const settings = resolveMemory(c.memory as { enabled?: boolean });
  const assemblyUs: number[] = [];
  const asked = [{ role: "user" as const, name: "Lin", content: "What now?" }];
  for (let i = 0; i < assemblies; i++) {
    const t0 = performance.now();
    const record = settings.enabled ? await store.read(groupId) : emptyMemory(groupId);
    const tm = assembleTurnMemory({ record, memory: settings, agents: snapshots, files: [] });
    for (const a of snapshots) promptOf(tm, a, asked);
    assemblyUs.push((performance.now() - t0) * 1000);
  }
  const record = await store.read(groupId);
  await watcher.subscribe(groupId);
  const turnMs: number[] = [];
  let cpu: ReturnType<typeof countCpu> | undefined;
  for (let i = 0; i < warmup + turns; i++) {
    if (i === warmup) cpu = countCpu(sys);
    const t0 = performance.now();
    const posted = await sys.post(`/v1/groups/${groupId}/messages`, {
      content: "What now?",
      authorName: "Lin",
    });
    if (posted.status !== 202) throw new Error(`posting: ${posted.status} ${JSON.stringify(posted.body)}`);
    const t = await watcher.ended(String(posted.body.turnId));
    if (t.ended?.type !== "turn.completed")
      throw new Error(`turn ended ${t.ended?.type}: ${t.ended?.detail}`);
    if (i >= warmup) turnMs.push(t.ended.at - t0);
  }
  const used = cpu?.stop() ?? {};
  const ours = Object.entries(used)
    .filter(([label]) => label !== "bench" && label !== "(other processes)")
    .reduce((n, [, ms]) => n + ms, 0);
  const tm = assembleTurnMemory({ record, memory: settings, agents: snapshots, files: [] });
  return {
    assemblyUs,
    turnMs,
    cpuPerTurnMs: ours / turns,
    recordBytes: Buffer.byteLength(JSON.stringify(record)),
    windowEntries: tm.entries.length,
  };
}

async function runOnce(run: number): Promise<Record<string, Sample>> {
  progress(`[run ${run}/${runs}] starting the system`);
  buildApps();
  const sys = await startSystem({
    built: true,
    env: { RATE_LIMIT_PER_MINUTE: "1000000", RATE_LIMIT_BURST: "100000" },
  });
  try {
    const watcher = await TurnWatcher.open(sys.streamUrl, sys.user.accessToken);
    // Warm every process up first, and start each run at another case: the first group of a fresh
    // system would otherwise pay for the JIT.
    await runCase(sys, watcher, { label: "warm-up", earlier: 0, memory: {} });
    const out: Record<string, Sample> = {};
    const order = CASES.map((_, i) => CASES[(i + run) % CASES.length] as (typeof CASES)[number]);
    for (const c of order) {
      const s = await runCase(sys, watcher, c);
      out[c.label] = s;
      progress(
        `[run ${run}/${runs}] ${c.label.padEnd(16)} assembly p50 ${summarize(s.assemblyUs).p50.toFixed(0)} µs, turn p50 ${summarize(s.turnMs).p50.toFixed(1)} ms, ${s.cpuPerTurnMs.toFixed(1)} ms CPU a turn`,
      );
    }
    await watcher.close();
    return out;
  } finally {
    await sys.stop();
  }
}

const results: Record<string, Sample>[] = [];
for (let run = 1; run <= runs; run++) results.push(await runOnce(run));
const med = (label: string, pick: (s: Sample) => number) =>
  median(results.map((r) => pick(r[label] as Sample)));
const off = {
  turn: med("memory off", (s) => summarize(s.turnMs).p50),
  cpu: med("memory off", (s) => s.cpuPerTurnMs),
};
console.log(
  `\n${turns} sequential two-agent round-robin turns per group × ${runs} runs (scripted agents, no delay); medians across runs`,
);
console.log(
  "CPU a turn: every app + nats-server + PostgreSQL. Assembly: read the memory record, build both agents' prompts.\n",
);
console.log(
  "history          record   window  assembly p50  vs 1,000  turn p50  turn p99  vs off  CPU a turn  vs off",
);
const at1000 = med("1,000 earlier", (s) => summarize(s.assemblyUs).p50);
for (const c of CASES) {
  const assembly = med(c.label, (s) => summarize(s.assemblyUs).p50);
  const turn = med(c.label, (s) => summarize(s.turnMs).p50);
  const cpu = med(c.label, (s) => s.cpuPerTurnMs);
  console.log(
    [
      c.label.padEnd(16),
      `${(med(c.label, (s) => s.recordBytes) / 1024).toFixed(1)} KB`.padStart(8),
      String(med(c.label, (s) => s.windowEntries)).padStart(7),
      `${assembly.toFixed(0)} µs`.padStart(13),
      (c.earlier > 0 ? `${(assembly / at1000).toFixed(2)}×` : "-").padStart(9),
      `${turn.toFixed(1)} ms`.padStart(9),
      `${med(c.label, (s) => summarize(s.turnMs).p99).toFixed(1)} ms`.padStart(9),
      `${(turn / off.turn).toFixed(2)}×`.padStart(7),
      `${cpu.toFixed(1)} ms`.padStart(11),
      `${(cpu / off.cpu).toFixed(2)}×`.padStart(7),
    ].join(" "),
  );
}
