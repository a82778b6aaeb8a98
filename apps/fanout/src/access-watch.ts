import { type Db, groupMembers, sql } from "@conclave/db";
import type { Logger } from "@conclave/log";

/** Ends streams whose reader stopped belonging to the group (removed, left, or the group deleted). */
export interface AccessWatch {
  /**
   * Calls `onLost` once, within about one interval, after `accountId` stops being a member of
   * `groupId`. Returns the function that stops watching.
   */
  watch(accountId: string, groupId: string, onLost: () => void): () => void;
  stop(): void;
}

/** Pairs per query: two parameters each, far below PostgreSQL's limit. */
const CHUNK = 500;

/**
 * One timer and one query per `intervalMs` and per 500 watched (group, person) pairs for the whole
 * process, however many streams follow them, rather than a query per stream. Every role may read,
 * so only membership matters. When the database cannot answer, streams are kept until it can.
 */
export function createAccessWatch({
  db,
  intervalMs,
  log,
}: {
  db: Db;
  intervalMs: number;
  log: Logger;
}): AccessWatch {
  const watched = new Map<string, { groupId: string; accountId: string; listeners: Set<() => void> }>();
  let timer: NodeJS.Timeout | undefined;
  let checking = false;

  const check = async () => {
    if (checking) return;
    checking = true;
    try {
      // The listeners as of now: one added while the query runs was checked on its own just before.
      const snapshot = [...watched.entries()].map(([key, w]) => ({ key, ...w, listeners: [...w.listeners] }));
      for (let i = 0; i < snapshot.length; i += CHUNK) {
        const chunk = snapshot.slice(i, i + CHUNK);
        const present = await membersAmong(db, chunk);
        for (const w of chunk) {
          if (present.has(w.key)) continue;
          const current = watched.get(w.key)?.listeners;
          for (const onLost of w.listeners) {
            if (!current?.delete(onLost)) continue;
            onLost();
          }
          if (current?.size === 0) watched.delete(w.key);
        }
      }
    } catch (e) {
      log.warn({ err: e }, "membership re-check failed; open streams kept until the next");
    } finally {
      checking = false;
    }
  };

  return {
    watch(accountId, groupId, onLost) {
      const key = pairKey(groupId, accountId);
      const entry = watched.get(key) ?? { groupId, accountId, listeners: new Set() };
      entry.listeners.add(onLost);
      watched.set(key, entry);
      if (!timer) {
        timer = setInterval(() => void check(), intervalMs);
        timer.unref();
      }
      return () => {
        entry.listeners.delete(onLost);
        if (entry.listeners.size === 0 && watched.get(key) === entry) watched.delete(key);
      };
    },
    stop() {
      clearInterval(timer);
      timer = undefined;
      watched.clear();
    },
  };
}

const pairKey = (groupId: string, accountId: string) => `${groupId}:${accountId}`;

async function membersAmong(db: Db, pairs: { groupId: string; accountId: string }[]): Promise<Set<string>> {
  const rows = await db
    .select({ groupId: groupMembers.groupId, accountId: groupMembers.accountId })
    .from(groupMembers)
    .where(
      sql`(${groupMembers.groupId}, ${groupMembers.accountId}) in (${sql.join(
        pairs.map((p) => sql`(${p.groupId}::uuid, ${p.accountId}::uuid)`),
        sql`, `,
      )})`,
    );
  return new Set(rows.map((r) => pairKey(r.groupId, r.accountId)));
}
