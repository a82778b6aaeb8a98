import type { CredentialBox } from "@conclave/auth";
import { and, type Db, eq, providerCredentials } from "@conclave/db";
import {
  createAnthropicProvider,
  createFallbackChain,
  createGoogleProvider,
  createOpenAiCompatibleProvider,
  type LlmProvider,
  type ResilienceOptions,
  withResilience,
} from "@conclave/llm";
import type { AgentSnapshot } from "@conclave/subjects";
import type { ProviderSet } from "./providers.js";

/** Picks who answers an agent: its owner's stored credential when there is one, else the executor's own. */
export interface ProviderResolver {
  forAgent(agent: AgentSnapshot): Promise<LlmProvider | undefined>;
}

/**
 * Providers per account, built from the account's stored (encrypted) credential and cached for
 * `cacheMs`, so a changed or deleted key takes effect within that. The base URL is the executor's own
 * configuration: an account-supplied endpoint would let any account point the executor at internal
 * addresses, so it is not used here.
 */
export function createProviderResolver(deps: {
  db: Db;
  box: CredentialBox;
  set: ProviderSet;
  resilience: ResilienceOptions;
  baseUrls: {
    anthropic?: string | undefined;
    gemini?: string | undefined;
    "openai-compatible"?: string | undefined;
  };
  fallbacks: readonly LlmProvider[];
  gracefulReply?: string | undefined;
  /** How long a looked-up credential (or its absence) is reused. */
  cacheMs: number;
}): ProviderResolver {
  const cache = new Map<string, { at: number; provider: Promise<LlmProvider | undefined> }>();

  const build = async (
    ownerId: string,
    provider: AgentSnapshot["provider"],
  ): Promise<LlmProvider | undefined> => {
    const [row] = await deps.db
      .select()
      .from(providerCredentials)
      .where(and(eq(providerCredentials.accountId, ownerId), eq(providerCredentials.provider, provider)));
    if (!row) return undefined;
    const apiKey = await deps.box.open({ accountId: ownerId, provider }, row.secretEncrypted);
    let own: LlmProvider | undefined;
    if (provider === "anthropic")
      own = createAnthropicProvider({
        apiKey,
        ...(deps.baseUrls.anthropic ? { baseUrl: deps.baseUrls.anthropic } : {}),
      });
    else if (provider === "gemini")
      own = createGoogleProvider({
        apiKey,
        name: "gemini",
        ...(deps.baseUrls.gemini ? { baseUrl: deps.baseUrls.gemini } : {}),
      });
    else if (provider === "openai-compatible" && deps.baseUrls["openai-compatible"])
      own = createOpenAiCompatibleProvider({ apiKey, baseUrl: deps.baseUrls["openai-compatible"] });
    if (!own) return undefined;
    const resilient = withResilience(own, deps.resilience);
    if (deps.fallbacks.length === 0 && deps.gracefulReply === undefined) return resilient;
    return createFallbackChain({
      name: provider,
      targets: [
        { provider: resilient },
        ...deps.fallbacks.filter((f) => f.name !== provider).map((p) => ({ provider: p })),
      ],
      ...(deps.gracefulReply ? { gracefulReply: deps.gracefulReply } : {}),
    });
  };

  return {
    async forAgent(agent) {
      if (agent.provider !== "scripted" && agent.ownerId) {
        const key = `${agent.ownerId}:${agent.provider}`;
        let hit = cache.get(key);
        if (!hit || Date.now() - hit.at >= deps.cacheMs) {
          hit = { at: Date.now(), provider: build(agent.ownerId, agent.provider) };
          cache.set(key, hit);
          hit.provider.catch(() => cache.delete(key));
        }
        const own = await hit.provider;
        if (own) return own;
      }
      return deps.set.byAgentProvider.get(agent.provider);
    },
  };
}
