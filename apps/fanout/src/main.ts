import { listen } from "@conclave/http";
import { runProcess } from "@conclave/runtime";
import { createFanout, type Fanout } from "./app.js";
import { loadConfig } from "./config.js";

await runProcess({
  app: "fanout",
  config: loadConfig(process.env),
  database: { poolSize: 5 },
  service: ({ config, nc, db, log }) => {
    let fanout: Fanout | undefined;
    let http: Awaited<ReturnType<typeof listen>> | undefined;
    return {
      async start() {
        fanout = await createFanout({ config, nc, db, log });
        http = await listen({
          fetch: fanout.app.fetch,
          hostname: config.HOST,
          port: config.FANOUT_PORT,
          log,
          name: "fanout",
        });
        fanout.attach(http.server);
      },
      async stop() {
        // Sockets first (1001, reconnect elsewhere), then the server can finish closing.
        await fanout?.stop();
        await http?.close();
      },
    };
  },
});
