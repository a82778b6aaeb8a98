import { createHash } from "node:crypto";
import { AppError } from "@conclave/errors";
import type { KV, KvEntry } from "@nats-io/kv";
import { isRevisionConflict } from "./revision-conflict.js";

export interface Limit {
  /** Sustained rate. */
  perMinute: number;
  /** How many may come at once after a quiet period. */
  burst: number;
}

export interface Decision {
  allowed: boolean;
  /** When the next request would be allowed (0 when allowed now). */
  retryAfterMs: number;
  remaining: number;
}

/** Token buckets and failure counters in a NATS KV bucket: every replica shares them. */
export interface RateLimiter {
  take(key: string, limit: Limit): Promise<Decision>;
  /** Failures of `key` in the current window (e.g. failed logins from one address). */
  failures(key: string): Promise<{ count: number; windowEndsAt: number }>;
  recordFailure(key: string, windowMs: number): Promise<number>;
  clearFailures(key: string): Promise<void>;
}

const MAX_ATTEMPTS = 8;
const REFUSED: Decision = { allowed: false, retryAfterMs: 1000, remaining: 0 };

/** A stored value, or undefined when absent or unreadable (an unreadable one is then overwritten). */
function storedValue<T>(entry: KvEntry | null): T | undefined {
  if (entry?.operation !== "PUT") return undefined;
  try {
    const v: unknown = entry.json();
    return v !== null && typeof v === "object" ? (v as T) : undefined;
  } catch {
    return undefined;
  }
}

/** The token-bucket arithmetic, pure: the bucket after `now`, and the decision. */
export function refill(
  bucket: { tokens: number; at: number } | undefined,
  limit: Limit,
  now: number,
): { tokens: number; at: number } {
  const perMs = limit.perMinute / 60_000;
  if (!bucket) return { tokens: limit.burst, at: now };
  return { tokens: Math.min(limit.burst, bucket.tokens + Math.max(0, now - bucket.at) * perMs), at: now };
}

/** Keys whose last stored revision a limiter remembers (one round trip for a busy key instead of two). */
const REMEMBERED_KEYS = 10_000;

/**
 * `n` takes from one bucket at one instant, pure: the first ones get a token each while whole
 * tokens last, the rest are refused until one refills. `value` is undefined when nothing was taken.
 */
export function takeTokens(
  bucket: { tokens: number; at: number } | undefined,
  limit: Limit,
  now: number,
  n: number,
): { value?: { tokens: number; at: number }; decisions: Decision[] } {
  const b = refill(bucket, limit, now);
  const granted = Math.max(0, Math.min(n, Math.floor(b.tokens)));
  const left = b.tokens - granted;
  const perMs = limit.perMinute / 60_000;
  const refused: Decision = { allowed: false, retryAfterMs: Math.ceil((1 - left) / perMs), remaining: 0 };
  const decisions: Decision[] = [];
  for (let i = 0; i < n; i++)
    decisions.push(
      i < granted ? { allowed: true, retryAfterMs: 0, remaining: Math.floor(b.tokens - i - 1) } : refused,
    );
  return granted > 0 ? { value: { tokens: left, at: now }, decisions } : { decisions };
}

