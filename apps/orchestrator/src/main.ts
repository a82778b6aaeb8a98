import { connectBus } from "@conclave/bus";
import { redactConfig } from "@conclave/config";
import { openDb } from "@conclave/db";
import { createLogger } from "@conclave/log";
import { runUntilSignal } from "@conclave/runtime";
import { createOrchestrator } from "./app.js";
import { loadConfig } from "./config.js";

const config = loadConfig(process.env);
const log = createLogger({ app: "orchestrator", level: config.LOG_LEVEL });
log.info({ config: redactConfig(config) }, "config");
const nc = await connectBus({
  url: config.NATS_URL,
  user: config.NATS_USER,
  password: config.NATS_PASSWORD,
  name: "orchestrator",
  log,
});
const handle = await openDb({ url: config.DATABASE_URL, pgliteDir: config.PGLITE_DIR, poolSize: 5, log });
const app = createOrchestrator({ config, nc, db: handle.db, log });
await runUntilSignal(
  {
    start: () => app.start(),
    async stop() {
      await app.stop();
      await nc.drain();
      await handle.close();
    },
  },
  log,
);
