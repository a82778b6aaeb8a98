/**
 * `npm run bench:rebuild`: how fast `conclave projections rebuild` replays the conv stream into the
 * read model, beside a raw JetStream read of the same events in the same run (an ordered consumer
 * from seq 1: the floor any rebuild pays), and the same read with each message parsed as an envelope.
 * After the rebuild filled the tables, the same events read back through the edge's replay route
 * over HTTP (every group, every NDJSON line; the edge in this process) and re-driven by
 * `verifyGroup` (`conclave replay --verify`) over every group.
 * The stream holds `--events` conversation events (turns with posts, replies, votes and ballots)
 * over 50 groups; each phase reports events/s, its ratio to the raw read, and the CPU ms per 1,000
 * events of this process (the in-process edge included), the nats-server and PostgreSQL. Medians
 * over `--runs`.
 */
import { parseArgs } from "node:util";
import { DeliverPolicy, jetstream, jetstreamManager, publishEnvelope, readEnvelope } from "@conclave/bus";
import { rebuildProjections } from "@conclave/cli/projections";
import { openDb } from "@conclave/db";
import { type AnyEnvelope, deriveEventId, makeEnvelope, newEventId, SYSTEM_ACTOR } from "@conclave/subjects";
import { createTestDatabase, openProvisionedBus, quietLogger } from "@conclave/testing";
import { countCpu } from "./cpu-usage.js";
import { type BenchGroup, REPLAY_LIMIT, replayAll, serveEdge, verifyAll } from "./replay-phases.js";
import { median } from "./stats.js";

