/**
 * `npm run bench:telemetry`: what observability costs on the turn path. The same load (64 clients,
 * each on its own group, two-agent round-robin turns) runs on fresh systems with tracing off (only
 * trace ids travel; the metrics' counters count, unscraped), with tracing on (every span recorded
 * and exported over OTLP/HTTP to a collector that takes and drops them), and with tracing on and
 * every app's `/metrics` scraped each second; the variants are interleaved so drift in the
 * machine's load hits all alike. The counters themselves cannot be switched off: `bench:metrics`
 * measures them alone. Prints CPU per turn by process and all-in (apps, nats-server, PostgreSQL),
 * medians over the runs.
 */
import { createServer } from "node:http";
import { parseArgs } from "node:util";
import { freePort } from "@conclave/testing";
import { measureSystemThroughput, startBenchSystem } from "./conclave-system.js";
import { median } from "./stats.js";

const { values: flags } = parseArgs({
  options: {
    runs: { type: "string", default: "3" },
    clients: { type: "string", default: "64" },
    "turns-per-client": { type: "string", default: "10" },
  },
});
const runs = Number(flags.runs);
const clients = Number(flags.clients);
const turnsPerClient = Number(flags["turns-per-client"]);
const progress = (line: string) => process.stderr.write(`${line}\n`);

/** A collector that accepts OTLP/HTTP and drops it, counting spans' bytes. */
async function startSink(): Promise<{ url: string; bytes: () => number; close: () => Promise<void> }> {
  let bytes = 0;
  const server = createServer((req, res) => {
    req.on("data", (c: Buffer) => {
      bytes += c.length;
    });
    req.on("end", () => res.writeHead(200, { "content-type": "application/json" }).end("{}"));
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${port}`,
    bytes: () => bytes,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const VARIANTS = ["tracing off", "tracing on", "tracing on, scraped"] as const;
type Variant = (typeof VARIANTS)[number];
const results: Record<Variant, Record<string, number>[]> = {
  "tracing off": [],
  "tracing on": [],
  "tracing on, scraped": [],
};

/** Scrapes every app's metrics each second, as Prometheus would, until stopped. */
function scrapeEverySecond(urls: string[]): () => Promise<void> {
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      await Promise.all(
        urls.map((u) =>
          fetch(`${u}/metrics`).then(
            (r) => r.text(),
            () => "",
          ),
        ),
      );
      await new Promise((r) => setTimeout(r, 1000));
    }
  })();
  return async () => {
    stopped = true;
    await loop;
  };
}
const sink = await startSink();
try {
  for (let run = 1; run <= runs; run++) {
    // Alternate which goes first, so neither always runs on the warmer (or busier) machine.
    const order = run % 2 === 1 ? VARIANTS : ([...VARIANTS].reverse() as Variant[]);
    for (const variant of order) {
      const env: Record<string, string> =
        variant === "tracing off" ? {} : { OTEL_EXPORTER_OTLP_ENDPOINT: sink.url };
      progress(`run ${run}/${runs}: ${variant}`);
      const system = await startBenchSystem({ env });
      try {
        // A short warm-up: compiled code and connection pools in place before counting.
        await measureSystemThroughput(system, { clients, groups: clients, turnsPerClient: 2 });
        const ops = system.sys.apps.flatMap((a) => (a.opsUrl ? [a.opsUrl] : []));
        const stopScraping =
          variant === "tracing on, scraped" ? scrapeEverySecond(ops) : async () => undefined;
        const t = await measureSystemThroughput(system, { clients, groups: clients, turnsPerClient });
        await stopScraping();
        const all = Object.values(t.cpuPerTurn).reduce((a, b) => a + b, 0);
        results[variant].push({ ...t.cpuPerTurn, "all-in": all, "turns/s": (t.turns / t.wallMs) * 1000 });
        progress(`  ${all.toFixed(1)} ms CPU per turn, ${((t.turns / t.wallMs) * 1000).toFixed(1)} turns/s`);
      } finally {
        await system.stop();
      }
    }
  }
} finally {
  await sink.close();
}

const keys = Object.keys(results["tracing off"][0] ?? {});
const med = (v: Variant, k: string) => median(results[v].map((r) => r[k] ?? 0));
const rows = keys.map((k) => {
  const off = med("tracing off", k);
  const on = med("tracing on", k);
  const scraped = med("tracing on, scraped", k);
  const name = k === "turns/s" ? "turns/s" : `CPU ms/turn, ${k}`;
  return `| ${name} | ${off.toFixed(2)} | ${on.toFixed(2)} (${(on / (off || 1)).toFixed(2)}×) | ${scraped.toFixed(2)} (${(scraped / (off || 1)).toFixed(2)}×) |`;
});
process.stdout.write(
  [
    `Telemetry cost: ${clients} clients on their own groups, ${turnsPerClient} turns each, medians of ${runs} runs`,
    "",
    "| figure | tracing off | tracing on (OTLP export) | tracing on, /metrics scraped each second |",
    "|---|---:|---:|---:|",
    ...rows,
    "",
    `spans exported: ${(sink.bytes() / 1024 / 1024).toFixed(1)} MiB of OTLP JSON in all`,
    "",
  ].join("\n"),
);
