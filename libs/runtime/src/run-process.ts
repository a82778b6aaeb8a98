import { type BusUser, busInboxPrefix, connectBus, type NatsConnection } from "@conclave/bus";
import { redactConfig } from "@conclave/config";
import { type DbHandle, openDb } from "@conclave/db";
import { createLogger, type Logger } from "@conclave/log";
import { startTracing } from "@conclave/telemetry";
import { runUntilSignal, type Service } from "./run-until-signal.js";

/** The variables every app process reads to reach its dependencies. */
export interface ProcessConfig {
  CONCLAVE_NS: string;
  LOG_LEVEL: string;
  NATS_URL: string;
  NATS_USER?: string | undefined;
  NATS_PASSWORD?: string | undefined;
  DATABASE_URL?: string | undefined;
  PGLITE_DIR?: string;
  OTEL_EXPORTER_OTLP_ENDPOINT?: string | undefined;
  OTEL_TRACES_SAMPLE_RATIO?: number;
}

export interface ProcessResources<C> {
  config: C;
  log: Logger;
  nc: NatsConnection;
}

/**
 * An app's `main`: logs its effective configuration (secrets redacted), connects to NATS as the
 * app's own user, opens the database when asked, runs the service until SIGTERM/SIGINT, then stops
 * it and closes the connections in order.
 */
export async function runProcess<C extends ProcessConfig>(o: {
  app: BusUser;
  config: C;
  database: { poolSize: number };
  service: (r: ProcessResources<C> & { db: DbHandle }) => Service;
}): Promise<void>;
export async function runProcess<C extends ProcessConfig>(o: {
  app: BusUser;
  config: C;
  service: (r: ProcessResources<C>) => Service;
}): Promise<void>;
export async function runProcess<C extends ProcessConfig>(o: {
  app: BusUser;
  config: C;
  database?: { poolSize: number };
  service: (r: ProcessResources<C> & { db: DbHandle }) => Service;
}): Promise<void> {
  const { app, config } = o;
  const log = createLogger({ app, level: config.LOG_LEVEL });
  log.info({ config: redactConfig(config) }, "config");
  const tracing = await startTracing({
    service: `conclave-${app}`,
    endpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT,
    sampleRatio: config.OTEL_TRACES_SAMPLE_RATIO ?? 1,
  });
  const nc = await connectBus({
    url: config.NATS_URL,
    user: config.NATS_USER,
    password: config.NATS_PASSWORD,
    // Its own user may read replies only there; a server without users keeps the shared prefix.
    inboxPrefix: config.NATS_USER ? busInboxPrefix(config.CONCLAVE_NS, app) : undefined,
    name: app,
    log,
  });
  const db = o.database
    ? await openDb({
        url: config.DATABASE_URL,
        pgliteDir: config.PGLITE_DIR,
        poolSize: o.database.poolSize,
        log,
      })
    : undefined;
  // Without `database`, the overload gives the service no `db` to use.
  const service = o.service({ config, log, nc, db: db as DbHandle });
  await runUntilSignal(
    {
      start: () => service.start(),
      async stop() {
        await service.stop();
        await nc.drain();
        await db?.close();
        await tracing.shutdown();
      },
    },
    log,
  );
}
