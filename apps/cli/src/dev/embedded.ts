import type { Server } from "node:http";
import { type BusUser, busInboxPrefix, connectBus, type NatsConnection } from "@conclave/bus";
import type { Env } from "@conclave/config";
import type { DbHandle } from "@conclave/db";
import { createEdge, loadConfig as edgeConfig } from "@conclave/edge";
import { createExecutor, loadConfig as executorConfig } from "@conclave/executor";
import { createFanout, loadConfig as fanoutConfig } from "@conclave/fanout";
import type { Logger } from "@conclave/log";
import { createOrchestrator, loadConfig as orchestratorConfig } from "@conclave/orchestrator";
import { createRecorder, loadConfig as recorderConfig } from "@conclave/recorder";
import type { Service } from "@conclave/runtime";
import { startTracing, type Tracing } from "@conclave/telemetry";
import { serve } from "@hono/node-server";

/**
 * Every app in this one process, sharing one embedded PGlite: PGlite is a single connection, so
 * separate processes could not share it safely. Each app still has its own NATS connection.
 */
export function embeddedApps(deps: {
  env: Env;
  ns: string;
  credentials: Record<BusUser, string> | undefined;
  db: DbHandle;
  logger: (app: string) => Logger;
}): Service {
  const { env, db } = deps;
  const log = deps.logger;
  const conns: NatsConnection[] = [];
  const servers: Server[] = [];
  const services: Service[] = [];
  let tracing: Tracing | undefined;
  const connect = async (name: BusUser) => {
    const nc = await connectBus({
      url: env.NATS_URL ?? "nats://127.0.0.1:4222",
      name,
      log: log(name),
      ...(deps.credentials
        ? { user: name, password: deps.credentials[name], inboxPrefix: busInboxPrefix(deps.ns, name) }
        : {}),
    });
    conns.push(nc);
    return nc;
  };

  const listen = (fetch: (r: Request) => Response | Promise<Response>, hostname: string, port: number) =>
    new Promise<Server>((resolve) => {
      const s = serve({ fetch, hostname, port }, () => resolve(s as Server)) as Server;
      servers.push(s);
    });

  return {
    async start() {
      const ec = edgeConfig(env);
      // One tracer provider for the process: the spans' tracer names tell the apps apart.
      tracing = await startTracing({
        service: "conclave",
        endpoint: ec.OTEL_EXPORTER_OTLP_ENDPOINT,
        sampleRatio: ec.OTEL_TRACES_SAMPLE_RATIO,
      });
      const edge = await createEdge({ config: ec, nc: await connect("edge"), db, log: log("edge") });
      await listen(edge.fetch, ec.HOST, ec.EDGE_PORT);
      const fc = fanoutConfig(env);
      const fanout = await createFanout({ config: fc, nc: await connect("fanout"), db, log: log("fanout") });
      fanout.attach(await listen(fanout.app.fetch, fc.HOST, fc.FANOUT_PORT));
      services.push({ start: async () => undefined, stop: () => fanout.stop() });
      services.push(
        createRecorder({
          config: recorderConfig(env),
          nc: await connect("recorder"),
          db: db.db,
          log: log("recorder"),
        }),
      );
      services.push(
        createOrchestrator({
          config: orchestratorConfig(env),
          nc: await connect("orchestrator"),
          db: db.db,
          log: log("orchestrator"),
        }),
      );
      services.push(
        createExecutor({
          config: executorConfig(env),
          nc: await connect("executor"),
          db: db.db,
          log: log("executor"),
        }),
      );
      for (const s of services) await s.start();
    },
    async stop() {
      // Stop accepting first; open sockets end when fanout closes them, so await the close after.
      const closed = servers.map((s) => new Promise((resolve) => s.close(resolve)));
      for (const s of services.reverse()) await s.stop();
      for (const s of servers) s.closeIdleConnections();
      await Promise.all(closed);
      await Promise.all(conns.map((nc) => nc.drain().catch(() => undefined)));
      await tracing?.shutdown();
    },
  };
}
