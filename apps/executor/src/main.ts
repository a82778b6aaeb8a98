import { runProcess } from "@conclave/runtime";
import { createExecutor } from "./app.js";
import { loadConfig } from "./config.js";

await runProcess({
  app: "executor",
  config: loadConfig(process.env),
  service: ({ config, nc, log }) => createExecutor({ config, nc, log }),
});
