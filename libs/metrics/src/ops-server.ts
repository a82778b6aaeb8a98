import { type Listening, listen } from "@conclave/http";
import type { Logger } from "@conclave/log";
import { Hono } from "hono";
import type { AppMetrics } from "./app-metrics.js";
import { type CheckResult, type HealthCheck, runChecks } from "./health.js";

export interface OpsOptions {
  metrics: AppMetrics;
  checks: readonly HealthCheck[];
  /** More of the detailed view (e.g. the executor's provider circuits). */
  extra?: () => Record<string, unknown>;
}

type Overall = "ok" | "degraded" | "down";

/**
 * The operations routes of one app: `/metrics` (Prometheus text), `/healthz` (the process is up),
 * `/readyz` (every critical dependency up: 200, else 503) and `/health/detailed` (each dependency's
 * status, response time and error). Meant for the ops port, never a public one.
 */
export function opsApp(o: OpsOptions): Hono {
  const app = new Hono();
  const critical = new Set(o.checks.filter((c) => c.critical ?? true).map((c) => c.name));
  const assess = async () => {
    const checks = await runChecks(o.checks);
    const entries = Object.entries(checks);
    const down = entries.some(([name, r]) => critical.has(name) && r.status === "down");
    const status: Overall = down ? "down" : entries.some(([, r]) => r.status !== "up") ? "degraded" : "ok";
    return { status, checks };
  };
  app.get("/metrics", async (c) => {
    const { contentType, body } = await o.metrics.render();
    return c.body(body, 200, { "content-type": contentType });
  });
  app.get("/healthz", (c) => c.json({ status: "ok", app: o.metrics.app }));
  app.get("/readyz", async (c) => {
    const { status, checks } = await assess();
    const brief: Record<string, CheckResult["status"]> = {};
    for (const [name, r] of Object.entries(checks)) brief[name] = r.status;
    return c.json(
      { status: status === "down" ? "not ready" : "ready", checks: brief },
      status === "down" ? 503 : 200,
    );
  });
  app.get("/health/detailed", async (c) => {
    const { status, checks } = await assess();
    return c.json(
      { status, app: o.metrics.app, checkedAt: new Date().toISOString(), checks, ...o.extra?.() },
      status === "down" ? 503 : 200,
    );
  });
  return app;
}

/** Serves `opsApp` on its own port (0: any free one; the log line says which). */
export function serveOps(
  o: OpsOptions & { hostname: string; port: number; log: Logger },
): Promise<Listening> {
  return listen({
    fetch: opsApp(o).fetch,
    hostname: o.hostname,
    port: o.port,
    log: o.log,
    name: `${o.metrics.app} ops`,
  });
}
