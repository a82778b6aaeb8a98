import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { chown, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import postgres from "postgres";
import { freePort } from "./processes.js";
import { waitUntil } from "./wait.js";

const run = promisify(execFile);

/** A PostgreSQL of a chaos test's own (free port, own data folder), never the shared one. */
export interface OwnPostgres {
  /** A superuser URL (trust auth, user postgres) on the server's `postgres` database. */
  url: string;
  /** A clean shutdown (fast); the data folder stays. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data folder, and waits until it answers. */
  start(): Promise<void>;
  /** SIGKILL of the postmaster and its backends: a crash; `start()` recovers. */
  kill(): Promise<void>;
  /** The postmaster and its backends now (benchmarks count their CPU). */
  pids(): Promise<number[]>;
  /** Stops it and removes its data folder. */
  close(): Promise<void>;
}

/** Where initdb and pg_ctl live: on the PATH, else Debian's newest /usr/lib/postgresql/<v>/bin. */
async function binDir(): Promise<string> {
  for (const dir of (process.env.PATH ?? "").split(":"))
    if (dir && existsSync(join(dir, "initdb")) && existsSync(join(dir, "pg_ctl"))) return dir;
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root) ? (await readdir(root)).sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of versions) if (existsSync(join(root, v, "bin", "initdb"))) return join(root, v, "bin");
  throw new Error("initdb not found: install PostgreSQL's server binaries");
}

/** initdb refuses to run as root: then every server command runs as the postgres system user. */
const asOwner = (bin: string, args: string[]) =>
  process.getuid?.() === 0 ? run("runuser", ["-u", "postgres", "--", bin, ...args]) : run(bin, args);

/**
 * `durable: true` keeps PostgreSQL's own defaults (fsync and synchronous commit on), as a production
 * server runs; chaos tests run without them for speed. `settings`: more server settings (`-c k=v`).
 */
export async function startPostgres(
  opts: { durable?: boolean; settings?: Record<string, string> } = {},
): Promise<OwnPostgres> {
  const bin = await binDir();
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), "conclave-pg-"));
  const data = join(dir, "data");
  if (process.getuid?.() === 0) {
    const { stdout } = await run("id", ["-u", "postgres"]);
    const { stdout: gid } = await run("id", ["-g", "postgres"]);
    await chown(dir, Number(stdout.trim()), Number(gid.trim()));
  }
  await asOwner(join(bin, "initdb"), [
    "-D",
    data,
    "-A",
    "trust",
    "-U",
    "postgres",
    "--no-sync",
    "-E",
    "UTF8",
  ]);
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const options = [
    `-p ${port}`,
    "-c listen_addresses=127.0.0.1",
    `-c unix_socket_directories=${dir}`,
    ...(opts.durable ? [] : ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]),
    "-c max_connections=200",
    ...Object.entries(opts.settings ?? {}).map(([k, v]) => `-c ${k}=${v}`),
  ].join(" ");
  const postmaster = async (): Promise<number | undefined> => {
    const pidFile = join(data, "postmaster.pid");
    if (!existsSync(pidFile)) return undefined;
    return Number((await readFile(pidFile, "utf8")).split("\n")[0]);
  };
  const start = async () => {
    await asOwner(join(bin, "pg_ctl"), [
      "-D",
      data,
      "-l",
      join(dir, "log"),
      "-o",
      options,
      "-w",
      "-t",
      "60",
      "start",
    ]);
    await waitUntil(
      `PostgreSQL on ${port}`,
      async () => {
        const sql = postgres(url, { max: 1, connect_timeout: 2, onnotice: () => undefined });
        try {
          await sql`select 1`;
          return true;
        } finally {
          await sql.end({ timeout: 1 });
        }
      },
      30_000,
      200,
    );
  };
  const stop = async () => {
    if (!existsSync(join(data, "postmaster.pid"))) return;
    await asOwner(join(bin, "pg_ctl"), ["-D", data, "-m", "fast", "-w", "-t", "60", "stop"]);
  };
  const kill = async () => {
    const pidFile = join(data, "postmaster.pid");
    if (!existsSync(pidFile)) return;
    const pid = Number((await readFile(pidFile, "utf8")).split("\n")[0]);
    // The backends go with it, or a new postmaster would find the old shared memory still in use.
    const children = await childrenOf(pid);
    for (const p of [pid, ...children]) {
      try {
        process.kill(p, "SIGKILL");
      } catch {
        // already gone
      }
    }
    await waitUntil(
      "the killed PostgreSQL to be gone",
      () => [pid, ...children].every((p) => !alive(p)),
      10_000,
    );
  };
  await start();
  return {
    url,
    start,
    stop,
    kill,
    async pids() {
      const pid = await postmaster();
      return pid === undefined ? [] : [pid, ...(await childrenOf(pid))];
    },
    async close() {
      await stop().catch(() => kill());
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The processes whose parent is `pid`, from /proc. */
async function childrenOf(pid: number): Promise<number[]> {
  const out: number[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, "utf8").catch(() => "");
    // The command may hold spaces and parentheses: the parent pid follows the last ")".
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    if (ppid === pid) out.push(Number(entry));
  }
  return out;
}
