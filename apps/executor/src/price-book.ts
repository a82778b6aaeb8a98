import { type Db, queryRows, sql } from "@conclave/db";

/** A price row: per million tokens, in `currency`. */
export interface Price {
  id: string;
  effectiveFrom: number;
  inputPerMtok: number;
  outputPerMtok: number;
  cachedPerMtok: number;
  currency: string;
}

/** Token counts of one call; `inputTokens` includes the `cachedTokens` read from a prompt cache. */
export interface Tokens {
  inputTokens: number;
  outputTokens: number;
  cachedTokens: number;
}

/** The price table as the executor reads it. */
export interface PriceBook {
  /** The price in effect at `at` for the model (its own rows first, else the provider's `*`), if any. */
  priceAt(provider: string, model: string, at: Date): Promise<Price | undefined>;
}

/** What `tokens` cost at `price`: cached input at its own rate, the rest of the input and the output at theirs. */
export function costOf(price: Price, tokens: Tokens): number {
  const cached = Math.min(tokens.cachedTokens, tokens.inputTokens);
  const micro =
    (tokens.inputTokens - cached) * price.inputPerMtok +
    cached * price.cachedPerMtok +
    tokens.outputTokens * price.outputPerMtok;
  // Rounded to the ledger's 8 decimals, so rollups add exactly what the rows hold.
  return Math.round((micro / 1_000_000) * 1e8) / 1e8;
}

interface PriceRow {
  id: string;
  model: string;
  from_ms: number | string;
  input_per_mtok: string;
  output_per_mtok: string;
  cached_per_mtok: string;
  currency: string;
}

/**
 * Reads a model's prices once per `cacheMs` (a price set with `conclave prices set` applies within
 * it). Effective dates are kept, so a call is priced by the row in effect when it started.
 */
export function createPriceBook(db: Db, cacheMs: number): PriceBook {
  const cache = new Map<string, { until: number; own: Price[]; any: Price[] }>();
  async function load(provider: string, model: string) {
    const key = `${provider}\u0000${model}`;
    const hit = cache.get(key);
    if (hit && hit.until > Date.now()) return hit;
    const rows = await queryRows<PriceRow>(
      db,
      sql`select id, model, (extract(epoch from effective_from) * 1000)::float8 as from_ms,
            input_per_mtok, output_per_mtok, cached_per_mtok, currency
          from prices where provider = ${provider} and model in (${model}, '*')
          order by effective_from desc`,
    );
    const of = (r: PriceRow): Price => ({
      id: r.id,
      effectiveFrom: Number(r.from_ms),
      inputPerMtok: Number(r.input_per_mtok),
      outputPerMtok: Number(r.output_per_mtok),
      cachedPerMtok: Number(r.cached_per_mtok),
      currency: r.currency,
    });
    const entry = {
      until: Date.now() + cacheMs,
      own: rows.filter((r) => r.model === model && model !== "*").map(of),
      any: rows.filter((r) => r.model === "*").map(of),
    };
    cache.set(key, entry);
    return entry;
  }
  return {
    async priceAt(provider, model, at) {
      const { own, any } = await load(provider, model);
      const t = at.getTime();
      return own.find((p) => p.effectiveFrom <= t) ?? any.find((p) => p.effectiveFrom <= t);
    },
  };
}
