import type { KV } from "@conclave/bus";
import { noMemory, TurnMemory } from "@conclave/memory";

/** Where each running turn's memory is kept, by its graph thread (written once, when the turn starts). */
export interface TurnMemories {
  put(thread: string, memory: TurnMemory): Promise<void>;
  /** A turn started without one (before memory existed) remembers nothing. */
  get(thread: string): Promise<TurnMemory>;
  /** Forgets a finished turn's memory. */
  drop(thread: string): Promise<void>;
}

const key = (thread: string) => `${thread}.m`;

/**
 * Turn memories in the checkpoints bucket (`<thread>.m`; `purgeThread` removes every key of a
 * thread, including those of earlier versions' checkpoints), with the latest ones cached: a turn's
 * steps mostly run where it started.
 */
export function kvTurnMemories(
  kv: KV,
  purgeThread: (thread: string) => Promise<void> = (thread) => kv.purge(key(thread)),
  cached = 512,
): TurnMemories {
  const cache = new Map<string, TurnMemory>();
  const keep = (thread: string, memory: TurnMemory) => {
    cache.delete(thread);
    cache.set(thread, memory);
    if (cache.size > cached) cache.delete(cache.keys().next().value as string);
  };
  return {
    async put(thread, memory) {
      await kv.put(key(thread), JSON.stringify(memory));
      keep(thread, memory);
    },
    async get(thread) {
      const hit = cache.get(thread);
      if (hit) return hit;
      const entry = await kv.get(key(thread));
      const memory = entry?.operation === "PUT" ? TurnMemory.parse(entry.json()) : noMemory();
      keep(thread, memory);
      return memory;
    },
    async drop(thread) {
      cache.delete(thread);
      await purgeThread(thread);
    },
  };
}

/** Turn memories in this process only, for tests of pure turn logic. */
export function inProcessTurnMemories(): TurnMemories {
  const all = new Map<string, TurnMemory>();
  return {
    put: async (thread, memory) => void all.set(thread, memory),
    get: async (thread) => all.get(thread) ?? noMemory(),
    drop: async (thread) => void all.delete(thread),
  };
}
