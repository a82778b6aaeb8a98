/**
 * `npm run bench:waterfall`: where a sequential two-agent turn's time goes, from the apps' own
 * spans. The system runs as `npm run bench` runs it, exporting every span over OTLP/HTTP to a
 * collector in this process; turns are posted one after another, and the report gives each app's
 * span per event (its median duration over the turns, how many) and the waterfall of the median
 * turn: when each span started after the post, and how long it took.
 */
import { createServer } from "node:http";
import { parseArgs } from "node:util";
import { freePort } from "@conclave/testing";
import { createGroup, postMessage, startBenchSystem } from "./conclave-system.js";
import { median } from "./stats.js";
import { TurnWatcher } from "./turn-watcher.js";

const { values: flags } = parseArgs({
  options: {
    turns: { type: "string", default: "100" },
    warmup: { type: "string", default: "30" },
  },
});
const turns = Number(flags.turns);
const warmup = Number(flags.warmup);
if (!Number.isInteger(turns) || turns < 1 || !Number.isInteger(warmup) || warmup < 0)
  throw new Error("--turns must be an integer ≥ 1 and --warmup ≥ 0");
const progress = (line: string) => process.stderr.write(`${line}\n`);

interface Span {
  traceId: string;
  name: string;
  service: string;
  /** Epoch microseconds. */
  start: number;
  durationUs: number;
}

/** An OTLP/HTTP (JSON) collector that keeps every span it is sent. */
async function startCollector(): Promise<{ url: string; spans: Span[]; close(): Promise<void> }> {
  const spans: Span[] = [];
  const micros = (nanos: string) => Number(BigInt(nanos) / 1000n);
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as {
          resourceSpans?: {
            resource?: { attributes?: { key: string; value: { stringValue?: string } }[] };
            scopeSpans?: {
              spans?: { traceId: string; name: string; startTimeUnixNano: string; endTimeUnixNano: string }[];
            }[];
          }[];
        };
        for (const rs of body.resourceSpans ?? []) {
          const service =
            rs.resource?.attributes?.find((a) => a.key === "service.name")?.value.stringValue ?? "?";
          for (const ss of rs.scopeSpans ?? [])
            for (const s of ss.spans ?? [])
              spans.push({
                traceId: s.traceId,
                name: s.name,
                service: service.replace(/^conclave-/, ""),
                start: micros(s.startTimeUnixNano),
                durationUs: micros(s.endTimeUnixNano) - micros(s.startTimeUnixNano),
              });
        }
        res.writeHead(200, { "content-type": "application/json" }).end("{}");
      } catch {
        res.writeHead(400).end();
      }
    });
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const collector = await startCollector();
progress("starting the system, its spans exported to this process");
const bench = await startBenchSystem({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: collector.url } });
const posted = new Map<string, number>();
try {
  const groupId = await createGroup(bench.sys, "bench waterfall");
  const watcher = await TurnWatcher.open(bench.sys.streamUrl, bench.sys.user.accessToken);
  await watcher.subscribe(groupId);
  for (let i = 0; i < warmup + turns; i++) {
    const at = Date.now() * 1000;
    const turnId = await postMessage(bench.sys, groupId, `turn ${i}`);
    const ended = await watcher.ended(turnId);
    if (ended.ended?.type !== "turn.completed") throw new Error(`turn ${turnId} ended ${ended.ended?.type}`);
    if (i >= warmup) posted.set(turnId, at);
    if ((i + 1) % 50 === 0) progress(`  ${i + 1}/${warmup + turns} turns`);
  }
  await watcher.close();
  // The apps export in batches (every 5 s): wait for the last turns' spans.
  progress("waiting for the last spans");
  await new Promise((r) => setTimeout(r, 7000));
} finally {
  await bench.stop();
  await collector.close();
}

// A turn's spans share its trace; the post's span is the one that opens it.
const byTrace = new Map<string, Span[]>();
for (const s of collector.spans) {
  const list = byTrace.get(s.traceId) ?? [];
  list.push(s);
  byTrace.set(s.traceId, list);
}
const measured = [...byTrace.values()].filter((list) =>
  list.some((s) => s.name.startsWith("POST /v1/groups/:groupId/messages")),
);
// Only the counted turns: their post came after the warm-up's.
const firstCounted = Math.min(...posted.values());
const counted = measured.filter((list) => Math.min(...list.map((s) => s.start)) >= firstCounted - 5_000);

const key = (s: Span) => `${s.service.padEnd(12)} ${s.name}`;
const durations = new Map<string, number[]>();
for (const list of counted)
  for (const s of list) {
    const d = durations.get(key(s)) ?? [];
    d.push(s.durationUs / 1000);
    durations.set(key(s), d);
  }
const ms = (x: number) => x.toFixed(2).padStart(7);
process.stdout.write(
  `\n${counted.length} sequential turns (two agents, round robin), spans by app and event\n`,
);
process.stdout.write("median ms  spans  app          span\n");
for (const [k, d] of [...durations].sort((a, b) => a[0].localeCompare(b[0])))
  process.stdout.write(`${ms(median(d))}  ${String(d.length).padStart(5)}  ${k}\n`);

// The median turn by its length: first span's start to last span's end.
const lengthOf = (list: Span[]) =>
  Math.max(...list.map((s) => s.start + s.durationUs)) - Math.min(...list.map((s) => s.start));
const sorted = [...counted].sort((a, b) => lengthOf(a) - lengthOf(b));
const mid = sorted[Math.floor(sorted.length / 2)];
if (mid) {
  const t0 = Math.min(...mid.map((s) => s.start));
  process.stdout.write(
    `\nthe median turn (${(lengthOf(mid) / 1000).toFixed(1)} ms from the post's span to the last one)\n`,
  );
  process.stdout.write("  start ms  took ms  app          span\n");
  for (const s of [...mid].sort((a, b) => a.start - b.start))
    process.stdout.write(`${ms((s.start - t0) / 1000)}  ${ms(s.durationUs / 1000)}  ${key(s)}\n`);
}
