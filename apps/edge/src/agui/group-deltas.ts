import { type Names, TokenDelta } from "@conclave/subjects";
import type { NatsConnection } from "@nats-io/transport-node";
import type { EdgeContext } from "../context.js";

/** One core-NATS subscription per listener to a group's token deltas; malformed ones are dropped. */
export function groupDeltas(nc: NatsConnection, names: Names): EdgeContext["deltas"] {
  return (groupId, onDelta) => {
    const sub = nc.subscribe(names.deltaSubject(groupId), {
      callback: (err, msg) => {
        if (err) return;
        let raw: unknown;
        try {
          raw = msg.json();
        } catch {
          return;
        }
        const d = TokenDelta.safeParse(raw);
        if (d.success) onDelta(d.data);
      },
    });
    return () => sub.unsubscribe();
  };
}
