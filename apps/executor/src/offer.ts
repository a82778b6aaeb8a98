import { randomUUID } from "node:crypto";
import type { KV } from "@conclave/bus";
import type { Logger } from "@conclave/log";
import {
  EXECUTOR_OFFER_TTL_MS,
  ExecutorOffer,
  type OfferedProvider,
  type Provider,
} from "@conclave/subjects";
import type { ExecutorConfig } from "./config.js";
import type { ProviderSet } from "./providers.js";

export type OfferConfig = Pick<
  ExecutorConfig,
  "ANTHROPIC_MODELS" | "GEMINI_MODELS" | "OPENAI_COMPAT_MODELS" | "OPENAI_COMPAT_BASE_URL"
>;

/** Each real provider's model list setting: a new provider is a compile error until it has a row. */
const MODELS: Record<Exclude<Provider, "scripted">, keyof OfferConfig> = {
  anthropic: "ANTHROPIC_MODELS",
  gemini: "GEMINI_MODELS",
  "openai-compatible": "OPENAI_COMPAT_MODELS",
};

/**
 * What this executor serves: every provider an agent of it gets an answer from, with the models the
 * configuration names when the executor's own key serves it (through fallbacks only, any model goes).
 */
export function describeOffer(
  c: OfferConfig,
  set: ProviderSet,
  hasDatabase: boolean,
): Pick<ExecutorOffer, "providers" | "accountCredentials"> {
  const providers: OfferedProvider[] = [...set.byAgentProvider.keys()].sort().map((provider) => {
    if (provider === "scripted" || !set.resilient.has(provider)) return { provider };
    const models = c[MODELS[provider]];
    return Array.isArray(models) && models.length > 0 ? { provider, models: [...models] } : { provider };
  });
  // An account's own key is used with the executor's endpoint: openai-compatible needs one configured.
  const accountCredentials: Provider[] = hasDatabase
    ? (["anthropic", "gemini", "openai-compatible"] as const).filter(
        (p) => p !== "openai-compatible" || c.OPENAI_COMPAT_BASE_URL !== undefined,
      )
    : [];
  return { providers, accountCredentials };
}

/**
 * Puts this executor's offer in the `executors` bucket now and every third of the bucket's age
 * limit, so the entry lives while the executor does; `stop` deletes it.
 */
export async function advertiseOffer(deps: {
  kv: KV;
  offer: Pick<ExecutorOffer, "providers" | "accountCredentials">;
  log: Logger;
}): Promise<{ executorId: string; stop(): Promise<void> }> {
  const executorId = randomUUID();
  const { ttl } = await deps.kv.status();
  if (ttl <= 0)
    deps.log.warn("the executors bucket has no age limit: provision again, or dead executors' offers stay");
  const everyMs = Math.max(100, Math.floor((ttl > 0 ? ttl : EXECUTOR_OFFER_TTL_MS) / 3));
  const put = () =>
    deps.kv.put(
      executorId,
      JSON.stringify(ExecutorOffer.parse({ v: 1, executorId, at: new Date().toISOString(), ...deps.offer })),
    );
  await put();
  let renewing: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    renewing = put().catch((err: unknown) => deps.log.warn({ err }, "could not renew the executor's offer"));
  }, everyMs);
  timer.unref();
  return {
    executorId,
    async stop() {
      clearInterval(timer);
      await renewing;
      await deps.kv.delete(executorId).catch((err: unknown) => {
        deps.log.warn({ err }, "could not withdraw the executor's offer (it ages out)");
      });
    },
  };
}
