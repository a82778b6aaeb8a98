import type { CircuitSnapshot } from "@conclave/llm";
import type { HealthCheck } from "@conclave/metrics";
import type { ProviderSet } from "./providers.js";

/**
 * The executor's own part of its health: the providers (down until built, degraded while a
 * circuit is not closed), and for the detailed view each provider's circuits and the work in flight.
 */
export function executorHealth(deps: { providers: () => ProviderSet | undefined; inFlight: () => number }): {
  checks: HealthCheck[];
  extra: () => Record<string, unknown>;
} {
  const circuits = () => {
    const out: Record<string, CircuitSnapshot[]> = {};
    for (const [name, p] of deps.providers()?.resilient ?? []) out[name] = p.circuits();
    return out;
  };
  return {
    checks: [
      {
        name: "providers",
        async run() {
          if (!deps.providers()) throw new Error("providers not built yet");
          const notClosed = Object.entries(circuits()).flatMap(([provider, list]) =>
            list.filter((s) => s.state !== "closed").map((s) => `${provider} ${s.key} ${s.state}`),
          );
          return notClosed.length > 0
            ? { status: "degraded", error: `circuits not closed: ${notClosed.join(", ")}` }
            : { status: "up" };
        },
      },
    ],
    extra: () => {
      const byName = circuits();
      return {
        inFlight: deps.inFlight(),
        providers: Object.fromEntries(
          [...(deps.providers()?.byAgentProvider.keys() ?? [])].map((name) => [
            name,
            { circuits: byName[name] ?? [] },
          ]),
        ),
      };
    },
  };
}
