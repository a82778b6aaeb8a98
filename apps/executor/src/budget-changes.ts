import type { NatsConnection } from "@conclave/bus";
import type { Logger } from "@conclave/log";
import type { Names } from "@conclave/subjects";

/**
 * Hears the edges' notices that a budget was set or removed (core NATS) and calls `forget`; also
 * on a disconnect or reconnect, when some may have been missed. Listening once this resolves.
 */
export async function watchBudgetChanges({
  nc,
  names,
  log,
  forget,
}: {
  nc: NatsConnection;
  names: Names;
  log: Logger;
  forget: () => void;
}): Promise<{ stop(): void }> {
  const sub = nc.subscribe(names.accessSubject("budget"), {
    callback: (err) => {
      if (err) log.warn({ err }, "budget notices subscription failed");
      forget();
    },
  });
  let stopped = false;
  void (async () => {
    for await (const s of nc.status()) {
      if (stopped) break;
      if (s.type === "disconnect" || s.type === "reconnect") forget();
    }
  })();
  await nc.flush();
  return {
    stop() {
      stopped = true;
      sub.unsubscribe();
    },
  };
}
