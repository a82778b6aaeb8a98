/** A bounded in-memory cache whose entries expire; dropping entries also voids the reads in flight. */
export interface TtlCache<V> {
  /**
   * The fresh value of `key`, else `load()`'s, kept until `ttlMs` from now (or `expiresAt(value)`
   * if sooner). Concurrent misses of one key share one load; a failed load is not kept.
   */
  get(key: string, load: () => Promise<V>, expiresAt?: (value: V) => number | undefined): Promise<V>;
  /** Drops one key. */
  delete(key: string): void;
  /** Drops every entry `match` picks (by key and value). */
  deleteWhere(match: (key: string, value: V) => boolean): void;
  clear(): void;
  readonly size: number;
}

export interface TtlCacheOptions {
  /** How long an entry is used before it is read again; 0 turns the cache off. */
  ttlMs: number;
  /** Entries kept at most; the oldest go first. */
  maxEntries: number;
  now?: () => number;
}

export function createTtlCache<V>({ ttlMs, maxEntries, now = Date.now }: TtlCacheOptions): TtlCache<V> {
  const entries = new Map<string, { value: V; until: number }>();
  const loading = new Map<string, Promise<V>>();
  // Bumped by every drop: a load that started before it may have read what the drop is about.
  let generation = 0;
  const dropped = () => {
    generation++;
    loading.clear();
  };

  return {
    get(key, load, expiresAt) {
      const hit = entries.get(key);
      if (hit && hit.until > now()) return Promise.resolve(hit.value);
      if (hit) entries.delete(key);
      if (ttlMs <= 0) return load();
      const pending = loading.get(key);
      if (pending) return pending;
      const started = generation;
      const p = load().then(
        (value) => {
          if (loading.get(key) === p) loading.delete(key);
          const until = Math.min(now() + ttlMs, expiresAt?.(value) ?? Number.POSITIVE_INFINITY);
          if (generation === started && until > now()) {
            entries.set(key, { value, until });
            if (entries.size > maxEntries) {
              const oldest = entries.keys().next();
              if (!oldest.done) entries.delete(oldest.value);
            }
          }
          return value;
        },
        (e: unknown) => {
          if (loading.get(key) === p) loading.delete(key);
          throw e;
        },
      );
      loading.set(key, p);
      return p;
    },
    delete(key) {
      entries.delete(key);
      dropped();
    },
    deleteWhere(match) {
      for (const [key, e] of entries) if (match(key, e.value)) entries.delete(key);
      dropped();
    },
    clear() {
      entries.clear();
      dropped();
    },
    get size() {
      return entries.size;
    },
  };
}
