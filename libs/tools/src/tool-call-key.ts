import { createHash } from "node:crypto";

/** JSON with object keys sorted at every level, so equal values always give the same text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value)) ?? "null";
}

function sortKeys(value: unknown): unknown {
  if (value === null || typeof value !== "object") return value;
  const json = (value as { toJSON?: unknown }).toJSON;
  if (typeof json === "function") return sortKeys(json.call(value));
  if (Array.isArray(value)) return value.map(sortKeys);
  // No prototype: a "__proto__" key stays a plain key.
  const sorted: Record<string, unknown> = Object.create(null);
  for (const key of Object.keys(value).sort())
    sorted[key] = sortKeys((value as Record<string, unknown>)[key]);
  return sorted;
}

/**
 * The idempotency key of one tool call: a SHA-256 (hex) of the run, the step, the tool and its
 * canonical arguments, so a redelivered call finds the ledger entry of the first one.
 */
export function toolCallKey(runId: string, step: number, name: string, args: unknown): string {
  return createHash("sha256")
    .update(canonicalJson([runId, step, name, args]))
    .digest("hex");
}
