import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "@nats-io/transport-node";
import { freePort } from "./processes.js";
import { waitUntil } from "./wait.js";

/** A nats-server of a chaos test's own (free port, own data folder), never the shared one. */
export interface OwnNatsServer {
  url: string;
  /** The server's process id while it runs (benchmarks count its CPU). */
  readonly pid: number | undefined;
  /** Kills the server (SIGKILL by default); its data folder stays for the restart. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port and data folder. */
  restart(): Promise<void>;
  dispose(): Promise<void>;
}

/** `config`: extra nats-server configuration (e.g. an authorization block), written to the data folder. */
export async function startOwnNatsServer(
  options: { bin?: string; config?: string; user?: string; password?: string } = {},
): Promise<OwnNatsServer> {
  const bin = options.bin ?? "nats-server";
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), "conclave-nats-"));
  const url = `nats://127.0.0.1:${port}`;
  let proc: ChildProcess | undefined;
  const start = async () => {
    const args = ["-js", "-a", "127.0.0.1", "-p", String(port), "-sd", dir];
    if (options.config !== undefined) {
      await writeFile(join(dir, "nats.conf"), options.config, { mode: 0o600 });
      args.unshift("-c", join(dir, "nats.conf"));
    }
    proc = spawn(bin, args, { stdio: "ignore" });
    await waitUntil(
      `nats-server on ${port}`,
      async () => {
        const nc = await connect({
          servers: url,
          timeout: 500,
          reconnect: false,
          ...(options.user ? { user: options.user, pass: options.password ?? "" } : {}),
        });
        await nc.close();
        return true;
      },
      10_000,
      100,
    );
  };
  const kill = async (signal: NodeJS.Signals = "SIGKILL") => {
    const p = proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    await new Promise((resolve) => {
      p.once("exit", resolve);
      p.kill(signal);
    });
  };
  await start();
  return {
    url,
    get pid() {
      return proc?.pid;
    },
    kill,
    restart: start,
    async dispose() {
      await kill("SIGTERM");
      await rm(dir, { recursive: true, force: true });
    },
  };
}
