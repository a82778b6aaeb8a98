import { createAppMetrics } from "@conclave/metrics";
import { runProcess, withOps } from "@conclave/runtime";
import { createExecutor } from "./app.js";
import { loadConfig } from "./config.js";

await runProcess({
  app: "executor",
  config: loadConfig(process.env),
  database: { poolSize: 5 },
  service: ({ config, nc, db, log }) => {
    const metrics = createAppMetrics("executor");
    const executor = createExecutor({ config, nc, db: db.db, log, metrics });
    return withOps(executor, {
      metrics,
      nc,
      db,
      hostname: config.HOST,
      port: config.EXECUTOR_HEALTH_PORT ?? config.EXECUTOR_OPS_PORT,
      log,
      checks: executor.health.checks,
      extra: executor.health.extra,
    });
  },
});
