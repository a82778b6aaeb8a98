import { runProcess } from "@conclave/runtime";
import { createOrchestrator } from "./app.js";
import { loadConfig } from "./config.js";

await runProcess({
  app: "orchestrator",
  config: loadConfig(process.env),
  database: { poolSize: 5 },
  service: ({ config, nc, db, log }) => createOrchestrator({ config, nc, db: db.db, log }),
});
