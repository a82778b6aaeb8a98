import type { KeyStore } from "@conclave/auth";
import { busConnected, type NatsConnection } from "@conclave/bus";
import type { DbHandle } from "@conclave/db";
import { createRoute, z } from "@hono/zod-openapi";
import { json, router } from "../http/openapi.js";

const tags = ["Operations"];

const healthRoute = createRoute({
  method: "get",
  path: "/healthz",
  tags,
  summary: "Liveness",
  security: [],
  responses: { 200: json(z.object({ status: z.literal("ok") }), "The process is up.") },
});

const Readiness = z
  .object({ status: z.enum(["ready", "not ready"]), checks: z.record(z.string(), z.string()) })
  .openapi("Readiness");

const readyRoute = createRoute({
  method: "get",
  path: "/readyz",
  tags,
  summary: "Readiness: the NATS link and the database",
  security: [],
  responses: { 200: json(Readiness, "Ready."), 503: json(Readiness, "A dependency is unreachable.") },
});

const jwksRoute = createRoute({
  method: "get",
  path: "/.well-known/jwks.json",
  tags,
  summary: "The public keys of the current and recently retired token signing keys",
  security: [],
  responses: {
    200: json(
      z.object({ keys: z.array(z.record(z.string(), z.unknown())) }).openapi("Jwks"),
      "A JSON Web Key Set.",
    ),
  },
});

/** Health, readiness and the token verification keys: open, unlimited. */
export function opsRoutes(deps: { nc: NatsConnection; db: DbHandle; keys: KeyStore }) {
  const app = router();
  app.openapi(healthRoute, (c) => c.json({ status: "ok" as const }, 200));
  app.openapi(readyRoute, async (c) => {
    const checks: Record<string, string> = { nats: busConnected(deps.nc) ? "ok" : "unreachable" };
    try {
      await deps.db.ping();
      checks.db = "ok";
    } catch {
      checks.db = "unreachable";
    }
    const ready = Object.values(checks).every((v) => v === "ok");
    return ready
      ? c.json({ status: "ready" as const, checks }, 200)
      : c.json({ status: "not ready" as const, checks }, 503);
  });
  app.openapi(jwksRoute, async (c) =>
    c.json(await deps.keys.jwks(), 200, { "cache-control": "public, max-age=60" }),
  );
  return app;
}
