import type { Server } from "node:http";
import { type BusUser, busInboxPrefix, connectBus, type NatsConnection } from "@conclave/bus";
import type { Env } from "@conclave/config";
import type { DbHandle } from "@conclave/db";
import { createEdge, loadConfig as edgeConfig } from "@conclave/edge";
import { createExecutor, loadConfig as executorConfig } from "@conclave/executor";
import { createFanout, loadConfig as fanoutConfig } from "@conclave/fanout";
import type { Logger } from "@conclave/log";
import { createAppMetrics } from "@conclave/metrics";
import { createOrchestrator, loadConfig as orchestratorConfig } from "@conclave/orchestrator";
import { createRecorder, loadConfig as recorderConfig } from "@conclave/recorder";
import { type OpsWiring, type Service, withOps } from "@conclave/runtime";
import { startTracing, type Tracing } from "@conclave/telemetry";
import { serve } from "@hono/node-server";

/**
 * Every app in this one process, sharing one embedded PGlite: PGlite is a single connection, so
 * separate processes could not share it safely. Each app still has its own NATS connection, its
 * own metrics registry and its own ops port, as when it runs alone.
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

  const idle: Service = { start: async () => undefined, stop: async () => undefined };
  const ops = (
    name: BusUser,
    nc: NatsConnection,
    hostname: string,
    port: number,
    more: Partial<OpsWiring> = {},
  ): Omit<OpsWiring, "metrics"> => ({ nc, db, hostname, port, log: log(name), ...more });

  return {
    async start() {
      // One registry per app, each on its own ops port: the same series names never collide.
      const m = {
        edge: createAppMetrics("edge"),
        fanout: createAppMetrics("fanout"),
        recorder: createAppMetrics("recorder"),
        orchestrator: createAppMetrics("orchestrator"),
        executor: createAppMetrics("executor"),
      };
      const ec = edgeConfig(env);
      // One tracer provider for the process: the spans' tracer names tell the apps apart.
      tracing = await startTracing({
        service: "conclave",
        endpoint: ec.OTEL_EXPORTER_OTLP_ENDPOINT,
        sampleRatio: ec.OTEL_TRACES_SAMPLE_RATIO,
      });
      const edgeNc = await connect("edge");
      const edge = await createEdge({ config: ec, nc: edgeNc, db, log: log("edge"), metrics: m.edge });
      await listen(edge.fetch, ec.HOST, ec.EDGE_PORT);
      services.push(withOps(idle, { metrics: m.edge, ...ops("edge", edgeNc, ec.HOST, ec.EDGE_OPS_PORT) }));
      const fc = fanoutConfig(env);
      const fanoutNc = await connect("fanout");
      const fanout = await createFanout({
        config: fc,
        nc: fanoutNc,
        db,
        log: log("fanout"),
        metrics: m.fanout,
      });
      fanout.attach(await listen(fanout.app.fetch, fc.HOST, fc.FANOUT_PORT));
      services.push(
        withOps(
          { start: async () => undefined, stop: () => fanout.stop() },
          { metrics: m.fanout, ...ops("fanout", fanoutNc, fc.HOST, fc.FANOUT_OPS_PORT) },
        ),
      );
      const rc = recorderConfig(env);
      const recorderNc = await connect("recorder");
      services.push(
        withOps(
          createRecorder({
            config: rc,
            nc: recorderNc,
            db: db.db,
            log: log("recorder"),
            metrics: m.recorder,
          }),
          { metrics: m.recorder, ...ops("recorder", recorderNc, rc.HOST, rc.RECORDER_OPS_PORT) },
        ),
      );
      const oc = orchestratorConfig(env);
      const orchestratorNc = await connect("orchestrator");
      services.push(
        withOps(
          createOrchestrator({
            config: oc,
            nc: orchestratorNc,
            db: db.db,
            log: log("orchestrator"),
            metrics: m.orchestrator,
          }),
          {
            metrics: m.orchestrator,
            ...ops("orchestrator", orchestratorNc, oc.HOST, oc.ORCHESTRATOR_OPS_PORT),
          },
        ),
      );
      const xc = executorConfig(env);
      const executorNc = await connect("executor");
      const executor = createExecutor({
        config: xc,
        nc: executorNc,
        db: db.db,
        log: log("executor"),
        metrics: m.executor,
      });
      services.push(
        withOps(executor, {
          metrics: m.executor,
          ...ops("executor", executorNc, xc.HOST, xc.EXECUTOR_HEALTH_PORT ?? xc.EXECUTOR_OPS_PORT, {
            checks: executor.health.checks,
            extra: executor.health.extra,
          }),
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
