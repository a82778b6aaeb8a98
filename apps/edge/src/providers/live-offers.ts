import type { JetStreamManager, KV } from "@conclave/bus";
import type { Logger } from "@conclave/log";
import { ExecutorOffer } from "@conclave/subjects";

/** The offers of the executors alive now (bucket `executors`). */
export interface LiveOffers {
  list(): Promise<ExecutorOffer[]>;
}

/**
 * Reads every live executor's offer: the bucket's keys from its stream's subjects (a stream info with
 * a subject filter, so no consumer is made), then each key's value. An executor that died has aged
 * out of the bucket; one that stopped left a delete marker, skipped here.
 */
export function liveOffers(deps: { jsm: JetStreamManager; kv: KV; bucket: string; log: Logger }): LiveOffers {
  const prefix = `$KV.${deps.bucket}.`;
  return {
    async list() {
      const info = await deps.jsm.streams.info(`KV_${deps.bucket}`, { subjects_filter: `${prefix}>` });
      const keys = Object.keys(info.state.subjects ?? {}).map((s) => s.slice(prefix.length));
      const entries = await Promise.all(keys.map((k) => deps.kv.get(k)));
      return entries.flatMap((e) => {
        if (e?.operation !== "PUT") return [];
        const parsed = ExecutorOffer.safeParse(e.json());
        if (parsed.success) return [parsed.data];
        deps.log.warn(
          { key: e.key, issues: parsed.error.issues },
          "an executor's offer does not parse: ignored",
        );
        return [];
      });
    },
  };
}
