import type { NatsConnection } from "@conclave/bus";
import type { Listening } from "@conclave/http";
import type { Logger } from "@conclave/log";
import {
  type AppMetrics,
  consumersCheck,
  databaseCheck,
  type HealthCheck,
  natsCheck,
  serveOps,
} from "@conclave/metrics";
import type { Service } from "./run-until-signal.js";

/** Where an app serves its metrics and health (its ops port), and what it checks. */
export interface OpsWiring {
  metrics: AppMetrics;
  nc: NatsConnection;
  /** `select 1` on the app's database, when it has one. */
  db?: { ping(): Promise<void> } | undefined;
  hostname: string;
  port: number;
  log: Logger;
  /** Checks of the app's own (e.g. the executor's provider circuits). */
  checks?: readonly HealthCheck[];
  extra?: () => Record<string, unknown>;
}

/**
 * The service, then its ops port: `/metrics`, `/healthz`, `/readyz`, `/health/detailed` with the
 * NATS round trip, the database, and the app's own consumers' lag. The port closes after the
 * service has stopped, so the drain stays observable.
 */
export function withOps(service: Service, o: OpsWiring): Service & { readonly opsPort: number | undefined } {
  let http: Listening | undefined;
  const db = o.db;
  const checks: HealthCheck[] = [
    natsCheck(o.nc),
    ...(db ? [databaseCheck(() => db.ping())] : []),
    consumersCheck(o.metrics.consumers),
    ...(o.checks ?? []),
  ];
  return {
    get opsPort() {
      const a = http?.server.address();
      return typeof a === "object" && a ? a.port : undefined;
    },
    async start() {
      await service.start();
      http = await serveOps({
        metrics: o.metrics,
        checks,
        ...(o.extra ? { extra: o.extra } : {}),
        hostname: o.hostname,
        port: o.port,
        log: o.log,
      });
    },
    async stop() {
      await service.stop();
      await http?.close({ graceMs: 1000 });
    },
  };
}
