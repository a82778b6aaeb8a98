import {
  type Authenticator,
  createAuthenticator,
  createCredentialBox,
  type KeyStore,
  keyStoreFrom,
  tokenSettingsFrom,
} from "@conclave/auth";
import {
  assertProvisioned,
  busConnected,
  createRateLimiter,
  groupFeeds,
  jetstream,
  jetstreamManager,
  Kvm,
  type NatsConnection,
} from "@conclave/bus";
import { usesDevKeyEncryptionKey } from "@conclave/config";
import { type DbHandle, isDatabaseUnreachable } from "@conclave/db";
import { AppError } from "@conclave/errors";
import { onError, problemOf } from "@conclave/http";
import type { Logger } from "@conclave/log";
import { createMemoryStore } from "@conclave/memory";
import { type AppMetrics, httpMetrics } from "@conclave/metrics";
import { names as namesOf } from "@conclave/subjects";
import type { OpenAPIHono } from "@hono/zod-openapi";
import { cors } from "hono/cors";
import { requestId } from "hono/request-id";
import { adminRoutes } from "./admin/routes.js";
import { templateRoutes } from "./agent-templates/routes.js";
import { agentRoutes } from "./agents/routes.js";
import { transferRoutes } from "./agents/transfer-routes.js";
import { groupDeltas } from "./agui/group-deltas.js";
import { aguiRoutes } from "./agui/routes.js";
import { apiKeyRoutes } from "./api-keys/routes.js";
import { authRoutes } from "./auth/routes.js";
import { createEdgeCaches } from "./cache/edge-caches.js";
import type { EdgeConfig } from "./config.js";
import { consoleDir } from "./console/console-dir.js";
import { mountConsole } from "./console/console-routes.js";
import type { EdgeContext } from "./context.js";
import { credentialRoutes } from "./credentials/routes.js";
import { accountExportRoutes, groupExportRoutes } from "./export/routes.js";
import { fileRoutes } from "./files/routes.js";
import { contextRoutes } from "./groups/context-routes.js";
import { memberRoutes } from "./groups/member-routes.js";
import { rosterRoutes } from "./groups/roster-routes.js";
import { groupRoutes } from "./groups/routes.js";
import { limitBody } from "./http/body-limit.js";
import type { EdgeEnv } from "./http/env.js";
import { authenticated } from "./http/guards.js";
import { noRoute } from "./http/no-route.js";
import { router } from "./http/openapi.js";
import { traceRequests } from "./http/trace-requests.js";
import { memoryRoutes } from "./memory/routes.js";
import { messageRoutes } from "./messages/routes.js";
import { createWaitSlots } from "./messages/wait-slots.js";
import { mountDocs } from "./ops/docs.js";
import { opsRoutes } from "./ops/routes.js";
import { liveOffers } from "./providers/live-offers.js";
import { providerRoutes } from "./providers/routes.js";
import { mountProxies } from "./proxy/mount-proxies.js";
import { replayRoutes } from "./replay/routes.js";
import { searchRoutes } from "./search/routes.js";
import { budgetRoutes, usageRoutes } from "./usage/routes.js";
import { widgetKeyRoutes } from "./widget/routes.js";
import { widgetCors } from "./widget/widget-cors.js";
import { mountWidgetScript } from "./widget/widget-script.js";

export type EdgeAppConfig = Omit<
  EdgeConfig,
  "NATS_URL" | "LOG_LEVEL" | "DATABASE_URL" | "PGLITE_DIR" | "HOST" | "EDGE_PORT" | "FAULT_CRASH_BEFORE_ACK"
>;

export interface EdgeDeps {
  config: EdgeAppConfig;
  nc: NatsConnection;
  db: DbHandle;
  log: Logger;
  /**
   * Replaces credential checks (benchmarks measure the cost of auth with it; tests may pin a
   * principal). Production wiring never sets it.
   */
  authenticator?: Authenticator;
  /** Aborted when the process stops: requests waiting for a turn's outcome answer at once. */
  stopping?: AbortSignal;
  /** Request latency by route goes here (served on the ops port, not this app). */
  metrics?: AppMetrics | undefined;
}

/** Checks that the deployment's streams and buckets are provisioned and builds the edge's HTTP app. */
export async function createEdge(deps: EdgeDeps): Promise<OpenAPIHono<EdgeEnv>> {
  const { config, nc, log } = deps;
  const names = namesOf(config.CONCLAVE_NS);
  await assertProvisioned(nc, names, "edge");
  if (usesDevKeyEncryptionKey(config.KEY_ENCRYPTION_KEY))
    log.warn("KEY_ENCRYPTION_KEY is the development default: set your own in production");
  const keys = keyStoreFrom(deps.db.db, config);
  await keys.current();
  const kvm = new Kvm(nc);
  const [limits, inflight, turnState, memoryKv, executorsKv, jsm] = await Promise.all([
    kvm.open(names.bucket("limits")),
    kvm.open(names.bucket("inflight")),
    kvm.open(names.bucket("turns")),
    kvm.open(names.bucket("memory")),
    kvm.open(names.bucket("executors")),
    jetstreamManager(nc, { checkAPI: false }),
  ]);
  const memory = createMemoryStore({ kv: memoryKv, js: jetstream(nc), names });
  const caches = await createEdgeCaches({
    db: deps.db.db,
    nc,
    names,
    log,
    options: { ttlMs: config.ACCESS_CACHE_TTL_MS, maxEntries: config.ACCESS_CACHE_MAX_ENTRIES },
  });
  deps.stopping?.addEventListener("abort", () => caches.stop(), { once: true });
  return buildEdgeApp(deps, keys, {
    limiter: createRateLimiter(limits),
    inflight,
    turnState,
    memory,
    caches,
    offers: liveOffers({ jsm, kv: executorsKv, bucket: names.bucket("executors"), log }),
  });
}

