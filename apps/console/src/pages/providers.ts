/**
 * The providers an agent may name. The API does not say which of them the executor has a
 * deployment key for; it lists the caller's own credentials (GET /v1/provider-credentials), and
 * `scripted` runs offline everywhere.
 */
export const PROVIDERS = ["scripted", "anthropic", "gemini", "openai-compatible"] as const;

export const MODEL_HINTS: Record<string, string[]> = {
  scripted: ["scripted"],
  anthropic: ["claude-sonnet-4-5", "claude-haiku-4-5", "claude-opus-4-1"],
  gemini: ["gemini-2.5-flash", "gemini-2.5-pro"],
  "openai-compatible": ["gpt-4o-mini", "llama3.1"],
};

/** Why a provider and model will not run, or undefined when they can. */
export function providerIssue(provider: string, model: string, credentials: string[]): string | undefined {
  if (!model.trim()) return "choose a model";
  if (provider === "scripted") return undefined;
  if (!credentials.includes(provider))
    return `no ${provider} credential of yours: it runs only if the deployment has one (add yours under Agents)`;
  return undefined;
}
