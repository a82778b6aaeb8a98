import { connectBus } from "@conclave/bus";
import { redactConfig } from "@conclave/config";
import { openDb } from "@conclave/db";
import { createLogger } from "@conclave/log";
import { runUntilSignal } from "@conclave/runtime";
import { serve } from "@hono/node-server";
import { createEdge } from "./app.js";
import { loadConfig } from "./config.js";

const config = loadConfig(process.env);
const log = createLogger({ app: "edge", level: config.LOG_LEVEL });
log.info({ config: redactConfig(config) }, "config");
const nc = await connectBus({
  url: config.NATS_URL,
  user: config.NATS_USER,
  password: config.NATS_PASSWORD,
  name: "edge",
  log,
});
const db = await openDb({ url: config.DATABASE_URL, pgliteDir: config.PGLITE_DIR, log });
let server: ReturnType<typeof serve> | undefined;
await runUntilSignal(
  {
    async start() {
      const app = await createEdge({ config, nc, db, log });
      server = serve({ fetch: app.fetch, hostname: config.HOST, port: config.EDGE_PORT }, (info) =>
        log.info({ port: info.port }, "edge listening"),
      );
    },
    async stop() {
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
      await nc.drain();
      await db.close();
    },
  },
  log,
);
