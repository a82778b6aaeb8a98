import { listen } from "@conclave/http";
import { createAppMetrics } from "@conclave/metrics";
import { runProcess, withOps } from "@conclave/runtime";
import { createEdge } from "./app.js";
import { loadConfig } from "./config.js";

await runProcess({
  app: "edge",
  config: loadConfig(process.env),
  database: { poolSize: 10 },
  service: ({ config, nc, db, log }) => {
    let http: Awaited<ReturnType<typeof listen>> | undefined;
    const stopping = new AbortController();
    const metrics = createAppMetrics("edge");
    const edge = {
      async start() {
        const app = await createEdge({ config, nc, db, log, stopping: stopping.signal, metrics });
        http = await listen({
          fetch: app.fetch,
          hostname: config.HOST,
          port: config.EDGE_PORT,
          log,
          name: "edge",
        });
      },
      stop: async () => {
        // Waiting requests answer what they know now rather than hold the drain.
        stopping.abort();
        await http?.close();
      },
    };
    return withOps(edge, { metrics, nc, db, hostname: config.HOST, port: config.EDGE_OPS_PORT, log });
  },
});
