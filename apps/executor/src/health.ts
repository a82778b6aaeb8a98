import { busConnected, type NatsConnection } from "@conclave/bus";
import type { CircuitSnapshot } from "@conclave/llm";
import { Hono } from "hono";
import type { ProviderSet } from "./providers.js";

/** The executor's health: live, ready (NATS link), and each provider's circuits in detail. */
export function healthApp(deps: {
  nc: NatsConnection;
  providers: () => ProviderSet | undefined;
  inFlight: () => number;
}): Hono {
  const app = new Hono();
  app.get("/healthz", (c) => c.json({ status: "ok" }));
  app.get("/readyz", (c) => {
    const ready = busConnected(deps.nc) && deps.providers() !== undefined;
    return c.json({ status: ready ? "ready" : "not ready" }, ready ? 200 : 503);
  });
  app.get("/health/detailed", (c) => {
    const circuits: Record<string, CircuitSnapshot[]> = {};
    for (const [name, p] of deps.providers()?.resilient ?? []) circuits[name] = p.circuits();
    const open = Object.values(circuits)
      .flat()
      .filter((s) => s.state !== "closed").length;
    return c.json({
      status: open > 0 ? "degraded" : "ok",
      nats: busConnected(deps.nc) ? "ok" : "unreachable",
      inFlight: deps.inFlight(),
      providers: Object.fromEntries(
        [...(deps.providers()?.byAgentProvider.keys() ?? [])].map((name) => [
          name,
          { circuits: circuits[name] ?? [] },
        ]),
      ),
    });
  });
  return app;
}