/** The edge's routes: thin handlers over service verbs, one error handler, one OpenAPI document. */
function buildEdgeApp(
  deps: EdgeDeps,
  keys: KeyStore,
  buckets: Pick<EdgeContext, "limiter" | "inflight" | "turnState" | "memory" | "caches" | "offers">,
): OpenAPIHono<EdgeEnv> {
  const { config, nc, db, log } = deps;
  const tokens = tokenSettingsFrom(config);
  const ctx: EdgeContext = {
    config,
    db: db.db,
    js: jetstream(nc),
    names: namesOf(config.CONCLAVE_NS),
    log,
    busUp: () => busConnected(nc),
    keys,
    tokens,
    auth:
      deps.authenticator ?? buckets.caches.authenticator(createAuthenticator({ db: db.db, keys, tokens })),
    ...buckets,
    credentials: createCredentialBox(config.KEY_ENCRYPTION_KEY),
    feeds: groupFeeds(nc, namesOf(config.CONCLAVE_NS)),
    deltas: groupDeltas(nc, namesOf(config.CONCLAVE_NS)),
    waits: createWaitSlots(config.EDGE_MAX_WAITS),
    stopping: deps.stopping ?? new AbortController().signal,
  };
  const tooLarge = problemOf(
    new AppError("payload_too_large", `request body is over ${config.MAX_BODY_BYTES} bytes`),
  );
  const app = router();
  // First: every response carries its request id, and every line logged for it too.
  app.use("*", requestId(), traceRequests(log));
  app.onError(onError(log, { isUnavailable: isDatabaseUnreachable }));
  // First: every request is timed, refusals and errors included.
  if (deps.metrics) app.use("*", httpMetrics(deps.metrics));
  const unrouted = noRoute(app);
  app.notFound(unrouted.notFound);
  // Before the operator's CORS: pages on a widget key's origins reach these routes, and no others.
  app.use("/v1/groups/:groupId/messages", widgetCors());
  if (config.CORS_ORIGINS.length > 0) {
    app.use(
      "*",
      cors({
        origin: config.CORS_ORIGINS,
        allowHeaders: [
          "authorization",
          "content-type",
          "idempotency-key",
          "if-match",
          "traceparent",
          "x-request-id",
        ],
        // A memory block's version, for its next If-Match; a replay's extent and its next part.
        exposeHeaders: ["etag", "replay-count", "replay-through-seq", "link", "x-request-id"],
        maxAge: 600,
      }),
    );
  }
  // After CORS (a refused method still carries its headers), before authentication and limits.
  app.use("*", unrouted.methodGuard);
  // Before the body limit: uploads are larger than any JSON body, and cap themselves.
  app.route("/v1/groups", fileRoutes(ctx, { nc, maxFileBytes: config.MAX_FILE_BYTES }));
  app.use(
    "/v1/*",
    limitBody(config.MAX_BODY_BYTES, (c) =>
      c.body(JSON.stringify(tooLarge), 413, { "content-type": "application/problem+json" }),
    ),
  );
  app.route("/", opsRoutes({ nc, db, keys }));
  mountWidgetScript(app);
  // Their prefixes never overlap the edge's own paths (checked when the config is read).
  mountProxies(app, ctx, config.PROXY_ROUTES);
  const auth = authRoutes(ctx);
  app.route("/v1/auth", auth.open);
  app.route("/v1/auth", auth.signedIn);
  app.route("/v1/me", auth.me);
  app.route("/v1/api-keys", apiKeyRoutes(ctx));
  const signedIn = (...parts: OpenAPIHono<EdgeEnv>[]) => {
    const r = router();
    r.use(authenticated(ctx));
    for (const part of parts) r.route("/", part);
    return r;
  };
  app.route(
    "/v1/groups",
    signedIn(
      groupRoutes(ctx),
      memberRoutes(ctx),
      rosterRoutes(ctx),
      contextRoutes(ctx),
      messageRoutes(ctx),
      aguiRoutes(ctx),
      memoryRoutes(ctx),
      replayRoutes(ctx),
      groupExportRoutes(ctx),
      widgetKeyRoutes(ctx),
    ),
  );
  app.route("/v1/me", signedIn(accountExportRoutes(ctx)));
  app.route("/v1/search", signedIn(searchRoutes(ctx)));
  // Fixed paths (/export, /import) before `/{id}`, which would match them too.
  app.route("/v1/agents", signedIn(transferRoutes(ctx), agentRoutes(ctx)));
  app.route("/v1/agent-templates", signedIn(templateRoutes(ctx)));
  app.route("/v1/provider-credentials", signedIn(credentialRoutes(ctx)));
  app.route("/v1/providers", signedIn(providerRoutes(ctx)));
  app.route("/v1/usage", signedIn(usageRoutes(ctx)));
  app.route("/v1/budgets", signedIn(budgetRoutes(ctx)));
  app.route("/v1/admin", signedIn(adminRoutes(ctx)));
  mountDocs(app);
  mountConsole(app, {
    dir: consoleDir(config.CONSOLE_DIR),
    streamUrl: config.PUBLIC_STREAM_URL,
    fanoutPort: config.FANOUT_PORT,
  });
  return app;
}

export { loadConfig } from "./config.js";
