import { asc, type Db, openDb, prices } from "@conclave/db";
import type { Logger } from "@conclave/log";
import { newEventId } from "@conclave/subjects";
import type { CliConfig } from "./config.js";
import { UsageError } from "./dlq-command.js";

export const PRICES_USAGE = `prices list
  prices set <provider> <model|*> --input N --output N [--cached N] [--from ISO] [--currency USD]
                           per million tokens, in effect from --from (default now) for calls that start after it`;

export interface PriceInput {
  provider: string;
  model: string;
  inputPerMtok: number;
  outputPerMtok: number;
  cachedPerMtok: number;
  effectiveFrom: string;
  currency: string;
}

/** Parses `prices set` arguments; every problem is named at once. */
export function parsePriceArgs(args: string[], now = new Date()): PriceInput {
  const [provider, model, ...rest] = args;
  const flags = new Map<string, string>();
  for (let i = 0; i < rest.length; i += 2) {
    const k = rest[i];
    const v = rest[i + 1];
    if (!k?.startsWith("--") || v === undefined)
      throw new UsageError(`bad argument ${k ?? ""}\n${PRICES_USAGE}`);
    flags.set(k.slice(2), v);
  }
  const problems: string[] = [];
  const rate = (name: string, fallback?: number) => {
    const raw = flags.get(name);
    if (raw === undefined) {
      if (fallback === undefined) problems.push(`--${name} is required`);
      return fallback ?? 0;
    }
    const n = Number(raw);
    if (!Number.isFinite(n) || n < 0) problems.push(`--${name} must be a number ≥ 0`);
    return n;
  };
  if (!provider) problems.push("a provider is required");
  if (!model) problems.push("a model (or *) is required");
  const inputPerMtok = rate("input");
  const outputPerMtok = rate("output");
  const cachedPerMtok = rate("cached", inputPerMtok);
  const from = flags.get("from");
  const effectiveFrom = from ? new Date(from) : now;
  if (Number.isNaN(effectiveFrom.getTime())) problems.push("--from must be an ISO date or date-time");
  const currency = flags.get("currency") ?? "USD";
  if (!/^[A-Z]{3}$/.test(currency)) problems.push("--currency must be three capital letters");
  for (const k of flags.keys())
    if (!["input", "output", "cached", "from", "currency"].includes(k)) problems.push(`unknown flag --${k}`);
  if (problems.length > 0) throw new UsageError(`${problems.join("\n")}\n${PRICES_USAGE}`);
  return {
    provider: provider ?? "",
    model: model ?? "",
    inputPerMtok,
    outputPerMtok,
    cachedPerMtok,
    effectiveFrom: effectiveFrom.toISOString(),
    currency,
  };
}

/** Adds a price row (or replaces the one with the same provider, model and start). */
export async function setPrice(db: Db, p: PriceInput): Promise<void> {
  const values = {
    inputPerMtok: String(p.inputPerMtok),
    outputPerMtok: String(p.outputPerMtok),
    cachedPerMtok: String(p.cachedPerMtok),
    currency: p.currency,
  };
  await db
    .insert(prices)
    .values({
      id: newEventId(),
      provider: p.provider,
      model: p.model,
      effectiveFrom: p.effectiveFrom,
      ...values,
    })
    .onConflictDoUpdate({ target: [prices.provider, prices.model, prices.effectiveFrom], set: values });
}

/** `conclave prices list|set`, on DATABASE_URL (or the embedded PGlite). */
export async function pricesCommand(
  config: CliConfig,
  args: string[],
  log: Logger,
  usage: string,
): Promise<string> {
  const [verb, ...rest] = args;
  if (verb !== "list" && verb !== "set") throw new UsageError(`conclave ${PRICES_USAGE}\n${usage}`);
  const input = verb === "set" ? parsePriceArgs(rest) : undefined;
  const handle = await openDb({ url: config.DATABASE_URL, pgliteDir: config.PGLITE_DIR, poolSize: 1 });
  try {
    if (input) {
      await setPrice(handle.db, input);
      log.info(input, "price set");
      return `${input.provider}/${input.model} from ${input.effectiveFrom}: ${input.inputPerMtok} in, ${input.outputPerMtok} out, ${input.cachedPerMtok} cached ${input.currency} per million tokens\n`;
    }
    const rows = await handle.db
      .select()
      .from(prices)
      .orderBy(asc(prices.provider), asc(prices.model), asc(prices.effectiveFrom));
    return rows
      .map(
        (r) =>
          `${r.provider}\t${r.model}\t${new Date(r.effectiveFrom).toISOString()}\t${Number(r.inputPerMtok)}\t${Number(r.outputPerMtok)}\t${Number(r.cachedPerMtok)}\t${r.currency}\n`,
      )
      .join("");
  } finally {
    await handle.close();
  }
}
