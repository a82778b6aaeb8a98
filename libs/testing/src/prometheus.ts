import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { testEnv } from "./env.js";
import { freePort } from "./processes.js";
import { waitUntil } from "./wait.js";

/** Where Debian's `prometheus` package puts the server. */
const DEFAULT_BIN = "/usr/bin/prometheus";

/** A Prometheus server of the test's own (free port, own config and data folder). */
export interface OwnPrometheus {
  url: string;
  /** One instant query's result vector (`/api/v1/query`). */
  query(promql: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]>;
  /** Every active target and its health (`/api/v1/targets`). */
  targets(): Promise<
    { scrapeUrl: string; health: string; lastError: string; labels: Record<string, string> }[]
  >;
  dispose(): Promise<void>;
}

/** The prometheus binary: `PROMETHEUS_BIN`, Debian's path, or on PATH; a clear error when missing. */
export function prometheusBin(): string {
  const given = testEnv.PROMETHEUS_BIN;
  if (given) {
    if (existsSync(given)) return given;
    throw new Error(
      `PROMETHEUS_BIN=${given} does not exist: install prometheus (Debian: \`apt-get install -y prometheus\`)`,
    );
  }
  if (existsSync(DEFAULT_BIN)) return DEFAULT_BIN;
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    const candidate = join(dir, "prometheus");
    if (dir && existsSync(candidate)) return candidate;
  }
  throw new Error(
    "the prometheus binary is missing: install it (Debian: `apt-get install -y prometheus`, as .ci/run does) or set PROMETHEUS_BIN",
  );
}

/** Starts Prometheus scraping `targets` (host:port, each with its labels) every `intervalS` seconds. */
export async function startPrometheus(
  targets: { address: string; labels: Record<string, string> }[],
  options: { intervalS?: number } = {},
): Promise<OwnPrometheus> {
  const bin = prometheusBin();
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), "conclave-prometheus-"));
  const interval = `${options.intervalS ?? 1}s`;
  const config = {
    global: { scrape_interval: interval, scrape_timeout: interval, evaluation_interval: interval },
    scrape_configs: [
      {
        job_name: "conclave",
        static_configs: targets.map((t) => ({ targets: [t.address], labels: t.labels })),
      },
    ],
  };
  // JSON is YAML: no YAML writer needed.
  await writeFile(join(dir, "prometheus.yml"), JSON.stringify(config, null, 2));
  const lines: string[] = [];
  const proc: ChildProcess = spawn(
    bin,
    [
      `--config.file=${join(dir, "prometheus.yml")}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  const keep = (chunk: Buffer) => lines.push(...chunk.toString("utf8").split("\n").filter(Boolean));
  proc.stdout?.on("data", keep);
  proc.stderr?.on("data", keep);
  const url = `http://127.0.0.1:${port}`;
  const api = async <T>(path: string): Promise<T> => {
    const res = await fetch(`${url}${path}`);
    const body = (await res.json()) as { status: string; data: T; error?: string };
    if (body.status !== "success") throw new Error(`prometheus ${path}: ${body.error ?? res.status}`);
    return body.data;
  };
  const stop = async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    await new Promise((resolve) => {
      proc.once("exit", resolve);
      proc.kill("SIGTERM");
    });
  };
  try {
    await waitUntil(
      `prometheus on ${port}`,
      async () => {
        if (proc.exitCode !== null) throw new Error(`prometheus exited:\n${lines.slice(-20).join("\n")}`);
        return (await fetch(`${url}/-/ready`)).ok;
      },
      30_000,
      200,
    );
  } catch (e) {
    await stop();
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
  return {
    url,
    query: async (promql) =>
      (
        await api<{ result: { metric: Record<string, string>; value: [number, string] }[] }>(
          `/api/v1/query?query=${encodeURIComponent(promql)}`,
        )
      ).result,
    targets: async () =>
      (
        await api<{
          activeTargets: {
            scrapeUrl: string;
            health: string;
            lastError: string;
            labels: Record<string, string>;
          }[];
        }>("/api/v1/targets?state=active")
      ).activeTargets,
    async dispose() {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
