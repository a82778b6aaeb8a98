import { listen } from "@conclave/http";
import { runProcess } from "@conclave/runtime";
import { createExecutor } from "./app.js";
import { loadConfig } from "./config.js";

await runProcess({
  app: "executor",
  config: loadConfig(process.env),
  database: { poolSize: 5 },
  service: ({ config, nc, db, log }) => {
    const executor = createExecutor({ config, nc, db: db.db, log });
    let http: Awaited<ReturnType<typeof listen>> | undefined;
    return {
      async start() {
        await executor.start();
        if (config.EXECUTOR_HEALTH_PORT !== undefined) {
          http = await listen({
            fetch: executor.health.fetch,
            hostname: config.HOST,
            port: config.EXECUTOR_HEALTH_PORT,
            log,
            name: "executor health",
          });
        }
      },
      async stop() {
        await http?.close();
        await executor.stop();
      },
    };
  },
});
