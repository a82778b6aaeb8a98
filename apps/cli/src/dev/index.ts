import { mkdir } from "node:fs/promises";
import type { Env } from "@conclave/config";
import { openDb } from "@conclave/db";
import { createLogger, type Logger } from "@conclave/log";
import { runUntilSignal, type Service } from "@conclave/runtime";
import type { CliConfig } from "../config.js";
import { migrate } from "../migrate.js";
import { provisionBus } from "../provision.js";
import { ensureConsoleBuilt, withConsoleOrigins } from "./console.js";
import { banner, createDemo, waitForEdge } from "./demo.js";
import { embeddedApps } from "./embedded.js";
import { ensureNats } from "./nats.js";
import { opsPorts } from "./ops-ports.js";
import { appProcesses } from "./processes.js";

/**
 * `conclave dev`: NATS (the one at NATS_URL, or a local nats-server), migrations, every app, a demo
 * group, and the commands to try it. Embedded PGlite runs the apps in this process; a DATABASE_URL
 * runs each as its own process.
 */
export async function runDev(config: CliConfig, env: Env, log: Logger): Promise<void> {
  const host = config.HOST === "0.0.0.0" ? "127.0.0.1" : config.HOST;
  const [nats] = await Promise.all([
    ensureNats(config.NATS_URL, config.NATS_DATA_DIR, config.CONCLAVE_NS, log),
    ensureConsoleBuilt(log),
  ]);
  // Apps log warnings only unless asked, so the instructions below stay readable. The console's
  // page (served by the edge) opens the fanout's WebSocket, which admits only allowed origins.
  const appEnv: Env = {
    ...env,
    NATS_URL: nats.url,
    LOG_LEVEL: env.LOG_LEVEL ?? "warn",
    CORS_ORIGINS: withConsoleOrigins(env.CORS_ORIGINS, host, config.EDGE_PORT),
  };
  // The apps' own NATS users may not create streams: provision first, as the launcher's admin.
  await provisionBus(
    { ...config, NATS_URL: nats.url, NATS_USER: nats.admin?.user, NATS_PASSWORD: nats.admin?.password },
    log,
  );
  let apps: Service;
  let closeDb: () => Promise<void> = async () => undefined;
  if (config.DATABASE_URL) {
    await migrate(config, log);
    apps = appProcesses({ env: appEnv, credentials: nats.credentials, log });
  } else {
    await mkdir(config.PGLITE_DIR, { recursive: true });
    const db = await openDb({ pgliteDir: config.PGLITE_DIR });
    await db.migrate();
    closeDb = () => db.close();
    apps = embeddedApps({
      env: appEnv,
      ns: config.CONCLAVE_NS,
      credentials: nats.credentials,
      db,
      logger: (app) => createLogger({ app, level: appEnv.LOG_LEVEL }),
    });
  }
  const edgeUrl = `http://${host}:${config.EDGE_PORT}`;
  const streamUrl = `ws://${host}:${config.FANOUT_PORT}/v1/stream`;
  const ops = Object.fromEntries(
    Object.entries(opsPorts(appEnv)).map(([app, port]) => [app, `http://${host}:${port}`]),
  );
  await runUntilSignal(
    {
      async start() {
        await apps.start();
        await waitForEdge(edgeUrl);
        const group = config.NO_DEMO ? undefined : await createDemo(edgeUrl);
        process.stdout.write(
          banner({
            edgeUrl,
            streamUrl,
            group,
            ns: config.CONCLAVE_NS,
            db: config.DATABASE_URL
              ? "PostgreSQL at DATABASE_URL"
              : `embedded PGlite in ${config.PGLITE_DIR}`,
            nats: nats.started ? `nats-server started at ${nats.url}` : nats.url,
            ops,
            // The watch and replay commands read the same variables; repeat the ones that differ from defaults.
            watchEnv: [
              env.HOST ? `HOST=${env.HOST}` : "",
              env.EDGE_PORT ? `EDGE_PORT=${env.EDGE_PORT}` : "",
              env.FANOUT_PORT ? `FANOUT_PORT=${env.FANOUT_PORT}` : "",
            ]
              .filter(Boolean)
              .map((s) => `${s} `)
              .join(""),
          }),
        );
      },
      async stop() {
        await apps.stop();
        await closeDb();
        await nats.stop();
      },
    },
    log,
    { drainTimeoutMs: 30_000 },
  );
}
