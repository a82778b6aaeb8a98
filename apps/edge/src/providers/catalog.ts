import type { FieldIssue } from "@conclave/errors";
import type { ExecutorOffer, Provider } from "@conclave/subjects";

/** One provider live executors serve, as the caller sees it. */
export interface ServedProvider {
  provider: Provider;
  /** The models named for it, sorted; null: at least one way of serving it names none (any model). */
  models: string[] | null;
  /** How many live executors serve it. */
  executors: number;
  /** Through an executor's own configuration, and/or the caller's own stored credential. */
  via: ("executor" | "account")[];
}

export interface ProviderCatalog {
  /** Live executors that reported what they serve. */
  executors: number;
  providers: ServedProvider[];
  /** The providers the caller's account has a stored credential for (used where an executor can). */
  accountCredentials: Provider[];
  /** The providers some live executor answers with an agent owner's own stored key, stored yet or not. */
  acceptsAccountCredentials: Provider[];
}

/** What the caller's agents can be answered by, from the live offers and the caller's own credentials. */
export function catalogOf(
  offers: readonly ExecutorOffer[],
  credentials: readonly Provider[],
): ProviderCatalog {
  const byProvider = new Map<
    Provider,
    { executors: Set<string>; models: Set<string>; any: boolean; via: Set<"executor" | "account"> }
  >();
  const entry = (p: Provider) => {
    let e = byProvider.get(p);
    if (!e) {
      e = { executors: new Set(), models: new Set(), any: false, via: new Set() };
      byProvider.set(p, e);
    }
    return e;
  };
  for (const offer of offers) {
    for (const served of offer.providers) {
      const e = entry(served.provider);
      e.executors.add(offer.executorId);
      e.via.add("executor");
      if (served.models) for (const m of served.models) e.models.add(m);
      else e.any = true;
    }
    // The caller's own key picks its own models.
    for (const p of offer.accountCredentials.filter((p) => credentials.includes(p))) {
      const e = entry(p);
      e.executors.add(offer.executorId);
      e.via.add("account");
      e.any = true;
    }
  }
  const providers = [...byProvider.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([provider, e]) => ({
      provider,
      models: e.any ? null : [...e.models].sort(),
      executors: e.executors.size,
      via: (["executor", "account"] as const).filter((v) => e.via.has(v)),
    }));
  return {
    executors: offers.length,
    providers,
    accountCredentials: [...credentials].sort(),
    acceptsAccountCredentials: [...new Set(offers.flatMap((o) => o.accountCredentials))].sort(),
  };
}

/** An agent's provider and model, and where in the request they were given. */
export interface ProviderChoice {
  provider: string;
  model: string;
  /** The field path of the agent (`body`, `body.agents.2`). */
  at: string;
}

/**
 * Why a choice cannot be served, once some executor has reported (agents may be made before any
 * runs): a provider no live executor serves, nor would with the owner's own key (which may be stored
 * after the agent); or a model outside the lists named for what serves its provider now.
 */
export function choiceIssues(catalog: ProviderCatalog, choices: readonly ProviderChoice[]): FieldIssue[] {
  if (catalog.executors === 0) return [];
  const served = catalog.providers.map((p) => p.provider).join(", ");
  const ownKey = catalog.acceptsAccountCredentials.length
    ? `; with your own key: ${catalog.acceptsAccountCredentials.join(", ")}`
    : "";
  return choices.flatMap((c) => {
    const p = catalog.providers.find((s) => s.provider === c.provider);
    if (!p && !catalog.acceptsAccountCredentials.some((a) => a === c.provider))
      return [
        {
          path: `${c.at}.provider`,
          message: `no live executor serves ${c.provider}; served: ${served}${ownKey}`,
        },
      ];
    if (p?.models && !p.models.includes(c.model))
      return [
        { path: `${c.at}.model`, message: `${c.provider} serves only the models ${p.models.join(", ")}` },
      ];
    return [];
  });
}
