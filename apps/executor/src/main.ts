import { connectBus } from "@conclave/bus";
import { redactConfig } from "@conclave/config";
import { createLogger } from "@conclave/log";
import { runUntilSignal } from "@conclave/runtime";
import { createExecutor } from "./app.js";
import { loadConfig } from "./config.js";

const config = loadConfig(process.env);
const log = createLogger({ app: "executor", level: config.LOG_LEVEL });
log.info({ config: redactConfig(config) }, "config");
const nc = await connectBus({
  url: config.NATS_URL,
  user: config.NATS_USER,
  password: config.NATS_PASSWORD,
  name: "executor",
  log,
});
const app = createExecutor({ config, nc, log });
await runUntilSignal(
  {
    start: () => app.start(),
    async stop() {
      await app.stop();
      await nc.drain();
    },
  },
  log,
);