export function createRateLimiter(kv: KV): RateLimiter {
  // KV keys allow a small alphabet; hashing also keeps addresses and account ids out of key names.
  const keyOf = (kind: string, key: string) =>
    `${kind}.${createHash("sha256").update(key).digest("hex").slice(0, 40)}`;

  // One read-modify-write per key at a time in this process: concurrent requests of one busy key
  // queue here instead of failing each other's compare-and-set; other replicas rarely collide.
  const queues = new Map<string, Promise<unknown>>();
  const serialized = <R>(k: string, fn: () => Promise<R>): Promise<R> => {
    const run = (queues.get(k) ?? Promise.resolve()).then(fn);
    const tail = run.catch(() => undefined);
    queues.set(k, tail);
    void tail.then(() => {
      if (queues.get(k) === tail) queues.delete(k);
    });
    return run;
  };

  // What this process last stored under each key, at which revision. A write based on it is a
  // compare-and-set like any other: if anyone wrote since, it fails and the key is read afresh.
  const last = new Map<string, { revision: number; value: unknown }>();
  const remember = (k: string, revision: number, value: unknown) => {
    last.delete(k);
    last.set(k, { revision, value });
    if (last.size > REMEMBERED_KEYS) {
      const oldest = last.keys().next();
      if (!oldest.done) last.delete(oldest.value);
    }
  };

  /**
   * Read-modify-write by compare-and-set; `change` returns the new value, or undefined to write
   * nothing. Undefined when other replicas kept changing the key. The first try may start from the
   * remembered value; a decision to write nothing is only ever made on a fresh read.
   */
  const updateNow = async <T, R>(
    k: string,
    change: (current: T | undefined) => { value?: T; result: R },
  ): Promise<R | undefined> => {
    let known = last.get(k);
    for (let reads = 0; reads < MAX_ATTEMPTS; ) {
      let revision: number | undefined;
      let current: T | undefined;
      if (known) {
        revision = known.revision;
        current = known.value as T;
      } else {
        if (reads > 0) await new Promise((r) => setTimeout(r, Math.random() * 5 * reads));
        reads++;
        const entry = await kv.get(k);
        revision = entry?.revision;
        current = storedValue<T>(entry);
      }
      const { value, result } = change(current);
      if (value === undefined) {
        // A remembered value may be stale either way (another replica wrote, the entry aged out).
        if (!known) return result;
        known = undefined;
        continue;
      }
      known = undefined;
      try {
        const next = JSON.stringify(value);
        const stored = revision !== undefined ? await kv.update(k, next, revision) : await kv.create(k, next);
        remember(k, stored, value);
        return result;
      } catch (e) {
        last.delete(k);
        if (!isRevisionConflict(e)) throw e;
      }
    }
    return undefined;
  };
  const update = <T, R>(k: string, change: (current: T | undefined) => { value?: T; result: R }) =>
    serialized(k, () => updateNow(k, change));

  // Takes of one key that arrive while its previous read-modify-write runs wait together, and are
  // decided by one compare-and-set: a busy key costs a round trip per batch, not per request.
  interface Batch {
    limit: Limit;
    waiting: { resolve: (d: Decision) => void; reject: (e: unknown) => void }[];
  }
  const open = new Map<string, Batch>();
  const sameLimit = (a: Limit, b: Limit) => a.perMinute === b.perMinute && a.burst === b.burst;
  const runBatch = async (k: string, batch: Batch) => {
    if (open.get(k) === batch) open.delete(k);
    const n = batch.waiting.length;
    const decisions = await updateNow<{ tokens: number; at: number }, Decision[]>(k, (current) => {
      const { value, decisions } = takeTokens(current, batch.limit, Date.now(), n);
      return value ? { value, result: decisions } : { result: decisions };
    });
    // Contention that never settles is refused, not waved through: a limit must not fail open under load.
    return decisions ?? Array<Decision>(n).fill(REFUSED);
  };

  return {
    take(key, limit) {
      const k = keyOf("rl", key);
      return new Promise<Decision>((resolve, reject) => {
        const joined = open.get(k);
        if (joined && sameLimit(joined.limit, limit)) {
          joined.waiting.push({ resolve, reject });
          return;
        }
        const batch: Batch = { limit, waiting: [{ resolve, reject }] };
        open.set(k, batch);
        serialized(k, () => runBatch(k, batch)).then(
          (decisions) => {
            for (const [i, w] of batch.waiting.entries()) w.resolve(decisions[i] ?? decisions[0] ?? REFUSED);
          },
          (e: unknown) => {
            for (const w of batch.waiting) w.reject(e);
          },
        );
      });
    },
    async failures(key) {
      const entry = await kv.get(keyOf("fail", key));
      const v = storedValue<{ count: number; until: number }>(entry);
      return v && v.until > Date.now()
        ? { count: v.count, windowEndsAt: v.until }
        : { count: 0, windowEndsAt: 0 };
    },
    async recordFailure(key, windowMs) {
      const count = await update<{ count: number; until: number }, number>(keyOf("fail", key), (current) => {
        const now = Date.now();
        const fresh = !current || current.until <= now;
        const count = fresh ? 1 : current.count + 1;
        return { value: { count, until: fresh ? now + windowMs : current.until }, result: count };
      });
      if (count === undefined) throw new AppError("unavailable", "failed-login counter kept changing");
      return count;
    },
    async clearFailures(key) {
      last.delete(keyOf("fail", key));
      await kv.delete(keyOf("fail", key));
    },
  };
}
