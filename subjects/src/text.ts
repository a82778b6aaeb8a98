import { z } from "zod";

/**
 * PostgreSQL refuses U+0000 in `text` and in `jsonb` strings, so any text that may be stored refuses
 * it at the edge (a 400 naming the field) and in the contracts of what people post.
 */
export const NUL_MESSAGE = "must not contain NUL (U+0000) characters";

/** True when `s` holds no NUL character. */
export function noNul(s: string): boolean {
  return !s.includes("\u0000");
}

/** A string that can be stored: no NUL (chain `.trim()`, `.min()`, `.max()` on it as usual). */
export function text() {
  return z.string().refine(noNul, NUL_MESSAGE);
}

/** What stands in for a NUL in text that must be kept (model output, tool results): U+FFFD. */
export const NUL_REPLACEMENT = "\uFFFD";

// A JSON `\u0000` escape not itself escaped (an even run of backslashes before it).
const ESCAPED_NUL = /(?<!\\)((?:\\\\)*)\\u0000/g;

/**
 * `value` with every NUL in its strings and keys replaced by U+FFFD, so it can be stored. Works
 * on the JSON text (no recursion of ours, whatever the nesting); returns `value` itself when it has none.
 */
export function replaceNul<T>(value: T): T {
  if (value === undefined) return value;
  const json = JSON.stringify(value);
  if (json === undefined || !json.includes("\\u0000")) return value;
  return JSON.parse(json.replace(ESCAPED_NUL, "$1\\ufffd")) as T;
}

/** Limits of a free-form JSON value taken from a person (tool arguments, imported settings). */
export interface JsonLimits {
  /** Nesting of arrays and objects; the value itself is depth 1. */
  maxDepth: number;
  /** Its size as JSON text, in characters. */
  maxChars: number;
}

export const FREE_JSON_LIMITS: JsonLimits = { maxDepth: 32, maxChars: 16_000 };

type Ctx = z.core.$RefinementCtx;

/**
 * Checks a JSON value without recursion (a value 30,000 levels deep must not overflow the stack):
 * depth, NUL in keys and strings, then size; each issue names its path.
 */
function checkJson(value: unknown, limits: JsonLimits, ctx: Ctx): void {
  const stack: { v: unknown; path: (string | number)[]; depth: number }[] = [
    { v: value, path: [], depth: 1 },
  ];
  while (stack.length > 0) {
    const { v, path, depth } = stack.pop() as (typeof stack)[number];
    if (typeof v === "string") {
      if (!noNul(v)) ctx.addIssue({ code: "custom", path, message: NUL_MESSAGE });
      continue;
    }
    if (v === null || typeof v !== "object") continue;
    if (depth > limits.maxDepth) {
      ctx.addIssue({ code: "custom", path, message: `nested deeper than ${limits.maxDepth} levels` });
      return;
    }
    const entries: [string | number, unknown][] = Array.isArray(v)
      ? v.map((x, i) => [i, x])
      : Object.entries(v);
    for (const [k, x] of entries) {
      if (typeof k === "string" && !noNul(k))
        ctx.addIssue({ code: "custom", path: [...path, k], message: `key ${NUL_MESSAGE}` });
      stack.push({ v: x, path: [...path, k], depth: depth + 1 });
    }
  }
  // Within the depth limit the value serializes safely; its size is then cheap to measure.
  const chars = JSON.stringify(value)?.length ?? 0;
  if (chars > limits.maxChars)
    ctx.addIssue({
      code: "custom",
      path: [],
      message: `over ${limits.maxChars} characters as JSON (${chars})`,
    });
}

/** A free-form JSON object (e.g. a tool call's arguments) within `limits`, storable in jsonb. */
export function jsonObject(limits: JsonLimits = FREE_JSON_LIMITS) {
  return z.record(z.string(), z.unknown()).superRefine((v, ctx) => checkJson(v, limits, ctx));
}
