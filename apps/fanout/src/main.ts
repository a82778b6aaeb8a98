import { listen } from "@conclave/http";
import { createAppMetrics } from "@conclave/metrics";
import { runProcess, withOps } from "@conclave/runtime";
import { createFanout, type Fanout } from "./app.js";
import { loadConfig } from "./config.js";

await runProcess({
  app: "fanout",
  config: loadConfig(process.env),
  database: { poolSize: 5 },
  service: ({ config, nc, db, log }) => {
    let fanout: Fanout | undefined;
    let http: Awaited<ReturnType<typeof listen>> | undefined;
    const metrics = createAppMetrics("fanout");
    const service = {
      async start() {
        fanout = await createFanout({ config, nc, db, log, metrics });
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
        // The listener closes at once; open streams and sockets end when the fanout ends them
        // (reconnect elsewhere), and then the server has finished closing.
        const closed = http?.close();
        await fanout?.stop();
        await closed;
      },
    };
    return withOps(service, { metrics, nc, db, hostname: config.HOST, port: config.FANOUT_OPS_PORT, log });
  },
});
