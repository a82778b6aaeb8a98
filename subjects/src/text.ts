import { z } from "zod";

/**
 * PostgreSQL cannot store U+0000 in `text` or `jsonb`, nor an unpaired UTF-16 surrogate in `jsonb`
 * (JSON carries `\ud800`; jsonb refuses it), so any text that may be stored refuses both: at the
 * edge (a 400 naming the field) and in the contracts of what people post.
 */
export const UNSTORABLE_MESSAGE = "must not contain NUL (U+0000) or unpaired surrogate characters";

// Without the `u` flag a class matches UTF-16 code units, so a surrogate can be looked at alone.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** True when PostgreSQL can store `s` in text and jsonb: no NUL, no unpaired surrogate. */
export function isStorableText(s: string): boolean {
  return !s.includes("\u0000") && !LONE_SURROGATE.test(s);
}

/** A string that can be stored (chain `.trim()`, `.min()`, `.max()` on it as usual). */
export function text() {
  return z.string().refine(isStorableText, UNSTORABLE_MESSAGE);
}

/** What stands in for a NUL or an unpaired surrogate in text that must be kept (model output, tool results). */
export const REPLACEMENT_CHARACTER = "\uFFFD";

// In JSON.stringify's output a NUL is `\u0000` and only an unpaired surrogate is escaped as `\udXXX`;
// an escape counts when not itself escaped (an even run of backslashes before it).
const UNSTORABLE_ESCAPE = /(?<!\\)((?:\\\\)*)\\u(?:0000|d[89a-f][0-9a-f]{2})/g;

/**
 * `value` with every NUL and unpaired surrogate in its strings and keys replaced by U+FFFD, so it
 * can be stored. Works on the JSON text (no recursion of ours, whatever the nesting); returns
 * `value` itself when there is nothing to replace.
 */
export function toStorable<T>(value: T): T {
  if (value === undefined) return value;
  const json = JSON.stringify(value);
  if (json === undefined) return value;
  UNSTORABLE_ESCAPE.lastIndex = 0;
  if (!UNSTORABLE_ESCAPE.test(json)) return value;
  return JSON.parse(json.replace(UNSTORABLE_ESCAPE, "$1\\ufffd")) as T;
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
 * depth, unstorable text in keys and strings, then size; each issue names its path.
 */
function checkJson(value: unknown, limits: JsonLimits, ctx: Ctx): void {
  const stack: { v: unknown; path: (string | number)[]; depth: number }[] = [
    { v: value, path: [], depth: 1 },
  ];
  while (stack.length > 0) {
    const { v, path, depth } = stack.pop() as (typeof stack)[number];
    if (typeof v === "string") {
      if (!isStorableText(v)) ctx.addIssue({ code: "custom", path, message: UNSTORABLE_MESSAGE });
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
      if (typeof k === "string" && !isStorableText(k))
        ctx.addIssue({ code: "custom", path: [...path, k], message: `key ${UNSTORABLE_MESSAGE}` });
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
