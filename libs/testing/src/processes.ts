import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { testEnv } from "./env.js";
import { waitUntil } from "./wait.js";

export const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));

export type AppName = "edge" | "orchestrator" | "executor" | "recorder" | "fanout";

/** The variable naming each app's ops port (metrics and health). */
export const OPS_PORT_VAR: Record<AppName, string> = {
  edge: "EDGE_OPS_PORT",
  orchestrator: "ORCHESTRATOR_OPS_PORT",
  executor: "EXECUTOR_OPS_PORT",
  recorder: "RECORDER_OPS_PORT",
  fanout: "FANOUT_OPS_PORT",
};

/** A free TCP port on loopback. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

const APPS: readonly AppName[] = ["edge", "orchestrator", "executor", "recorder", "fanout"];
let fresh: boolean | undefined;

/**
 * Whether the tests start the production bundles: as `TEST_BUILT_APPS` says, and for `auto` when
 * every app's bundle is newer than each source file and the lockfile (so an edit since the last
 * build runs the TypeScript). A bundle starts several times faster than tsx loads the sources.
 */
export function builtAppsByDefault(): boolean {
  if (testEnv.TEST_BUILT_APPS !== "auto") return testEnv.TEST_BUILT_APPS === "1";
  fresh ??= bundlesAreFresh();
  return fresh;
}

function bundlesAreFresh(): boolean {
  let oldestBundle = Number.POSITIVE_INFINITY;
  for (const app of APPS) {
    const main = join(REPO_ROOT, "apps", app, "dist", "main.js");
    if (!existsSync(main)) return false;
    oldestBundle = Math.min(oldestBundle, statSync(main).mtimeMs);
  }
  const roots = [
    join(REPO_ROOT, "subjects", "src"),
    ...["apps", "libs"].flatMap((dir) =>
      readdirSync(join(REPO_ROOT, dir)).map((name) => join(REPO_ROOT, dir, name, "src")),
    ),
  ];
  const newer = (path: string): boolean => {
    if (!existsSync(path)) return false;
    const st = statSync(path);
    if (!st.isDirectory()) return st.mtimeMs > oldestBundle;
    return readdirSync(path).some((name) => newer(join(path, name)));
  };
  return !roots.some(newer) && !newer(join(REPO_ROOT, "package-lock.json"));
}

/** The node arguments that start `app`: its production bundle when asked (or `built`), else its source through tsx. */
export function appEntry(app: AppName, built = builtAppsByDefault()): string[] {
  if (!built) return ["--import", "tsx", `apps/${app}/src/main.ts`];
  const main = `apps/${app}/dist/main.js`;
  if (!existsSync(`${REPO_ROOT}${main}`)) throw new Error(`${main} is missing: run npm run build first`);
  return [main];
}

/** One app running as its own process, with its log lines kept. */
export class AppProcess {
  readonly lines: string[] = [];
  private proc: ChildProcess;
  private exit: Promise<number | null>;
  /** The running process's output has ended (it exited and every line it wrote is in `lines`). */
  private outputEnded = false;
  constructor(
    readonly app: AppName,
    private readonly env: Record<string, string>,
    /** Node flags before the app's entry (e.g. `--cpu-prof` to profile it). */
    private readonly nodeArgs: readonly string[] = [],
    /** Run the production bundle instead of the TypeScript (default: `TEST_BUILT_APPS`). */
    readonly built = builtAppsByDefault(),
  ) {
    // Parallel tests must not meet on the fixed default port: any free one unless given.
    this.env[OPS_PORT_VAR[app]] ??= "0";
    [this.proc, this.exit] = this.spawn();
  }

  /** The app's ops base URL (/metrics, /healthz, /readyz, /health/detailed), when its port was given. */
  get opsUrl(): string | undefined {
    const port = this.env[OPS_PORT_VAR[this.app]];
    return port && port !== "0" ? `http://127.0.0.1:${port}` : undefined;
  }

  private spawn(): [ChildProcess, Promise<number | null>] {
    const proc = spawn(process.execPath, [...this.nodeArgs, ...appEntry(this.app, this.built)], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? "", ...this.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const onData = (chunk: Buffer) => {
      for (const line of chunk.toString("utf8").split("\n")) {
        if (!line) continue;
        this.lines.push(line);
        if (testEnv.TEST_APP_LOGS) process.stderr.write(`[${this.app}] ${line}\n`);
      }
    };
    proc.stdout?.on("data", onData);
    proc.stderr?.on("data", onData);
    const exit = new Promise<number | null>((resolve) =>
      proc.once("exit", (code, signal) => resolve(code ?? (signal ? -1 : null))),
    );
    this.outputEnded = false;
    proc.once("close", () => {
      if (this.proc === proc) this.outputEnded = true;
    });
    return [proc, exit];
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }

  get running(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /**
   * Waits for a log line containing `text`. The default leaves room for a start on a busy machine:
   * each process compiles its TypeScript, and with the load several times the cores that took over 30 s.
   */
  async waitForLog(text: string, timeoutMs = 60_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const line = this.lines.find((l) => l.includes(text));
      if (line !== undefined) return line;
      // A process that is gone logs nothing more: say so now rather than at the deadline.
      const why = this.outputEnded
        ? `${this.app} exited before it logged "${text}"`
        : Date.now() >= deadline
          ? `timed out after ${timeoutMs} ms waiting for ${this.app} to log "${text}"`
          : undefined;
      if (why)
        throw new Error(
          `${why} (${this.state()})\n--- ${this.app} log ---\n${this.lines.slice(-30).join("\n")}`,
        );
      await sleep(50);
    }
  }

  /** The port of an `EADDRINUSE` the app logged (another process took it first), if it did. */
  portInUse(): number | undefined {
    for (const l of this.lines) {
      const m = /EADDRINUSE: address already in use [^"\s]*:(\d+)/.exec(l);
      if (m) return Number(m[1]);
    }
    return undefined;
  }

  /** Whether the process runs, how it ended, and what CPU it used: a start that never logged is told apart from a slow one. */
  private state(): string {
    const { pid } = this.proc;
    if (!this.running)
      return `pid ${pid} exited with ${this.proc.exitCode ?? this.proc.signalCode}, ${this.lines.length} lines logged`;
    try {
      // utime and stime are fields 14 and 15, after the parenthesised command name (clock ticks of 10 ms).
      const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
      const cpuMs = (Number(fields[11]) + Number(fields[12])) * 10;
      return `pid ${pid} running, state ${fields[0]}, ${cpuMs} ms of CPU used, ${this.lines.length} lines logged`;
    } catch {
      return `pid ${pid} running, ${this.lines.length} lines logged`;
    }
  }

  async waitForExit(timeoutMs = 15_000): Promise<number | null> {
    return waitUntil(
      `${this.app} to exit`,
      async () => {
        if (this.running) return undefined;
        return { code: await this.exit };
      },
      timeoutMs,
    ).then((r) => r.code);
  }

  kill(signal: NodeJS.Signals = "SIGKILL"): void {
    this.proc.kill(signal);
  }

  /** Starts the app again (after a kill), with extra or changed environment. */
  restart(env: Record<string, string | undefined> = {}): void {
    if (this.running) throw new Error(`${this.app} is still running`);
    for (const [k, v] of Object.entries(env)) {
      if (v === undefined) delete this.env[k];
      else this.env[k] = v;
    }
    this.lines.length = 0;
    [this.proc, this.exit] = this.spawn();
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.proc.kill("SIGTERM");
    await this.waitForExit(20_000).catch(() => this.proc.kill("SIGKILL"));
  }
}
