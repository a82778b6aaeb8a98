import { createAppMetrics } from "@conclave/metrics";
import { runProcess, withOps } from "@conclave/runtime";
import { createRecorder } from "./app.js";
import { loadConfig } from "./config.js";

await runProcess({
  app: "recorder",
  config: loadConfig(process.env),
  database: { poolSize: 5 },
  service: ({ config, nc, db, log }) => {
    const metrics = createAppMetrics("recorder");
    return withOps(createRecorder({ config, nc, db: db.db, log, metrics }), {
      metrics,
      nc,
      db,
      hostname: config.HOST,
      port: config.RECORDER_OPS_PORT,
      log,
    });
  },
});
