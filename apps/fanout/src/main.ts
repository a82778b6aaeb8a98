import type { Server } from "node:http";
import { connectBus } from "@conclave/bus";
import { redactConfig } from "@conclave/config";
import { openDb } from "@conclave/db";
import { createLogger } from "@conclave/log";
import { runUntilSignal } from "@conclave/runtime";
import { serve } from "@hono/node-server";
import { createFanout, type Fanout } from "./app.js";
import { loadConfig } from "./config.js";

const config = loadConfig(process.env);
const log = createLogger({ app: "fanout", level: config.LOG_LEVEL });
log.info({ config: redactConfig(config) }, "config");
const nc = await connectBus({
  url: config.NATS_URL,
  user: config.NATS_USER,
  password: config.NATS_PASSWORD,
  name: "fanout",
  log,
});
const db = await openDb({ url: config.DATABASE_URL, pgliteDir: config.PGLITE_DIR, poolSize: 5, log });
let fanout: Fanout | undefined;
let server: Server | undefined;
await runUntilSignal(
  {
    async start() {
      fanout = await createFanout({ config, nc, db, log });
      server = serve({ fetch: fanout.app.fetch, hostname: config.HOST, port: config.FANOUT_PORT }, (info) =>
        log.info({ port: info.port }, "fanout listening"),
      ) as Server;
      fanout.attach(server);
    },
    async stop() {
      await fanout?.stop();
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
      await nc.drain();
      await db.close();
    },
  },
  log,
);
