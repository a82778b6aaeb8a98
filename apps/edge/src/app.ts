import { busConnected, jetstream, type NatsConnection, provision } from "@conclave/bus";
import type { DbHandle } from "@conclave/db";
import { AppError } from "@conclave/errors";
import type { Logger } from "@conclave/log";
import { names as namesOf } from "@conclave/subjects";
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { EdgeConfig } from "./config.js";
import type { EdgeContext } from "./context.js";
import { groupRoutes } from "./groups/routes.js";
import { onError, problemOf } from "./http/problem.js";
import { messageRoutes } from "./messages/routes.js";

export interface EdgeDeps {
  config: Pick<
    EdgeConfig,
    | "CONCLAVE_NS"
    | "NATS_ACK_WAIT_MS"
    | "NATS_STREAM_REPLICAS"
    | "MAX_BODY_BYTES"
    | "MAX_MESSAGE_CHARS"
    | "MAX_AGENTS_PER_GROUP"
    | "PUBLISH_TIMEOUT_MS"
  >;
  nc: NatsConnection;
  db: DbHandle;
  log: Logger;
}

/** Provisions the deployment's streams (idempotent) and builds the edge's HTTP app. */
export async function createEdge(deps: EdgeDeps): Promise<Hono> {
  const names = namesOf(deps.config.CONCLAVE_NS);
  await provision(deps.nc, names, {
    ackWaitMs: deps.config.NATS_ACK_WAIT_MS,
    replicas: deps.config.NATS_STREAM_REPLICAS,
  });
  return buildEdgeApp(deps);
}

/** The edge's routes: thin handlers over service verbs, one error handler. */
export function buildEdgeApp(deps: EdgeDeps): Hono {
  const { config, nc, db, log } = deps;
  const ctx: EdgeContext = {
    config,
    db: db.db,
    js: jetstream(nc),
    names: namesOf(config.CONCLAVE_NS),
    log,
    busUp: () => busConnected(nc),
  };
  const tooLarge = problemOf(
    new AppError("payload_too_large", `request body is over ${config.MAX_BODY_BYTES} bytes`),
  );
  const app = new Hono();
  app.onError(onError(log));
  app.notFound((c) =>
    c.body(
      JSON.stringify(problemOf(new AppError("not_found", `no route ${c.req.method} ${c.req.path}`))),
      404,
      { "content-type": "application/problem+json" },
    ),
  );
  app.use(
    "/v1/*",
    bodyLimit({
      maxSize: config.MAX_BODY_BYTES,
      onError: (c) => c.body(JSON.stringify(tooLarge), 413, { "content-type": "application/problem+json" }),
    }),
  );
  app.get("/healthz", (c) => c.json({ status: "ok" }));
  app.get("/readyz", async (c) => {
    const checks: Record<string, string> = {};
    checks.nats = busConnected(nc) ? "ok" : "unreachable";
    try {
      await db.ping();
      checks.db = "ok";
    } catch {
      checks.db = "unreachable";
    }
    const ready = Object.values(checks).every((v) => v === "ok");
    return c.json({ status: ready ? "ready" : "not ready", checks }, ready ? 200 : 503);
  });
  app.route("/v1/groups", groupRoutes(ctx));
  app.route("/v1/groups", messageRoutes(ctx));
  return app;
}
export { loadConfig } from "./config.js";
