import type { ConsumerMetrics } from "./consumer-metrics.js";
import { withTimeout } from "./timeout.js";

/** One dependency's state, as `/health/detailed` reports it. */
export interface CheckResult {
  status: "up" | "down" | "degraded";
  /** How long the check took. */
  responseMs: number;
  error?: string;
  /** Whatever else the check measured (round trip, lag...). */
  details?: Record<string, unknown>;
}

/** A dependency check; `critical` ones (the default) make `/readyz` fail when not up. */
export interface HealthCheck {
  name: string;
  critical?: boolean;
  run(): Promise<Omit<CheckResult, "responseMs"> | undefined>;
}

/** How long one check may take before it counts as down. */
export const CHECK_TIMEOUT_MS = 2000;

/** Runs every check at once, each under the timeout; a throw or a timeout is `down` with its error. */
export async function runChecks(checks: readonly HealthCheck[]): Promise<Record<string, CheckResult>> {
  const results = await Promise.all(
    checks.map(async (check): Promise<[string, CheckResult]> => {
      const t0 = performance.now();
      try {
        const r = (await withTimeout(check.run(), CHECK_TIMEOUT_MS)) ?? { status: "up" as const };
        return [check.name, { ...r, responseMs: elapsed(t0) }];
      } catch (e) {
        return [check.name, { status: "down", responseMs: elapsed(t0), error: errorText(e) }];
      }
    }),
  );
  return Object.fromEntries(results);
}

/** NATS reachable: one round trip to the server (`nc.rtt()`). */
export function natsCheck(nc: { rtt(): Promise<number>; getServer(): string }): HealthCheck {
  return {
    name: "nats",
    async run() {
      const rttMs = await nc.rtt();
      return { status: "up", details: { rttMs: round(rttMs), server: nc.getServer() } };
    },
  };
}

/** The database reachable: `ping` runs `select 1`. */
export function databaseCheck(ping: () => Promise<void>): HealthCheck {
  return {
    name: "postgres",
    async run() {
      await ping();
      return { status: "up" };
    },
  };
}

/** This app's own JetStream consumers (fresh info, not the metrics' cache): backlog and redeliveries. */
export function consumersCheck(consumers: ConsumerMetrics): HealthCheck {
  return {
    name: "consumers",
    async run() {
      const details: Record<string, unknown> = {};
      for (const c of consumers.tracked()) {
        const info = await c.info();
        details[`${c.stream}/${c.consumer}`] = {
          pending: info.num_pending,
          ackPending: info.num_ack_pending,
          redelivered: info.num_redelivered,
        };
      }
      return { status: "up", details };
    },
  };
}

function elapsed(t0: number): number {
  return round(performance.now() - t0);
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}

function errorText(e: unknown): string {
  if (e instanceof Error) {
    const code = (e as { code?: unknown }).code;
    return typeof code === "string" && !e.message.includes(code) ? `${code}: ${e.message}` : e.message;
  }
  return String(e);
}
