import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { access, constants, mkdir, writeFile } from "node:fs/promises";
import { delimiter, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import {
  BUS_USERS,
  type BusUser,
  connectBus,
  jetstreamManager,
  type NatsConnection,
  natsAuthorizationConfig,
} from "@conclave/bus";
import { AppError, describeError } from "@conclave/errors";
import type { Logger } from "@conclave/log";
import { names } from "@conclave/subjects";

export const NATS_INSTALL_HELP = [
  "nats-server was not found on PATH, and no NATS answered at NATS_URL.",
  "Either install nats-server (Debian/Ubuntu: sudo apt-get install nats-server; macOS: brew install nats-server;",
  "others: the release archives of the nats-server project), or point NATS_URL at a NATS server with JetStream",
  "(for example: docker run -p 4222:4222 nats -js).",
].join("\n");

export interface LocalNats {
  url: string;
  /** The server this launcher started, if it had to start one. */
  started: ChildProcess | undefined;
  stop(): Promise<void>;
  /** Each app's NATS password, when this launcher started the server with per-app users. */
  credentials: Record<BusUser, string> | undefined;
  /** The launcher's own unrestricted user on a server it started (provisioning). */
  admin: { user: string; password: string } | undefined;
}

async function tryConnect(
  url: string,
  log: Logger,
  auth?: { user: string; password: string },
): Promise<NatsConnection | undefined> {
  try {
    return await connectBus({ url, name: "conclave-dev-probe", log, timeoutMs: 1500, ...auth });
  } catch {
    return undefined;
  }
}

async function assertJetStream(nc: NatsConnection, url: string): Promise<void> {
  try {
    await (await jetstreamManager(nc)).getAccountInfo();
  } catch (e) {
    throw new AppError(
      "unavailable",
      `NATS at ${url} answers but JetStream is not enabled (start it with -js): ${describeError(e)}`,
    );
  }
}

async function findOnPath(cmd: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    const candidate = join(dir, cmd);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * Uses the NATS at `url`, or starts `nats-server -js` from PATH on that address. A server it starts
 * gives each app its own user that may publish only that app's subjects.
 */
export async function ensureNats(url: string, dataDir: string, ns: string, log: Logger): Promise<LocalNats> {
  const existing = await tryConnect(url, log);
  if (existing) {
    await assertJetStream(existing, url).finally(() => existing.close());
    log.info({ url }, "using the running NATS");
    return { url, started: undefined, stop: async () => undefined, credentials: undefined, admin: undefined };
  }
  const bin = await findOnPath("nats-server");
  if (!bin) throw new AppError("unavailable", NATS_INSTALL_HELP);
  const target = new URL(url.split(",")[0] ?? url);
  await mkdir(dataDir, { recursive: true });
  const secret = () => randomBytes(18).toString("base64url");
  const credentials = Object.fromEntries(BUS_USERS.map((u) => [u, secret()])) as Record<BusUser, string>;
  const admin = { user: "launcher", password: secret() };
  const configFile = join(dataDir, "auth.conf");
  await writeFile(configFile, natsAuthorizationConfig(names(ns), credentials, admin), { mode: 0o600 });
  const args = ["-c", configFile, "-js", "-a", target.hostname, "-p", target.port || "4222", "-sd", dataDir];
  log.info({ bin, args }, "starting nats-server");
  const child = spawn(bin, args, { stdio: ["ignore", "ignore", "pipe"], detached: true });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  for (let i = 0; i < 50; i++) {
    if (child.exitCode !== null)
      throw new AppError("unavailable", `nats-server exited at start: ${stderr.slice(-500)}`);
    const nc = await tryConnect(url, log, admin);
    if (nc) {
      await nc.close();
      return {
        url,
        started: child,
        credentials,
        admin,
        async stop() {
          if (child.exitCode !== null) return;
          child.kill("SIGTERM");
          await new Promise((resolve) => child.once("exit", resolve));
        },
      };
    }
    await sleep(100);
  }
  child.kill("SIGKILL");
  throw new AppError(
    "unavailable",
    `nats-server did not accept connections at ${url}: ${stderr.slice(-500)}`,
  );
}
