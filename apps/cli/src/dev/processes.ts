import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { BusUser } from "@conclave/bus";
import type { Env } from "@conclave/config";
import type { Logger } from "@conclave/log";
import type { Service } from "@conclave/runtime";

const ROOT = fileURLToPath(new URL("../../../../", import.meta.url));
export const APPS = ["edge", "fanout", "recorder", "orchestrator", "executor"] as const;

/** Every app as its own process (with a real DATABASE_URL), their output passed through. */
export function appProcesses(deps: {
  env: Env;
  credentials: Record<BusUser, string> | undefined;
  log: Logger;
}): Service {
  const children = new Map<string, ChildProcess>();
  let stopping = false;
  return {
    async start() {
      for (const app of APPS) {
        const child = spawn(process.execPath, ["--import", "tsx", `apps/${app}/src/main.ts`], {
          cwd: ROOT,
          env: deps.credentials
            ? { ...deps.env, NATS_USER: app, NATS_PASSWORD: deps.credentials[app] }
            : deps.env,
          stdio: ["ignore", "inherit", "inherit"],
          // Own process group: Ctrl-C reaches only the launcher, which then stops each app in order.
          detached: true,
        });
        child.once("exit", (code, signal) => {
          if (!stopping) deps.log.error({ app, code, signal }, "app exited unexpectedly");
        });
        children.set(app, child);
      }
    },
    async stop() {
      stopping = true;
      await Promise.all(
        [...children.values()].map(
          (child) =>
            new Promise<void>((resolve) => {
              if (child.exitCode !== null || child.signalCode !== null) return resolve();
              child.once("exit", () => resolve());
              child.kill("SIGTERM");
            }),
        ),
      );
    },
  };
}