const { values: flags } = parseArgs({
  options: {
    events: { type: "string", default: "100000" },
    runs: { type: "string", default: "1" },
    batch: { type: "string", default: "2000" },
  },
});
const intFlag = (name: string, raw: string | undefined, min: number) => {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer ≥ ${min}, got ${raw}`);
  return n;
};
const EVENTS = intFlag("events", flags.events, 10);
const RUNS = intFlag("runs", flags.runs, 1);
const BATCH = intFlag("batch", flags.batch, 1);

/** One turn's events: a post, its start, two replies, and (every third turn) a vote of two ballots; then its end. */
function turnEvents({ id: groupId, ada, bo }: BenchGroup, n: number): AnyEnvelope[] {
  const turnId = newEventId();
  const messageId = newEventId();
  const base = { groupId, turnId, causationId: messageId, actor: SYSTEM_ACTOR };
  const out: AnyEnvelope[] = [
    makeEnvelope({
      ...base,
      id: messageId,
      type: "message.posted",
      causationId: null,
      actor: { kind: "user", id: "u", name: "Lin" },
      payload: { messageId, content: `question ${n}: which plan should we pick, and why?` },
    }),
    makeEnvelope({
      ...base,
      id: deriveEventId(turnId, "s"),
      type: "turn.started",
      payload: {
        messageId,
        messageSeq: n + 1,
        strategy: "debate_vote",
        agentIds: [ada, bo],
        deadline: new Date().toISOString(),
      },
    }),
  ];
  for (const [agentId, agentName] of [
    [ada, "Ada"],
    [bo, "Bo"],
  ] as const)
    out.push(
      makeEnvelope({
        ...base,
        id: newEventId(),
        type: "agent.replied",
        actor: { kind: "agent", id: agentId, name: agentName },
        payload: {
          agentId,
          agentName,
          content:
            `${agentName} answers question ${n} with a paragraph of reasoning about the plans. `.repeat(4),
          provider: "scripted",
          model: "m",
          latencyMs: 1,
        },
      }),
    );
  if (n % 3 === 0) {
    const voteId = newEventId();
    out.push(
      makeEnvelope({
        ...base,
        id: deriveEventId(voteId, "opened"),
        type: "vote.opened",
        payload: {
          voteId,
          question: "Which plan?",
          options: [
            { choice: "A", agentId: ada, summary: "plan A" },
            { choice: "B", agentId: bo, summary: "plan B" },
          ],
          voters: [
            { agentId: ada, agentName: "Ada", seat: 0 },
            { agentId: bo, agentName: "Bo", seat: 1 },
          ],
          rule: { kind: "majority" },
          quorum: { kind: "count", min: 1 },
          deadline: new Date().toISOString(),
        },
      }),
      ...[ada, bo].map((agentId, i) =>
        makeEnvelope({
          ...base,
          id: newEventId(),
          type: "vote.cast",
          actor: { kind: "agent", id: agentId, name: i ? "Bo" : "Ada" },
          payload: {
            voteId,
            agentId,
            agentName: i ? "Bo" : "Ada",
            choice: "A",
            confidence: 0.8,
            rationale: "so",
          },
        }),
      ),
    );
  }
  out.push(
    makeEnvelope({
      ...base,
      id: deriveEventId(turnId, "e"),
      type: "turn.completed",
      payload: { messageId, replyIds: [], durationMs: 3 },
    }),
  );
  return out;
}

const log = quietLogger("bench");
const bus = await openProvisionedBus();
const js = jetstream(bus.nc);
const jsm = await jetstreamManager(bus.nc);
const database = await createTestDatabase();
const handle = await openDb({ url: database.url, poolSize: 1 });
// The edge's own pool, as its process would have.
const edgeDb = await openDb({ url: database.url, poolSize: 4 });
const noApps = { apps: [] };
let edge: Awaited<ReturnType<typeof serveEdge>> | undefined;

try {
  process.stderr.write(`publishing ${EVENTS} events to ${bus.names.stream("conv")}…\n`);
  let published = 0;
  let verifiable = 0;
  const groups: BenchGroup[] = Array.from({ length: 50 }, () => ({
    id: newEventId(),
    ada: newEventId(),
    bo: newEventId(),
  }));
  for (let n = 0; published < EVENTS; ) {
    const window: AnyEnvelope[] = [];
    while (window.length < 1000 && published + window.length < EVENTS) {
      const turn = turnEvents(groups[n % groups.length] as BenchGroup, n);
      n++;
      const kept = turn.slice(0, EVENTS - published - window.length);
      // A turn cut short before its start has nothing to verify.
      if (kept.some((e) => e.type === "turn.started")) verifiable += kept.length;
      window.push(...kept);
    }
    await Promise.all(window.map((e) => publishEnvelope(js, bus.names, e)));
    published += window.length;
  }

  edge = await serveEdge({ nc: bus.nc, ns: bus.names.ns, db: edgeDb, log, benchGroups: groups });
  const served = edge;

  const phases: Record<string, { n: number; ms: number[]; cpu: Record<string, number>[] }> = {};
  const measure = async (name: string, run: () => Promise<number>, expected = EVENTS) => {
    const cpu = countCpu(noApps);
    const t0 = performance.now();
    const n = await run();
    const ms = performance.now() - t0;
    if (n !== expected) throw new Error(`${name} read ${n} events, not ${expected}`);
    const used = cpu.stop();
    const phase = phases[name] ?? { n, ms: [], cpu: [] };
    phases[name] = phase;
    phase.ms.push(ms);
    phase.cpu.push(used);
    process.stderr.write(`${name}: ${Math.round(n / (ms / 1000))} events/s\n`);
  };
  let verified = { turns: 0, divergent: 0 };
  const rawRead = (parse: boolean) => async () => {
    const consumer = await js.consumers.get(bus.names.stream("conv"), {
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: 1,
    });
    const messages = await consumer.consume({ max_messages: 8192 });
    let n = 0;
    for await (const m of messages) {
      if (parse && !readEnvelope(bus.names, m).ok) throw new Error(`seq ${m.seq} does not parse`);
      n++;
      if (m.info.pending === 0) break;
    }
    messages.stop();
    return n;
  };
  for (let run = 0; run < RUNS; run++) {
    await measure("raw JetStream read", rawRead(false));
    await measure("read + parse envelopes", rawRead(true));
    await measure("projections rebuild (PostgreSQL)", async () => {
      const r = await rebuildProjections(
        { db: handle.db, js, jsm, names: bus.names, log },
        { batchSize: BATCH },
      );
      return r.recorded;
    });
    await measure("replay over HTTP (edge, NDJSON)", () => replayAll(served, groups));
    await measure(
      "replay --verify (verifyGroup)",
      async () => {
        const v = await verifyAll(handle.db, groups);
        verified = v;
        return v.events;
      },
      verifiable,
    );
  }

  const labels = [...new Set(Object.values(phases).flatMap((p) => p.cpu.flatMap((c) => Object.keys(c))))];
  const lines = [
    `${EVENTS} conv events over ${groups.length} groups, ${RUNS} runs, medians; rebuild batch ${BATCH} events per transaction;`,
    `replay: every group in turn, limit ${REPLAY_LIMIT} per request; verify: ${verified.turns} turns, ${verified.divergent} divergent (the synthetic turns are not what today's strategies decide)`,
    "",
    `| phase | events/s | × raw read | wall s | ${labels.map((l) => `${l} CPU ms/1k ev`).join(" | ")} |`,
    `|---|---:|---:|---:|${labels.map(() => "---:").join("|")}|`,
  ];
  const rate = (p: { n: number; ms: number[] }) => p.n / (median(p.ms) / 1000);
  const raw = phases["raw JetStream read"];
  const rawRate = raw ? rate(raw) : Number.NaN;
  for (const [name, p] of Object.entries(phases)) {
    const ms = median(p.ms);
    const cpu = labels.map((l) => (median(p.cpu.map((c) => c[l] ?? 0)) / (p.n / 1000)).toFixed(1));
    lines.push(
      `| ${name} | ${Math.round(rate(p))} | ${(rate(p) / rawRate).toFixed(2)} | ${(ms / 1000).toFixed(2)} | ${cpu.join(" | ")} |`,
    );
  }
  console.log(lines.join("\n"));
} finally {
  await edge?.close();
  await edgeDb.close();
  await handle.close();
  await bus.dispose();
  await database.drop();
}
