import { runProcess } from "@conclave/runtime";
import { createRecorder } from "./app.js";
import { loadConfig } from "./config.js";

await runProcess({
  app: "recorder",
  config: loadConfig(process.env),
  database: { poolSize: 5 },
  service: ({ config, nc, db, log }) => createRecorder({ config, nc, db: db.db, log }),
});
