import { createAppMetrics } from "@conclave/metrics";
import { runProcess, withOps } from "@conclave/runtime";
import { createOrchestrator } from "./app.js";
import { loadConfig } from "./config.js";

await runProcess({
  app: "orchestrator",
  config: loadConfig(process.env),
  database: { poolSize: 5 },
  service: ({ config, nc, db, log }) => {
    const metrics = createAppMetrics("orchestrator");
    return withOps(createOrchestrator({ config, nc, db: db.db, log, metrics }), {
      metrics,
      nc,
      db,
      hostname: config.HOST,
      port: config.ORCHESTRATOR_OPS_PORT,
      log,
    });
  },
});
