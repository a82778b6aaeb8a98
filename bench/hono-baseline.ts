/**
 * A raw HTTP baseline for `POST /v1/groups/:id/messages`: a bare Hono app on @hono/node-server
 * (its own process, as the edge is) that answers 202 after a JetStream publish and PubAck, so a
 * run can show the edge's own overhead over Hono + publish. `npm run bench:hono` prints it alone.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { connectBus, jetstreamManager, PROVISION_DEFAULTS, streamConfigs } from "@conclave/bus";
import { names as namesOf } from "@conclave/subjects";
import { quietLogger, REPO_ROOT, testEnv, uniqueNamespace, waitUntil } from "@conclave/testing";
import { cpuMs } from "./cpu-usage.js";
import { type Summary, summarize } from "./stats.js";

/** A POST endpoint served by a process of its own, whose CPU is counted. */
export interface PostTarget {
  /** The full URL posted to. */
  url: string;
  /** The serving process (its CPU is read from /proc). */
  pid: number;
  headers?: Record<string, string>;
  body: unknown;
  /** The status a good answer has (default 202). */
  status?: number;
}

export interface PostMeasureOptions {
  /** Sequential requests counted, after `warmup` uncounted ones. */
  requests?: number;
  warmup?: number;
  /** Clients posting at once, and how many requests they make together. */
  clients?: number;
  concurrentRequests?: number;
}

export interface PostFigures {
  sequential: { latencyMs: Summary; cpuMsPerRequest: number };
  concurrent: {
    clients: number;
    requests: number;
    wallMs: number;
    requestsPerSec: number;
    cpuMsPerRequest: number;
  };
}

const DEFAULTS: Required<PostMeasureOptions> = {
  requests: 500,
  warmup: 100,
  clients: 64,
  concurrentRequests: 3000,
};

/** Posts to `target` one request at a time, then from many clients at once; CPU is the server's, per request. */
export async function measurePost(
  target: PostTarget,
  options: PostMeasureOptions = {},
): Promise<PostFigures> {
  const o = { ...DEFAULTS, ...options };
  const init: RequestInit = {
    method: "POST",
    headers: { "content-type": "application/json", ...target.headers },
    body: JSON.stringify(target.body),
  };
  const expected = target.status ?? 202;
  const post = async () => {
    const res = await fetch(target.url, init);
    const text = await res.text();
    if (res.status !== expected) throw new Error(`POST ${target.url}: ${res.status} ${text}`);
  };
  const cpu = () => cpuMs(target.pid) ?? Number.NaN;

  for (let i = 0; i < o.warmup; i++) await post();
  const latencies: number[] = [];
  let cpu0 = cpu();
  for (let i = 0; i < o.requests; i++) {
    const t0 = performance.now();
    await post();
    latencies.push(performance.now() - t0);
  }
  const sequentialCpu = (cpu() - cpu0) / o.requests;

  let started = 0;
  cpu0 = cpu();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: o.clients }, async () => {
      while (started < o.concurrentRequests) {
        started++;
        await post();
      }
    }),
  );
  const wallMs = performance.now() - t0;
  return {
    sequential: { latencyMs: summarize(latencies), cpuMsPerRequest: sequentialCpu },
    concurrent: {
      clients: o.clients,
      requests: started,
      wallMs,
      requestsPerSec: (started / wallMs) * 1000,
      cpuMsPerRequest: (cpu() - cpu0) / started,
    },
  };
}

/**
 * Starts the bare Hono server (bench/hono-baseline-server.ts) against a throwaway copy of the
 * conversation stream (the system's config) in a namespace of its own, measures it with
 * `measurePost` and removes both.
 */
export async function measureHonoPost(
  options: PostMeasureOptions & { natsUrl?: string } = {},
): Promise<PostFigures & { natsServer: string }> {
  const natsUrl = options.natsUrl ?? testEnv.TEST_NATS_URL;
  const names = namesOf(uniqueNamespace("hono"));
  const nc = await connectBus({ url: natsUrl, name: `${names.ns}-bench`, log: quietLogger("bench") });
  const jsm = await jetstreamManager(nc);
  const conv = streamConfigs(names, PROVISION_DEFAULTS).find((c) => c.name === names.stream("conv"));
  if (!conv) throw new Error("no conversation stream config");
  await jsm.streams.add(conv);
  let server: ChildProcess | undefined;
  try {
    const serverEntry = fileURLToPath(new URL("./hono-baseline-server.ts", import.meta.url));
    server = spawn(process.execPath, ["--import", "tsx", serverEntry], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? "", NATS_URL: natsUrl, BASELINE_NS: names.ns },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    server.stdout?.on("data", (d: Buffer) => (output += d.toString("utf8")));
    server.stderr?.on("data", (d: Buffer) => (output += d.toString("utf8")));
    const port = await waitUntil(
      "the Hono baseline server to listen",
      () => output.match(/listening (\d+)/)?.[1],
      60_000,
    ).catch((e: Error) => {
      throw new Error(`${e.message}\n${output}`);
    });
    const figures = await measurePost(
      {
        url: `http://127.0.0.1:${port}/v1/groups/${randomUUID()}/messages`,
        pid: server.pid ?? 0,
        body: { content: "a message of about the size the main benchmark posts" },
      },
      options,
    );
    return { ...figures, natsServer: nc.info?.version ?? "?" };
  } finally {
    if (server && server.exitCode === null) {
      const exited = new Promise((resolve) => server?.once("exit", resolve));
      server.kill("SIGTERM");
      await exited;
    }
    await jsm.streams.delete(conv.name).catch(() => undefined);
    await nc.close();
  }
}

/** One line per figure, for `npm run bench:hono` or a caller's report. */
export function formatPostFigures(name: string, f: PostFigures): string {
  const s = f.sequential;
  const c = f.concurrent;
  return [
    `${name}: sequential POST→202 p50 ${s.latencyMs.p50.toFixed(2)} ms, p99 ${s.latencyMs.p99.toFixed(2)} ms (n ${s.latencyMs.n}), server CPU ${s.cpuMsPerRequest.toFixed(3)} ms/request`,
    `${name}: ${c.clients} clients ${c.requestsPerSec.toFixed(0)} requests/s (${c.requests} in ${(c.wallMs / 1000).toFixed(1)} s), server CPU ${c.cpuMsPerRequest.toFixed(3)} ms/request`,
  ].join("\n");
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: {
      requests: { type: "string", default: String(DEFAULTS.requests) },
      warmup: { type: "string", default: String(DEFAULTS.warmup) },
      clients: { type: "string", default: String(DEFAULTS.clients) },
      "concurrent-requests": { type: "string", default: String(DEFAULTS.concurrentRequests) },
    },
  });
  const figures = await measureHonoPost({
    requests: Number(values.requests),
    warmup: Number(values.warmup),
    clients: Number(values.clients),
    concurrentRequests: Number(values["concurrent-requests"]),
  });
  process.stdout.write(`${formatPostFigures("hono + publish", figures)}\n`);
  process.stdout.write(`(nats-server ${figures.natsServer}, node ${process.version})\n`);
}
