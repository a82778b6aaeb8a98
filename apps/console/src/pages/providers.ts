import type { ProviderCatalog } from "../api/types.js";

/** Every provider an agent may name; offered as is while no executor has said what it serves. */
export const PROVIDERS = ["scripted", "anthropic", "gemini", "openai-compatible"] as const;

/** Suggested models of a provider whose executors name none. */
export const MODEL_HINTS: Record<string, string[]> = {
  scripted: ["scripted"],
  anthropic: ["claude-sonnet-4-5", "claude-haiku-4-5", "claude-opus-4-1"],
  gemini: ["gemini-2.5-flash", "gemini-2.5-pro"],
  "openai-compatible": ["gpt-4o-mini", "llama3.1"],
};

/** Why a provider and model will not run, on which field, and whether the form refuses it. */
export interface ProviderIssue {
  field: "provider" | "model";
  message: string;
  blocking: boolean;
}

/**
 * Checks a choice against `GET /v1/providers`, as the API does and a little stricter: a provider
 * answered only with the person's own key is refused here until they store one.
 */
export function providerIssue(
  provider: string,
  model: string,
  catalog: ProviderCatalog | undefined,
): ProviderIssue | undefined {
  if (!model.trim()) return { field: "model", message: "choose a model", blocking: true };
  if (!catalog) return undefined;
  if (catalog.executors === 0)
    return provider === "scripted"
      ? undefined
      : {
          field: "provider",
          message: "no executor is running: nothing can say yet whether this runs",
          blocking: false,
        };
  const served = catalog.providers.find((p) => p.provider === provider);
  if (!served) {
    const message = catalog.acceptsAccountCredentials.includes(provider)
      ? `runs only with your own ${provider} key: add it under Agents`
      : `no running executor serves ${provider}; choose ${catalog.providers.map((p) => p.provider).join(" or ")}`;
    return { field: "provider", message, blocking: true };
  }
  if (served.models && !served.models.includes(model))
    return { field: "model", message: `${provider} serves only ${served.models.join(", ")}`, blocking: true };
  return undefined;
}

/** The provider menu: what executors serve (and what needs the person's key), the current choice kept. */
export function providerOptions(
  catalog: ProviderCatalog | undefined,
  current: string,
): { value: string; label: string }[] {
  if (!catalog || catalog.executors === 0) {
    const all: string[] = [...PROVIDERS];
    return (all.includes(current) ? all : [...all, current]).map((p) => ({ value: p, label: p }));
  }
  const options = catalog.providers.map((p) => ({
    value: p.provider,
    label: p.via.includes("account") && !p.via.includes("executor") ? `${p.provider} (your key)` : p.provider,
  }));
  for (const p of catalog.acceptsAccountCredentials)
    if (!options.some((o) => o.value === p)) options.push({ value: p, label: `${p} (needs your key)` });
  if (!options.some((o) => o.value === current))
    options.push({ value: current, label: `${current} (not served)` });
  return options;
}

/** The models to suggest: the ones executors name for the provider, else the usual ones. */
export function modelOptions(catalog: ProviderCatalog | undefined, provider: string): string[] {
  return catalog?.providers.find((p) => p.provider === provider)?.models ?? MODEL_HINTS[provider] ?? [];
}
